/**
 * Renders a plan as Terraform's JSON plan representation (format_version 1.2), with sensitive values redacted
 * (Terraform itself prints them; dew never does). dew's own fields: dew_version, stack, adopting.
 */
import type { Json, MarkTree } from '../config/values.js';
import { isEmptyPlan, type Action, type Plan, type PlannedOutput, type PriorObject, type ResourceChange } from './change.js';
import { REDACTED, dropUnknown, redact } from './redact.js';

export const FORMAT_VERSION = '1.2';
export const STATE_FORMAT_VERSION = '1.0';
export const DEW_VERSION = '0.1.0';
export const PROVIDER_NAME = 'dew';

export function actionsOf(a: Action): string[] {
  return a === 'delete-then-create' ? ['delete', 'create'] : [a];
}

interface Instance {
  address: string;
  type: string;
  name: string;
  index?: string | number;
}

/** address, mode, type, name, index (when repeated), provider_name: how every resource object of the format begins. */
function head(i: Instance): Record<string, Json> {
  const out: Record<string, Json> = { address: i.address, mode: 'managed', type: i.type, name: i.name };
  if (i.index !== undefined) out.index = i.index;
  out.provider_name = PROVIDER_NAME;
  return out;
}

/** Terraform's sensitive_values: the sensitivity tree of a value object, `{}` when nothing in it is sensitive. */
function sensitiveValues(t: MarkTree): Json {
  return t && typeof t === 'object' ? (t as Json) : {};
}

/** A value the JSON output shows for an object: sensitive leaves redacted, unknown leaves dropped. */
function shown(v: Json, sensitive: MarkTree, unknown: MarkTree = false): Json {
  return redact(dropUnknown(v, unknown), sensitive);
}

/** Terraform's cty type of a JSON value, as state outputs carry it. */
export function ctyType(v: Json): Json {
  if (v === null) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return ['tuple', v.map(ctyType)];
  return ['object', Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ctyType(x)]))];
}

function changeJson(c: ResourceChange): Record<string, Json> {
  const ch = c.change;
  const change: Record<string, Json> = {
    actions: actionsOf(ch.action),
    before: redact(ch.before, ch.beforeSensitive),
    after: shown(ch.after, ch.afterSensitive, ch.afterUnknown),
    after_unknown: ch.afterUnknown as Json,
    before_sensitive: ch.beforeSensitive as Json,
    after_sensitive: ch.afterSensitive as Json,
  };
  if (ch.replacePaths.length) change.replace_paths = ch.replacePaths;
  const rc = head(c);
  rc.change = change;
  if (ch.actionReason) rc.action_reason = ch.actionReason;
  // dew's own field: an object an interrupted apply created, which this plan records in the stack
  if (c.adopt) rc.adopting = { object_id: c.objectId ?? '', pending_since: c.adopt.since };
  return rc;
}

/** planned_values: every object as it will be after apply (deletions left out), unknown values left out. */
function plannedValues(plan: Plan): Record<string, Json> {
  const outputs: Record<string, Json> = {};
  for (const o of plan.outputs) outputs[o.name] = o.unknown ? { sensitive: o.sensitive } : { sensitive: o.sensitive, type: ctyType(o.value), value: o.sensitive ? REDACTED : o.value };
  const resources = plan.changes
    .filter((c) => c.change.action !== 'delete')
    .map((c) => ({ ...head(c), schema_version: 0, values: shown(c.change.after, c.change.afterSensitive, c.change.afterUnknown), sensitive_values: sensitiveValues(c.change.afterSensitive) }));
  return { outputs, root_module: { resources } };
}

function priorResource(o: PriorObject): Record<string, Json> {
  return { ...head(o), schema_version: 0, values: shown(o.current, o.sensitive), sensitive_values: sensitiveValues(o.sensitive) };
}

