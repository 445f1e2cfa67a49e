/** Key lifecycle: create, describe, list, enable/disable, deletion scheduling, alias and description. */
import { randomUUID } from 'node:crypto';
import { DewError, kmsErrors, keystoreErrors } from '../errors.js';
import { UnsupportedKeySpecError, type Hsm } from '../hsm/hsm.js';
import { DEFAULT_KEYSTORE, DefaultKeystoreOnly, type KeystoreLookup } from './keystores.js';
import { keySpecInfo } from '../hsm/key-specs.js';
import type { KeyRepo, KeyRow } from '../store/key-repo.js';
import { AliasTakenError } from '../store/key-repo.js';
import type { Caller } from './caller.js';
import type { AuditHook, AuditHooks } from './audit.js';
import type { KeyCache } from './key-cache.js';
import type { GrantCheck } from './grant-index.js';
import type { AliasLookup } from './alias-index.js';
import { KEY_ID_RE, KEY_STATE, toKeyDetails, type KeyRecord } from './key-record.js';

/** Services whose default key `<service>/default` is created on first use (SPEC: Default keys). */
export const DEFAULT_KEY_SERVICES = Object.freeze(['obs', 'evs', 'ims', 'vbs', 'sfs', 'kps', 'csms', 'rds', 'dew']);
const DAY_MS = 86_400_000;
const DEFAULT_KEYSTORES: KeystoreLookup = new DefaultKeystoreOnly();

export interface KeyServiceOptions {
  region: string;
  /** Custom keys per project (default 20). */
  keyQuota: number;
  now: () => number;
  /** Keystore → partition (default: keystore '0' only). */
  keystores?: KeystoreLookup;
}

export interface CreateKeyInput {
  key_alias: string;
  key_spec?: string;
  key_usage?: string;
  key_description?: string;
  origin?: 'kms' | 'external';
  keystore_id?: string;
}

export interface ListKeysInput {
  limit?: number;
  marker?: number;
  key_state?: string;
  key_spec?: string;
  enterprise_project_id?: string;
}

/** What key lookups consult besides the key cache; all synchronous and O(1) on the data path. */
export interface KeyServiceDeps {
  /** Grants to the caller on a key (services/grant-index.ts). */
  grants: GrantCheck;
  /** KMS aliases (`alias/…`, reference 1g) naming a key (services/alias-index.ts). */
  aliases: AliasLookup;
  /** The audit trail: a change and the caller's audit record commit in one batch (services/audit.ts); absent when off. */
  audit?: AuditHooks;
}

export class KeyService {
  private readonly creatingDefaults = new Map<string, Promise<KeyRecord>>();

  constructor(
    private readonly repo: KeyRepo,
    private readonly cache: KeyCache,
    private readonly hsm: Hsm,
    private readonly opts: KeyServiceOptions,
    private readonly deps: KeyServiceDeps,
  ) {}

  get region(): string {
    return this.opts.region;
  }

  private get keystores(): KeystoreLookup {
    return this.opts.keystores ?? DEFAULT_KEYSTORES;
  }

  /** Throws when the key's keystore refuses use now (disabled keystore, frozen HSM instance); the default keystore never does. */
  assertKeystoreUsable(k: KeyRecord): void {
    if (k.keystoreId === DEFAULT_KEYSTORE) return;
    const refusal = this.keystores.refusal(k.keystoreId);
    if (refusal) throw refusal;
  }

  /** Finds a key of the caller's project by id or alias; creates `<service>/default` on first use. */
  async resolve(caller: Caller, keyIdOrAlias: string): Promise<KeyRecord> {
    let found = this.find(caller, keyIdOrAlias);
    // Another daemon on the database may have made it since the last sync: catch up once, then look again.
    if (!found) {
      await this.cache.sync();
      found = this.find(caller, keyIdOrAlias);
    }
    if (found) return found;
    const service = defaultKeyService(keyIdOrAlias);
    if (service) return this.createDefaultKey(caller, keyIdOrAlias);
    throw kmsErrors.notFound();
  }

