/** The edge of the HSM replacement check: reads what each replaced instance holds and refuses the plan when it holds keys (plan/hsm-replacement.ts). */
import type { Diagnostic } from '../config/diagnostics.js';
import type { Config } from '../config/model.js';
import type { Plan } from '../plan/change.js';
import { heldKeysDiagnostic, instanceReplacements } from '../plan/hsm-replacement.js';
import type { DewApi } from '../resources/api.js';
import { keysOfKeystore, readHsm } from '../resources/hsm-api.js';
import { parseInstanceAddress } from '../config/scope.js';
import { assertNoErrors } from './workflow.js';
import type { CommandContext } from './context.js';

/** Throws, after printing the diagnostics, when the plan replaces an HSM instance that holds keys. */
export async function checkHsmReplacements(ctx: CommandContext, api: DewApi, plan: Plan, config: Config): Promise<void> {
  const diags: Diagnostic[] = [];
  for (const r of instanceReplacements(plan)) {
    const live = await readHsm(api, r.hsmId);
    const count = typeof live?.key_count === 'number' ? live.key_count : 0;
    if (!live || count === 0) continue;
    const keys = await keysOfKeystore(api, String(live.keystore_id ?? ''));
    const resource = parseInstanceAddress(r.address)?.resource ?? r.address;
    diags.push(heldKeysDiagnostic(r, count, keys, config.resources.get(resource)?.range));
  }
  if (diags.length) assertNoErrors(ctx, diags, config, 'planning');
}
