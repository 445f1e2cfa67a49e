/** Plans a stack: evaluates the configuration in dependency order, diffs every instance against the daemon's objects, adds deletions. */
import { error, sortDiagnostics, warning, type Diagnostic } from '../config/diagnostics.js';
import { expandResource } from '../config/instances.js';
import { folderReader, type FileReader } from '../config/file-functions.js';
import type { Config } from '../config/model.js';
import { ConfigScope, instanceAddress, parseInstanceAddress, type InstanceKey } from '../config/scope.js';
import { UNKNOWN, containsSensitive, containsUnknown, jsonEqual, splitMarks, type Json, type MarkTree, type Value } from '../config/values.js';
import { buildConfigGraph } from '../graph/config-graph.js';
import { resourceType } from '../resources/registry.js';
import type { StackObject, StackSnapshot } from '../state/stack-state.js';
import type { ActionReason, Plan, PlannedOutput, PriorObject, ResourceChange } from './change.js';
import { currentAttributes, deleteChange, diffInstance, driftedArguments, sensitiveTree, type InstanceDiff } from './diff.js';
import { instanceDependencies } from './instance-deps.js';

export interface PlanInput {
  config: Config;
  variables: ReadonlyMap<string, Value>;
  snapshot: StackSnapshot;
  mode?: 'normal' | 'destroy';
  targets?: string[];
  replace?: string[];
  /** What file() and filebase64() read; default: the configuration folder. */
  files?: FileReader;
}

export interface PlanResult {
  plan: Plan;
  diagnostics: Diagnostic[];
}

function markSensitiveBefore(c: ResourceChange): void {
  const after = c.change.afterSensitive;
  if (!c.change.before || typeof after !== 'object' || Array.isArray(after)) return;
  const before = (typeof c.change.beforeSensitive === 'object' && !Array.isArray(c.change.beforeSensitive) ? { ...c.change.beforeSensitive } : {}) as Record<string, MarkTree>;
  for (const [k, v] of Object.entries(after)) if (v && !(typeof v === 'object' && Object.keys(v).length === 0)) before[k] = true;
  c.change.beforeSensitive = before;
}

/**
 * A stack object as the plan sees it: a pending entry (an intent an interrupted apply wrote before its create)
 * becomes the object that create made, to adopt; one whose create made nothing becomes a gone object.
 */
function asPlanned(o: StackObject): StackObject {
  if (!o.pending) return o;
  return o.pending.object_id ? { ...o, object_id: o.pending.object_id } : { ...o, live: null };
}

function splitAddress(resource: string): { type: string; name: string } {
  const i = resource.indexOf('.');
  return { type: resource.slice(0, i), name: resource.slice(i + 1) };
}

