/**
 * The key quota, judged before apply: a create or a replacement needs a new key, and the old key
 * of a replacement only has its deletion scheduled, which still counts toward the quota. Pure: the
 * numbers come from the daemon (commands/key-quota.ts).
 */
import { error, type Diagnostic } from '../config/diagnostics.js';
import type { Plan } from './change.js';

/** Resource types whose create calls create-key. */
const KEY_TYPES: ReadonlySet<string> = new Set(['dew_kms_key']);

export interface KeyQuota {
  /** Keys the account may hold (default keys excluded). */
  quota: number;
  /** Keys it holds, those pending deletion included. */
  used: number;
  /** Of `used`, the keys pending deletion. */
  pendingDeletion: number;
}

/** How many keys applying the plan creates. */
export function newKeysNeeded(plan: Plan): number {
  return plan.changes.filter((c) => KEY_TYPES.has(c.type) && (c.change.action === 'create' || c.change.action === 'delete-then-create')).length;
}

const keys = (n: number) => `${n} new key${n === 1 ? '' : 's'}`;

/** Whether the plan's new keys fit in what the quota leaves. */
export function fitsKeyQuota(plan: Plan, q: Pick<KeyQuota, 'quota' | 'used'>): boolean {
  const needed = newKeysNeeded(plan);
  return needed === 0 || q.used + needed <= q.quota;
}

/** An error when the plan needs more keys than the quota leaves; undefined when they fit. */
export function keyQuotaDiagnostic(plan: Plan, q: KeyQuota): Diagnostic | undefined {
  if (fitsKeyQuota(plan, q)) return undefined;
  const needed = newKeysNeeded(plan);
  const left = Math.max(0, q.quota - q.used);
  const replaced = plan.changes.filter((c) => KEY_TYPES.has(c.type) && c.change.action === 'delete-then-create').length;
  return error(
    'Key quota exceeded',
    `The plan needs ${keys(needed)}; the quota allows ${q.quota} and ${q.used} exist (${q.pendingDeletion} pending deletion), so ${left === 0 ? 'none' : `only ${left}`} can be created.` +
      ` Keys pending deletion count toward the quota until they are deleted${replaced ? `, and a replaced key is only scheduled for deletion (${replaced} in this plan)` : ''}.`,
    undefined,
    "Raise the daemon's --key-quota (DEW_KEY_QUOTA), wait until the keys pending deletion are deleted, or plan fewer new keys (-target).",
  );
}