  /** The caller's audit hook, if the trail is on and the call came through the API. */
  auditHook(caller: Caller): AuditHook | undefined {
    return this.deps.audit?.hookFor(caller);
  }

  /** Catches up with changes other daemons made (e.g. a newer key version seen in a ciphertext). */
  syncCache(): Promise<unknown> {
    return this.cache.sync();
  }

  /** The synchronous lookup the data path uses: key id, then key_alias, then KMS alias. */
  find(caller: Caller, keyIdOrAlias: string): KeyRecord | undefined {
    const byId = KEY_ID_RE.test(keyIdOrAlias) ? this.cache.get(keyIdOrAlias) : undefined;
    let k = byId ?? this.cache.getByAlias(caller.projectId, keyIdOrAlias);
    if (!k) {
      const viaAlias = this.deps.aliases.lookup(caller.projectId, keyIdOrAlias);
      if (viaAlias) k = this.cache.get(viaAlias);
    }
    if (k && k.projectId === caller.projectId) {
      // A caller whose role does not allow the operation needs a grant on this key (KMS.0307 / KMS.0306).
      if (caller.grantOnly) this.assertGranted(caller, k);
      return k;
    }
    // Another project's key is invisible (the same answer as a key that does not exist), unless
    // a grant to the caller covers this operation: then it is reachable by key id only.
    if (byId) {
      const g = this.deps.grants.check(caller, byId);
      if (g === 'allow') return byId;
      if (g === 'other-operation') throw kmsErrors.noKeyPermission();
    }
    if (caller.grantOnly) throw kmsErrors.noApiPermission();
    return undefined;
  }

  private assertGranted(caller: Caller, k: KeyRecord): void {
    const g = this.deps.grants.check(caller, k);
    if (g === 'other-operation') throw kmsErrors.noKeyPermission();
    if (g !== 'allow') throw kmsErrors.noApiPermission();
  }

  private createDefaultKey(caller: Caller, alias: string): Promise<KeyRecord> {
    const slot = `${caller.projectId}\u0000${alias}`;
    let p = this.creatingDefaults.get(slot);
    if (!p) {
      p = this.insert(caller, { key_alias: alias, key_spec: 'AES_256', key_description: `Default key for ${alias.split('/')[0]}` }, true)
        .catch(async (err) => {
          // Another daemon may have created it first: the alias is then taken and visible after a sync.
          await this.cache.sync();
          const k = this.cache.getByAlias(caller.projectId, alias);
          if (k) return k;
          throw err;
        })
        .finally(() => this.creatingDefaults.delete(slot));
      this.creatingDefaults.set(slot, p);
    }
    return p;
  }

  async create(caller: Caller, input: CreateKeyInput): Promise<KeyRecord> {
    if (input.key_alias.endsWith('/default')) {
      throw kmsErrors.reservedAlias();
    }
    return this.insert(caller, input, false);
  }