export function createPlan(input: PlanInput): PlanResult {
  const { config, snapshot } = input;
  const mode = input.mode ?? 'normal';
  const targets = input.targets ?? [];
  const replace = input.replace ?? [];
  const diags: Diagnostic[] = [];
  const files = input.files ?? folderReader(config.dir);
  const scope = new ConfigScope(config, input.variables, true, files);
  const graph = buildConfigGraph(config);
  diags.push(...graph.diagnostics);

  const byAddress = new Map(snapshot.objects.map((o) => [o.address, asPlanned(o)]));
  const byResource = new Map<string, StackObject[]>();
  for (const o of snapshot.objects) {
    const p = parseInstanceAddress(o.address);
    const r = p?.resource ?? o.address;
    byResource.set(r, [...(byResource.get(r) ?? []), o]);
  }
  const changes: ResourceChange[] = [];
  const matched = new Set<string>();
  const expandedKeys = new Map<string, InstanceKey[] | 'unknown'>();

  for (const a of replace) {
    if (!parseInstanceAddress(a)) diags.push(error('Invalid -replace address', `"${a}" is not a resource instance address such as dew_kms_key.app or dew_kms_key.app["x"].`));
    else if (!byAddress.has(a)) diags.push(warning('Replace target not found', `${a} is not in the stack "${config.stack}", so -replace has no effect on it.`));
  }

  for (const node of graph.dag.topologicalOrder()) {
    const decl = config.resources.get(node);
    if (!decl) continue;
    const rt = resourceType(decl.type)!;
    const exp = expandResource(decl, scope, diags);
    if (!exp.known) {
      scope.setUnknownInstances(decl.address);
      expandedKeys.set(decl.address, 'unknown');
      continue;
    }
    expandedKeys.set(decl.address, exp.instances.map((i) => i.key));
    const deps = [...graph.dag.ancestors(decl.address)].filter((d) => config.resources.has(d)).sort();
    for (const inst of exp.instances) {
      const address = instanceAddress(decl.address, inst.key);
      const found = byAddress.get(address);
      if (found) matched.add(address);
      // an intent whose create never happened: plan the create again, which overwrites the entry (destroy forgets it)
      const prior = mode !== 'destroy' && found?.pending && !found.pending.object_id ? undefined : found;
      const adopt = prior?.pending ? { adopt: { since: prior.pending.since } } : {};
      if (prior && prior.type !== decl.type) {
        diags.push(error('Resource type changed', `${address} is a ${prior.type} in the stack but a ${decl.type} in configuration.`, decl.range, 'Rename the resource block so the old object is destroyed and a new one created.'));
        continue;
      }
      let d: InstanceDiff;
      if (mode === 'destroy') {
        if (!prior) continue;
        d = deleteChange(rt, prior);
        scope.setInstance(decl.address, inst.key, (prior.attributes ?? {}) as Value);
      } else {
        d = diffInstance(rt, inst, prior, decl.lifecycle, { replace: replace.includes(address) });
        scope.setInstance(decl.address, inst.key, d.planned);
      }
      changes.push({
        address,
        resource: decl.address,
        type: decl.type,
        name: decl.name,
        index: inst.key ?? undefined,
        change: d.change,
        objectId: prior?.object_id,
        dependencies: deps,
        ...(mode === 'destroy' ? {} : { waitsFor: instanceDependencies(decl, inst.bind, scope, config) }),
        drift: d.drift,
        note: d.note,
        gone: d.gone,
        ...adopt,
      });
    }
  }

  // Objects the stack has but the configuration no longer declares.
  for (const raw of snapshot.objects) {
    if (matched.has(raw.address)) continue;
    const o = asPlanned(raw);
    const rt = resourceType(o.type);
    if (!rt) {
      diags.push(error('Unknown resource type in stack', `The stack holds ${o.address} of type ${o.type}, which this dew does not know.`));
      continue;
    }
    const p = parseInstanceAddress(o.address);
    const decl = p ? config.resources.get(p.resource) : undefined;
    const keys = p ? expandedKeys.get(p.resource) : undefined;
    if (keys === 'unknown') continue; // cannot tell yet whether it stays
    let reason: ActionReason = 'delete_because_no_resource_config';
    if (decl && p) {
      const repeated = decl.count ? 'count' : decl.forEach ? 'each' : 'none';
      const keyKind = p.key === null ? 'none' : typeof p.key === 'number' ? 'count' : 'each';
      reason = repeated !== keyKind ? 'delete_because_wrong_repetition' : repeated === 'count' ? 'delete_because_count_index' : 'delete_because_each_key';
    }
    const d = deleteChange(rt, o, mode === 'destroy' ? undefined : reason);
    const { type, name } = splitAddress(p?.resource ?? o.address);
    changes.push({ address: o.address, resource: p?.resource ?? o.address, type, name, index: p?.key ?? undefined, change: d.change, objectId: o.object_id, dependencies: o.dependencies, gone: d.gone, ...(o.pending?.object_id ? { adopt: { since: o.pending.since } } : {}) });
  }

  const selected = targets.length ? selectTargets(changes, targets, mode, diags) : changes;
  // prevent_destroy judges only what this plan will do: after -target has narrowed it
  for (const c of selected) {
    const decl = config.resources.get(c.resource);
    const a = c.change.action;
    if (decl?.lifecycle.preventDestroy && (a === 'delete' || a === 'delete-then-create'))
      diags.push(error('Instance cannot be destroyed', `Resource ${c.address} has lifecycle.prevent_destroy set, but the plan calls for this resource to be ${a === 'delete' ? 'destroyed' : 'replaced'}.`, decl.range, 'To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using -target.'));
  }
  for (const c of changes) markSensitiveBefore(c);

  const outputs: PlannedOutput[] = [];
  if (mode === 'normal') {
    const prior = priorScope(config, input.variables, snapshot, files);
    for (const o of config.outputs.values()) {
      const v = scope.evaluateAttribute(o.value, {});
      if (containsSensitive(v) && !o.sensitive)
        diags.push(error('Output refers to sensitive values', `To reduce the risk of accidentally exporting sensitive data, output "${o.name}" must set sensitive = true because its value derives from sensitive values.`, o.range, 'Add sensitive = true to the output block.'));
      const unknown = containsUnknown(v);
      const value = unknown ? null : splitMarks(v).json;
      const b = prior ? prior.evaluateAttribute(o.value, {}) : UNKNOWN;
      const before = containsUnknown(b) ? undefined : splitMarks(b).json;
      const action = before === undefined ? 'create' : unknown || !jsonEqual(before, value) ? 'update' : 'no-op';
      outputs.push({ name: o.name, action, before: before ?? null, value, unknown, sensitive: o.sensitive || containsSensitive(v) });
    }
  }
  diags.push(...scope.diagnostics);

  const sensitiveVariables = [...config.variables.values()].filter((v) => v.sensitive).map((v) => v.name);
  const variables: Record<string, Json> = {};
  for (const [k, v] of input.variables) variables[k] = splitMarks(v).json;
  selected.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    plan: {
      stack: config.stack,
      serial: snapshot.serial,
      lineage: snapshot.lineage,
      mode,
      revisions: Object.fromEntries(snapshot.objects.map((o) => [o.address, o.revision])),
      variables,
      sensitiveVariables,
      changes: selected,
      outputs,
      targets,
      replace,
      prior: priorObjects(snapshot, changes),
    },
    diagnostics: sortDiagnostics(dedupe(diags)),
  };
}

