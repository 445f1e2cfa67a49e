/** The edge of the key-quota check: reads the numbers from the daemon and refuses a plan that does not fit (plan/key-quota.ts). */
import type { DewApi } from '../resources/api.js';
import type { Plan } from '../plan/change.js';
import { fitsKeyQuota, keyQuotaDiagnostic, newKeysNeeded } from '../plan/key-quota.js';
import type { Config } from '../config/model.js';
import { assertNoErrors } from './workflow.js';
import type { CommandContext } from './context.js';

interface QuotaAnswer {
  quotas?: { resources?: { type?: string; used?: number; quota?: number }[] };
}

/** Throws, after printing the diagnostic, when applying `plan` would exceed the account's key quota. */
export async function checkKeyQuota(ctx: CommandContext, api: DewApi, plan: Plan, config: Config): Promise<void> {
  if (newKeysNeeded(plan) === 0) return;
  const answer = (await api.request('GET', '/v1.0/{project_id}/kms/user-quotas')).body as QuotaAnswer;
  const cmk = answer.quotas?.resources?.find((r) => r.type === 'CMK');
  if (typeof cmk?.used !== 'number' || typeof cmk.quota !== 'number') return; // a daemon that does not say: apply finds out
  if (fitsKeyQuota(plan, { quota: cmk.quota, used: cmk.used })) return;
  // Over the quota: how many of the keys are pending deletion, for the message.
  const pending = (await api.kms('list-keys', { key_state: '4', key_spec: 'ALL', limit: '1' })) as { total?: number };
  const diag = keyQuotaDiagnostic(plan, { quota: cmk.quota, used: cmk.used, pendingDeletion: typeof pending.total === 'number' ? pending.total : 0 });
  if (diag) assertNoErrors(ctx, [diag], config, 'planning');
}
