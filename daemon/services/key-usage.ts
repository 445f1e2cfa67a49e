/** Checks a key may be used for an operation right now: state first, then usage and spec. */
import { kmsErrors } from '../errors.js';
import { keySpecInfo, type KeyFamily, type KeyUsage } from '../hsm/key-specs.js';
import { KEY_STATE, type KeyRecord } from './key-record.js';

/** Throws the reference error when `k` is not enabled (KMS.0209 disabled, KMS.0210 pending deletion). */
export function assertUsable(k: KeyRecord, now: number): void {
  switch (k.keyState) {
    case KEY_STATE.enabled:
      if (k.expirationTime !== null && k.expirationTime <= now) {
        throw kmsErrors.invalidAs('key_state', 'the imported key material has expired');
      }
      return;
    case KEY_STATE.disabled:
      throw kmsErrors.disabled();
    case KEY_STATE.pendingDeletion:
      throw kmsErrors.pendingDeletion();
    case KEY_STATE.pendingImport:
      throw kmsErrors.invalidAs('key_state', 'the key is pending import and has no key material');
    default:
      throw kmsErrors.invalidAs('key_state', `the key is not usable in state ${k.keyState}`);
  }
}

/** Throws when the key's usage or family does not allow the operation. */
export function assertUsage(k: KeyRecord, usage: KeyUsage, families?: readonly KeyFamily[]): void {
  if (k.keyUsage !== usage) throw kmsErrors.wrongUsage(k.keyUsage);
  const info = keySpecInfo(k.keySpec);
  if (families && (!info || !families.includes(info.family))) {
    throw kmsErrors.invalidAs('key_spec', `${k.keySpec} keys cannot do this operation`);
  }
}