  private async insert(caller: Caller, input: CreateKeyInput, isDefault: boolean): Promise<KeyRecord> {
    const keySpec = input.key_spec ?? 'AES_256';
    const spec = keySpecInfo(keySpec);
    if (!spec) throw kmsErrors.invalidAs('key_spec', `${keySpec} is not supported`);
    const keyUsage = input.key_usage ?? spec.defaultUsage;
    if (!spec.usages.includes(keyUsage as never)) {
      throw kmsErrors.invalidAs('key_usage', `${keySpec} keys support ${spec.usages.join(', ')}`);
    }
    const origin = input.origin ?? 'kms';
    if (origin === 'external' && spec.family === 'hmac') {
      throw kmsErrors.invalidAs('origin', `${keySpec} keys cannot take imported material`);
    }
    const keystoreId = input.keystore_id ?? DEFAULT_KEYSTORE;
    const partitionId = this.keystores.partitionFor(keystoreId);
    if (partitionId === undefined) throw kmsErrors.invalidAs('keystore_id', 'the keystore does not exist');
    if (keystoreId !== DEFAULT_KEYSTORE) {
      const refusal = this.keystores.refusal(keystoreId);
      if (refusal) throw refusal;
      try {
        this.hsm.checkKeySpec(partitionId, keySpec);
      } catch (err) {
        if (err instanceof UnsupportedKeySpecError) throw keystoreErrors.unsupported(err.message);
        throw err;
      }
    }
    if (this.cache.getByAlias(caller.projectId, input.key_alias) || this.deps.aliases.lookup(caller.projectId, input.key_alias)) throw kmsErrors.aliasExists();
    const now = this.opts.now();
    const row: KeyRow = {
      keyId: randomUUID(),
      domainId: caller.domainId,
      projectId: caller.projectId,
      keyAlias: input.key_alias,
      keyDescription: input.key_description ?? '',
      keySpec,
      keyUsage,
      origin,
      keyState: origin === 'external' ? KEY_STATE.pendingImport : KEY_STATE.enabled,
      defaultKeyFlag: isDefault ? 1 : 0,
      creationDate: now,
      scheduledDeletionDate: null,
      expirationTime: null,
      keystoreId,
      partitionId,
      rotationEnabled: 0,
      rotationInterval: 365,
      lastRotationTime: null,
      numberOfRotations: 0,
      currentVersion: origin === 'external' ? 0 : 1,
      revision: 1,
    };
    const ref = { keyId: row.keyId, version: 1, keySpec, partitionId: row.partitionId };
    // Asymmetric generation is async (RSA on libuv's pool), so a slow RSA-4096 keygen blocks no other request.
    const material = origin === 'external' ? null : spec.symmetric ? await this.hsm.generateSymmetric(ref) : await this.hsm.generateAsymmetric(ref);
    const outcome = await this.repo.insertKey(row, material, isDefault ? null : this.opts.keyQuota, isDefault ? undefined : this.auditHook(caller));
    if (outcome === 'quota') throw kmsErrors.quota();
    if (outcome === 'alias') {
      if (isDefault) throw new AliasTakenError();
      throw kmsErrors.aliasExists();
    }
    const rec: KeyRecord = { ...row, tags: {} };
    this.cache.put(rec);
    return rec;
  }

  describe(caller: Caller, keyId: string): Promise<KeyRecord> {
    return this.resolve(caller, keyId);
  }

  list(caller: Caller, q: ListKeysInput): { page: KeyRecord[]; total: number; nextMarker: string; truncated: boolean } {
    const limit = q.limit ?? 1000;
    const offset = q.marker ?? 0;
    const spec = q.key_spec ?? 'AES_256';
    const all = this.cache
      .listProject(caller.projectId)
      .filter((k) => (spec === 'ALL' || k.keySpec === spec) && (!q.key_state || k.keyState === q.key_state));
    const page = all.slice(offset, offset + limit);
    const truncated = offset + page.length < all.length;
    return { page, total: all.length, truncated, nextMarker: truncated ? String(offset + page.length) : '' };
  }

  toDetails(k: KeyRecord): Record<string, unknown> {
    return toKeyDetails(k, this.opts.region);
  }

  /** Applies a change to a key, guarded by its expected states; re-syncs and reports when it lost a race. */
  private async change(k: KeyRecord, patch: Partial<KeyRow>, fromStates: readonly string[], onWrongState: () => DewError, caller?: Caller): Promise<KeyRecord> {
    if (!fromStates.includes(k.keyState)) throw onWrongState();
    let ok: boolean;
    try {
      ok = await this.repo.updateKey(k.keyId, patch, fromStates, caller && this.auditHook(caller));
    } catch (err) {
      if (err instanceof AliasTakenError) throw kmsErrors.aliasExists();
      throw err;
    }
    if (!ok) {
      await this.cache.sync();
      const now = this.cache.get(k.keyId);
      if (!now) throw kmsErrors.notFound();
      throw onWrongState();
    }
    const next: KeyRecord = { ...k, ...patch, revision: k.revision + 1 };
    this.cache.put(next);
    return next;
  }

  private assertNotDefault(k: KeyRecord): void {
    if (k.defaultKeyFlag) throw kmsErrors.defaultKey();
  }

