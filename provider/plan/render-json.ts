/** Renders a plan as Terraform's JSON plan representation (format_version 1.2), with sensitive values redacted. */
import type { Json } from '../config/values.js';
import { isEmptyPlan, type Action, type Plan } from './change.js';
import { REDACTED, dropUnknown, redact } from './redact.js';

export const FORMAT_VERSION = '1.2';

export function actionsOf(a: Action): string[] {
  return a === 'delete-then-create' ? ['delete', 'create'] : [a];
}

export function planToJson(plan: Plan, opts: { timestamp?: string; errored?: boolean } = {}): Record<string, Json> {
  const variables: Record<string, Json> = {};
  for (const [k, v] of Object.entries(plan.variables)) variables[k] = { value: plan.sensitiveVariables.includes(k) ? REDACTED : v };
  return {
    format_version: FORMAT_VERSION,
    dew_version: '0.1.0',
    stack: { name: plan.stack, serial: plan.serial, lineage: plan.lineage },
    variables,
    resource_changes: plan.changes.map((c) => {
      const ch = c.change;
      const change: Record<string, Json> = {
        actions: actionsOf(ch.action),
        before: redact(ch.before, ch.beforeSensitive),
        after: redact(dropUnknown(ch.after, ch.afterUnknown), ch.afterSensitive),
        after_unknown: ch.afterUnknown as Json,
        before_sensitive: ch.beforeSensitive as Json,
        after_sensitive: ch.afterSensitive as Json,
      };
      if (ch.replacePaths.length) change.replace_paths = ch.replacePaths;
      const rc: Record<string, Json> = { address: c.address, mode: 'managed', type: c.type, name: c.name };
      if (c.index !== undefined) rc.index = c.index;
      rc.provider_name = 'dew';
      rc.change = change;
      if (ch.actionReason) rc.action_reason = ch.actionReason;
      // dew's own field: an object an interrupted apply created, which this plan records in the stack
      if (c.adopt) rc.adopting = { object_id: c.objectId ?? '', pending_since: c.adopt.since };
      return rc;
    }),
    output_changes: Object.fromEntries(
      plan.outputs.map((o) => [
        o.name,
        { actions: [o.action], before: o.sensitive && o.before !== null ? REDACTED : o.before, after: o.sensitive ? REDACTED : o.unknown ? null : o.value, after_unknown: o.unknown, before_sensitive: o.sensitive, after_sensitive: o.sensitive },
      ]),
    ),
    applyable: !isEmptyPlan(plan),
    complete: plan.targets.length === 0,
    errored: opts.errored ?? false,
    ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
  };
}

export function renderPlanJson(plan: Plan, opts: { timestamp?: string } = {}): string {
  return JSON.stringify(planToJson(plan, opts), null, 2) + '\n';
}