/** The stack's applied objects as read (pending intents are not state yet), marked sensitive as their changes mark them. */
function priorObjects(snapshot: StackSnapshot, changes: ResourceChange[]): PriorObject[] {
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const out: PriorObject[] = [];
  for (const o of snapshot.objects) {
    const rt = resourceType(o.type);
    if (o.pending || !rt) continue;
    const p = parseInstanceAddress(o.address);
    const { type, name } = splitAddress(p?.resource ?? o.address);
    const current = currentAttributes(rt, o);
    const c = byAddress.get(o.address);
    const sensitive = c?.change.before ? c.change.beforeSensitive : sensitiveTree(rt, current ?? o.attributes);
    out.push({ address: o.address, type, name, ...(p && p.key !== null ? { index: p.key } : {}), previous: o.attributes, current, sensitive, drift: current ? driftedArguments(rt, o, current) : [] });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** The configuration evaluated over the stack as last applied: the outputs' values before this plan (undefined for a new stack). */
function priorScope(config: Config, variables: ReadonlyMap<string, Value>, snapshot: StackSnapshot, files: FileReader): ConfigScope | undefined {
  if (snapshot.objects.length === 0) return undefined;
  const scope = new ConfigScope(config, variables, true, files);
  for (const o of snapshot.objects) {
    const p = parseInstanceAddress(o.address);
    if (p && config.resources.has(p.resource)) scope.setInstance(p.resource, p.key, o.attributes as Value);
  }
  return scope;
}

/**
 * The changes -target selects. Planning: each target and what it depends on. Destroying: each target
 * and what depends on it, never what it depends on (as Terraform does).
 */
function selectTargets(changes: ResourceChange[], targets: string[], mode: 'normal' | 'destroy', diags: Diagnostic[]): ResourceChange[] {
  const wanted = new Set<string>();
  for (const t of targets) {
    const p = parseInstanceAddress(t);
    if (!p) {
      diags.push(error('Invalid -target address', `"${t}" is not a resource address such as dew_kms_key.app or dew_kms_key.app["x"].`));
      continue;
    }
    const hits = changes.filter((c) => c.address === t || (p.key === null && c.resource === p.resource));
    if (hits.length === 0) diags.push(warning('Target not found', `${t} matches no resource in the configuration or the stack.`));
    for (const h of hits) wanted.add(h.address);
  }
  if (mode === 'normal') {
    for (const h of changes.filter((c) => wanted.has(c.address)))
      for (const dep of h.dependencies) for (const c of changes) if (c.resource === dep) wanted.add(c.address);
  } else {
    // dependants, to a fixed point: a stack object records only its direct dependencies
    for (let grew = true; grew; ) {
      grew = false;
      const resources = new Set(changes.filter((c) => wanted.has(c.address)).map((c) => c.resource));
      for (const c of changes)
        if (!wanted.has(c.address) && c.dependencies.some((d) => resources.has(d))) {
          wanted.add(c.address);
          grew = true;
        }
    }
  }
  return changes.filter((c) => wanted.has(c.address));
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.severity}|${d.summary}|${d.detail}|${d.range?.file}:${d.range?.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
