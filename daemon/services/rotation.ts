/**
 * Key rotation (reference 1e; vault transit's model): a rotation adds a key version with fresh
 * material and makes it current; older versions stay for decryption until the key is destroyed.
 * Only symmetric encryption keys made by KMS rotate:
 * - imported material (origin `external`) belongs to its owner, who imports into a new key instead;
 * - asymmetric keys would change their public key under everyone who holds it;
 * - HMAC keys: a MAC does not name the version that made it, so verify-mac after a rotation would
 *   have to guess; AWS KMS refuses HMAC rotation for the same reason.
 * Default keys (`obs/default` …) may rotate: the reference forbids disabling and deleting them only,
 * and AWS rotates its managed keys every year.
 */
import { kmsErrors } from '../errors.js';
import type { Hsm } from '../hsm/hsm.js';
import type { LifecycleRepo, CasOutcome } from '../store/lifecycle-repo.js';
import type { AuditHook } from '../store/audit-repo.js';
import type { Caller } from './caller.js';
import type { KeyCache } from './key-cache.js';
import type { KeyService } from './keys.js';
import { KEY_STATE, keyRef, type KeyRecord } from './key-record.js';

export const ROTATION_SPECS: readonly string[] = Object.freeze(['AES_256', 'SM4']);
export const ROTATION_INTERVAL_DAYS = Object.freeze({ min: 30, max: 365 });
/** Attempts of a rotate-on-demand that keeps losing the compare-and-set to concurrent rotations. */
const MAX_ATTEMPTS = 8;

export interface RotationStatus {
  key_rotation_enabled: boolean;
  rotation_interval: number;
  /** Epoch milliseconds as a string, "" when the key never rotated. */
  last_rotation_time: string;
  number_of_rotations: number;
}

/** get-key-rotation-status of a key (also a stack's live view of its dew_kms_rotation). */
export function rotationStatusOf(k: KeyRecord): RotationStatus {
  return {
    key_rotation_enabled: k.rotationEnabled === 1,
    rotation_interval: k.rotationInterval,
    last_rotation_time: k.lastRotationTime === null ? '' : String(k.lastRotationTime),
    number_of_rotations: k.numberOfRotations,
  };
}

/** Throws a clear 400 unless the key is a symmetric encryption key made by KMS. */
export function assertRotatable(k: KeyRecord): void {
  if (k.origin !== 'kms') {
    throw kmsErrors.invalidAs('key_id', 'keys with imported material (origin external) cannot rotate; import new material into a new key instead');
  }
  if (!ROTATION_SPECS.includes(k.keySpec)) {
    throw kmsErrors.invalidAs('key_spec', `only symmetric encryption keys (${ROTATION_SPECS.join(', ')}) can rotate; this key is ${k.keySpec}`);
  }
}

export function assertRotationInterval(days: unknown): number {
  const n = typeof days === 'string' && /^[0-9]{1,4}$/.test(days) ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < ROTATION_INTERVAL_DAYS.min || n > ROTATION_INTERVAL_DAYS.max) {
    throw kmsErrors.invalidAs('rotation_interval', `an integer number of days from ${ROTATION_INTERVAL_DAYS.min} to ${ROTATION_INTERVAL_DAYS.max}`);
  }
  return n;
}

export class RotationService {
  constructor(
    private readonly keys: KeyService,
    private readonly repo: LifecycleRepo,
    private readonly cache: KeyCache,
    private readonly hsm: Hsm,
    private readonly now: () => number,
  ) {}

  /** An own key (never one reached through a grant) that can rotate. */
  private async ownRotatable(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.keys.resolve(caller, keyId);
    if (k.projectId !== caller.projectId) throw kmsErrors.noKeyPermission();
    assertRotatable(k);
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    return k;
  }

  private async setPolicy(caller: Caller, keyId: string, patch: { enabled?: boolean; intervalDays?: number }): Promise<void> {
    const k = await this.ownRotatable(caller, keyId);
    if (k.keyState !== KEY_STATE.enabled && k.keyState !== KEY_STATE.disabled) {
      throw kmsErrors.invalidAs('key_state', `rotation settings change only on enabled or disabled keys (this key is in state ${k.keyState})`);
    }
    const ok = await this.repo.setRotation(k.keyId, patch, this.now(), this.keys.auditHook(caller));
    await this.cache.reload([k.keyId]);
    if (!ok) {
      const again = this.cache.get(k.keyId);
      if (!again) throw kmsErrors.notFound();
      if (again.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
      throw kmsErrors.invalidAs('key_state', `rotation settings change only on enabled or disabled keys (this key is in state ${again.keyState})`);
    }
  }

  enable(caller: Caller, keyId: string): Promise<void> {
    return this.setPolicy(caller, keyId, { enabled: true });
  }

  disable(caller: Caller, keyId: string): Promise<void> {
    return this.setPolicy(caller, keyId, { enabled: false });
  }

  updateInterval(caller: Caller, keyId: string, days: unknown): Promise<void> {
    const n = assertRotationInterval(days);
    return this.setPolicy(caller, keyId, { intervalDays: n });
  }

  async status(caller: Caller, keyId: string): Promise<RotationStatus> {
    const k = await this.keys.resolve(caller, keyId);
    if (k.projectId !== caller.projectId) throw kmsErrors.noKeyPermission();
    return rotationStatusOf(k);
  }

  /** rotate-on-demand: one new version now, whatever the automatic schedule (enabled keys only). */
  async rotateNow(caller: Caller, keyId: string): Promise<KeyRecord> {
    let k = await this.ownRotatable(caller, keyId);
    for (let attempt = 1; ; attempt++) {
      if (k.keyState === KEY_STATE.disabled) throw kmsErrors.disabled();
      if (k.keyState !== KEY_STATE.enabled) throw kmsErrors.pendingDeletion();
      const outcome = await rotateKeyVersion(this.hsm, this.repo, k, this.now(), this.keys.auditHook(caller));
      await this.cache.reload([k.keyId]);
      const now = this.cache.get(k.keyId);
      if (!now) throw kmsErrors.notFound();
      if (outcome === 'applied') return now;
      // Another rotation (here or on another daemon) moved the version first: rotate from the new one.
      if (attempt >= MAX_ATTEMPTS) throw kmsErrors.busy('the key kept changing during rotation');
      k = now;
    }
  }
}

/**
 * Makes version `k.currentVersion + 1`: material generated and sealed first, then one guarded batch
 * (lifecycle-repo `rotate`). A crash before the batch leaves the old version current and nothing
 * stored; a crash after leaves the new one; ciphertexts only ever name committed versions.
 */
export async function rotateKeyVersion(
  hsm: Hsm,
  repo: LifecycleRepo,
  k: Pick<KeyRecord, 'keyId' | 'keySpec' | 'partitionId' | 'currentVersion'>,
  at: number,
  audit?: AuditHook,
): Promise<CasOutcome> {
  const sealed = await hsm.generateSymmetric(keyRef(k, k.currentVersion + 1));
  return repo.rotate(k.keyId, k.currentVersion, sealed, at, audit);
}
