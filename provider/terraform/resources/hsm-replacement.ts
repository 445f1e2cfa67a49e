/**
 * The Terraform side of the HSM replacement check (plan/hsm-replacement.ts, the one `dew plan` makes): a
 * planned replacement of a dew_hsm_instance that holds keys is refused at plan time, naming the keys, before
 * Terraform would plan away the keystore and the keys that depend on it. Reads the daemon; the message is
 * the dew tool's.
 */
import type { DewApi } from '../../resources/api.js';
import { keysOfKeystore, readHsm } from '../../resources/hsm-api.js';
import { heldKeysDiagnostic } from '../../plan/hsm-replacement.js';
import { str } from '../../resources/resource-type.js';
import type { TfObject } from './values.js';

/** The refusal (summary, detail) when replacing the instance `prior` would lose keys; undefined when it holds none. */
export async function heldKeysRefusal(api: DewApi, prior: TfObject, planned: TfObject | null, forcedBy: readonly string[], objectId: string): Promise<{ summary: string; detail: string } | undefined> {
  const live = await readHsm(api, objectId);
  const count = typeof live?.key_count === 'number' ? live.key_count : 0;
  if (!live || count === 0) return undefined;
  const keys = await keysOfKeystore(api, str(live.keystore_id));
  const to = planned && typeof planned.specification === 'string' ? planned.specification : '(known after apply)';
  const d = heldKeysDiagnostic({ address: `dew_hsm_instance ${JSON.stringify(str(prior.name))}`, hsmId: objectId, forcedBy: [...forcedBy], from: str(prior.specification), to }, count, keys);
  return { summary: d.summary, detail: [d.detail, d.hint].filter(Boolean).join('\n\n') };
}
