/** The in-memory key record and its mapping to the reference API's KeyDetails. */
import type { KeyRow } from '../store/key-repo.js';
import type { KeyRef } from '../hsm/hsm.js';

export interface KeyRecord extends KeyRow {
  tags: Record<string, string>;
}

/** The HSM's reference to one version of a key (its current version unless given). */
export function keyRef(k: Pick<KeyRecord, 'keyId' | 'currentVersion' | 'keySpec' | 'partitionId'>, version = k.currentVersion): KeyRef {
  return { keyId: k.keyId, version, keySpec: k.keySpec, partitionId: k.partitionId };
}

export const KEY_STATE = Object.freeze({
  pendingActivation: '1',
  enabled: '2',
  disabled: '3',
  pendingDeletion: '4',
  pendingImport: '5',
} as const);

export const KEY_ID_RE = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/;

/** KeyDetails as the reference service returns them (dates are epoch-millisecond strings). */
export function toKeyDetails(k: KeyRecord, region: string): Record<string, unknown> {
  return {
    key_id: k.keyId,
    domain_id: k.domainId,
    key_alias: k.keyAlias,
    realm: region,
    key_spec: k.keySpec,
    key_usage: k.keyUsage,
    key_description: k.keyDescription,
    creation_date: String(k.creationDate),
    scheduled_deletion_date: k.scheduledDeletionDate === null ? '' : String(k.scheduledDeletionDate),
    key_state: k.keyState,
    default_key_flag: k.defaultKeyFlag ? '1' : '0',
    key_type: k.keySpec.startsWith('AES') || k.keySpec === 'SM4' || k.keySpec.startsWith('HMAC') ? '1' : '2',
    expiration_time: k.expirationTime === null ? '' : String(k.expirationTime),
    origin: k.origin,
    key_rotation_enabled: k.rotationEnabled ? 'true' : 'false',
    sys_enterprise_project_id: '0',
    keystore_id: k.keystoreId,
    partition_type: '1',
    revision: k.revision,
  };
}