/** prior_state: the stack as this plan read it, in Terraform's state format; absent for an empty stack, as Terraform does. */
function priorState(prior: PriorObject[], outputs: PlannedOutput[]): Record<string, Json> | undefined {
  const present = prior.filter((o) => o.current !== null);
  const known = outputs.filter((o) => o.action !== 'create');
  if (present.length === 0 && known.length === 0) return undefined;
  const outs: Record<string, Json> = {};
  for (const o of known) outs[o.name] = { sensitive: o.sensitive, value: o.sensitive ? REDACTED : o.before, type: ctyType(o.before) };
  return { format_version: STATE_FORMAT_VERSION, terraform_version: DEW_VERSION, values: { outputs: outs, root_module: { resources: present.map(priorResource) } } };
}

/** resource_drift: each object changed (or deleted) outside dew since the last apply, as a change from then to now. */
function resourceDrift(prior: PriorObject[]): Record<string, Json>[] {
  return prior
    .filter((o) => o.current === null || o.drift.length > 0)
    .map((o) => ({
      ...head(o),
      change: {
        actions: [o.current === null ? 'delete' : 'update'],
        before: redact(o.previous, o.sensitive),
        after: o.current === null ? null : redact(o.current, o.sensitive),
        after_unknown: o.current === null ? false : {},
        before_sensitive: o.sensitive as Json,
        after_sensitive: o.current === null ? false : (o.sensitive as Json),
      },
    }));
}

export function planToJson(plan: Plan, opts: { timestamp?: string; errored?: boolean } = {}): Record<string, Json> {
  const variables: Record<string, Json> = {};
  for (const [k, v] of Object.entries(plan.variables)) variables[k] = { value: plan.sensitiveVariables.includes(k) ? REDACTED : v };
  const prior = plan.prior ?? [];
  const drift = resourceDrift(prior);
  const state = priorState(prior, plan.outputs);
  // the drift this plan's changes undo, by attribute: what Terraform's renderer shows of resource_drift
  const relevant = plan.changes.flatMap((c) => (c.drift ?? []).map((a) => ({ resource: c.address, attribute: [a] })));
  return {
    format_version: FORMAT_VERSION,
    terraform_version: DEW_VERSION,
    dew_version: DEW_VERSION,
    stack: { name: plan.stack, serial: plan.serial, lineage: plan.lineage },
    variables,
    planned_values: plannedValues(plan),
    ...(drift.length ? { resource_drift: drift } : {}),
    resource_changes: plan.changes.map(changeJson),
    output_changes: Object.fromEntries(
      plan.outputs.map((o) => [
        o.name,
        { actions: [o.action], before: o.sensitive && o.before !== null ? REDACTED : o.before, after: o.sensitive ? REDACTED : o.unknown ? null : o.value, after_unknown: o.unknown, before_sensitive: o.sensitive, after_sensitive: o.sensitive },
      ]),
    ),
    ...(state ? { prior_state: state } : {}),
    configuration: configuration(plan),
    ...(relevant.length ? { relevant_attributes: relevant } : {}),
    ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
    applyable: !isEmptyPlan(plan),
    complete: plan.targets.length === 0,
    errored: opts.errored ?? false,
  };
}

/** configuration, reduced: the provider and the resource blocks and outputs the plan names (no expressions). */
function configuration(plan: Plan): Record<string, Json> {
  const seen = new Map<string, Record<string, Json>>();
  for (const c of plan.changes)
    if (c.change.action !== 'delete' && !seen.has(c.resource)) seen.set(c.resource, { address: c.resource, mode: 'managed', type: c.type, name: c.name, provider_config_key: PROVIDER_NAME, schema_version: 0 });
  const outputs: Record<string, Json> = Object.fromEntries(plan.outputs.map((o): [string, Json] => [o.name, o.sensitive ? { sensitive: true } : {}]));
  return { provider_config: { [PROVIDER_NAME]: { name: PROVIDER_NAME, full_name: PROVIDER_NAME } }, root_module: { outputs, resources: [...seen.values()] } };
}

export function renderPlanJson(plan: Plan, opts: { timestamp?: string } = {}): string {
  return JSON.stringify(planToJson(plan, opts), null, 2) + '\n';
}