  async enable(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.resolve(caller, keyId);
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    return this.change(k, { keyState: KEY_STATE.enabled }, [KEY_STATE.disabled], kmsErrors.notDisabled, caller);
  }

  async disable(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.resolve(caller, keyId);
    this.assertNotDefault(k);
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    return this.change(k, { keyState: KEY_STATE.disabled }, [KEY_STATE.enabled], kmsErrors.notEnabled, caller);
  }

  async scheduleDeletion(caller: Caller, keyId: string, pendingDays: number): Promise<KeyRecord> {
    if (!Number.isInteger(pendingDays) || pendingDays < 7 || pendingDays > 1096) throw kmsErrors.pendingDays();
    const k = await this.resolve(caller, keyId);
    this.assertNotDefault(k);
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.alreadyPendingDeletion();
    const patch = { keyState: KEY_STATE.pendingDeletion, scheduledDeletionDate: this.opts.now() + pendingDays * DAY_MS };
    return this.change(k, patch, [KEY_STATE.enabled, KEY_STATE.disabled, KEY_STATE.pendingImport, KEY_STATE.pendingActivation], kmsErrors.alreadyPendingDeletion, caller);
  }

  async cancelDeletion(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.resolve(caller, keyId);
    // A key whose material was never imported goes back to waiting for it; any other to Disabled.
    const back = k.origin === 'external' && k.currentVersion === 0 ? KEY_STATE.pendingImport : KEY_STATE.disabled;
    return this.change(k, { keyState: back, scheduledDeletionDate: null }, [KEY_STATE.pendingDeletion], kmsErrors.notPendingDeletion, caller);
  }

  async updateAlias(caller: Caller, keyId: string, alias: string): Promise<KeyRecord> {
    const k = await this.resolve(caller, keyId);
    this.assertNotDefault(k);
    if (alias.endsWith('/default')) {
      throw kmsErrors.reservedAlias();
    }
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    if (alias === k.keyAlias) return k;
    if (this.cache.getByAlias(caller.projectId, alias) || this.deps.aliases.lookup(caller.projectId, alias)) throw kmsErrors.aliasExists();
    return this.change(k, { keyAlias: alias }, [k.keyState], kmsErrors.pendingDeletion, caller);
  }

  async updateDescription(caller: Caller, keyId: string, description: string): Promise<KeyRecord> {
    const k = await this.resolve(caller, keyId);
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    return this.change(k, { keyDescription: description }, [k.keyState], kmsErrors.pendingDeletion, caller);
  }

  /** Custom (non-default) keys of the project, whatever their state. */
  customKeyCount(caller: Caller): number {
    return this.cache.listProject(caller.projectId).filter((k) => !k.defaultKeyFlag).length;
  }

  get keyQuota(): number {
    return this.opts.keyQuota;
  }

  /** Tags: add or replace, remove; at most 10 per key. */
  async changeTags(caller: Caller, keyId: string, upserts: { key: string; value: string }[], removals: string[]): Promise<KeyRecord> {
    const k = await this.resolve(caller, keyId);
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    const next = { ...k.tags };
    for (const r of removals) delete next[r];
    for (const t of upserts) next[t.key] = t.value;
    if (Object.keys(next).length > 10) throw kmsErrors.tooManyTags();
    await this.repo.changeTags(k.keyId, upserts, removals, this.auditHook(caller));
    const rec: KeyRecord = { ...k, tags: next, revision: k.revision + 1 };
    this.cache.put(rec);
    return rec;
  }

  /** All keys of the caller's project (for tag listing and resource-instance queries). */
  projectKeys(caller: Caller): KeyRecord[] {
    return this.cache.listProject(caller.projectId);
  }
}

/** The service name when `alias` is a default-key alias such as `csms/default`. */
export function defaultKeyService(alias: string): string | undefined {
  const slash = alias.indexOf('/');
  if (slash <= 0 || alias.slice(slash) !== '/default') return undefined;
  const service = alias.slice(0, slash);
  return DEFAULT_KEY_SERVICES.includes(service) ? service : undefined;
}
