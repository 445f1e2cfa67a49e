/**
 * What this daemon knows of the HSM instances and keystores: which partition a keystore's keys
 * live in, and whether they may be used now (keystore enabled, instance not frozen). It is the
 * KeystoreLookup the key service consults on create and on every use, so it answers from memory;
 * it is loaded at start and refreshed from the change feed (`hsm`, `keystore`) when another daemon
 * changes either, and it opens and closes the instances' partitions in the HSM as they come and go.
 */
import { DEFAULT_PARTITION, type Hsm } from '../../hsm/hsm.js';
import { keystoreErrors, type DewError } from '../../errors.js';
import type { HsmRepo, HsmRow, KeystoreRow } from '../../store/hsm-repo.js';
import { DEFAULT_KEYSTORE, type KeystoreLookup } from '../keystores.js';
import type { TokenBackend, TokenInfo, TokenPins } from './token-backend.js';

/** The statuses in which an instance's partition is open (its keys exist; a frozen one refuses use). */
const OPEN_STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'FROZEN']);

/** The context the token PINs are sealed under, bound to the instance. */
export const pinContext = (hsmId: string) => `dew/hsm-token-pins/v1|${hsmId}`;

export interface RegistryDeps {
  repo: HsmRepo;
  hsm: Hsm;
  /** The PKCS#11 library's backend; absent when the daemon has none configured. */
  tokens?: TokenBackend;
  log: (line: string) => void;
}

export class HsmRegistry implements KeystoreLookup {
  private readonly instances = new Map<string, HsmRow>();
  private readonly stores = new Map<string, KeystoreRow>();
  /** Instances whose partition could not be opened here, and why (a pkcs11 instance on a daemon without the library). */
  private readonly unavailable = new Map<string, string>();

  constructor(private readonly d: RegistryDeps) {}

  async load(): Promise<void> {
    for (const row of await this.d.repo.allInstances()) await this.putInstance(row);
    for (const ks of await this.d.repo.allKeystores()) this.stores.set(ks.keystoreId, ks);
  }

  /** Re-reads the named instances (feed kind `hsm`): opens new partitions, closes deleted ones. */
  async reloadInstances(ids: readonly string[]): Promise<void> {
    const rows = new Map((await this.d.repo.instancesById(ids)).map((r) => [r.hsmId, r]));
    for (const id of ids) {
      const row = rows.get(id);
      if (row) await this.putInstance(row);
      else await this.removeInstance(id);
    }
  }

  /** Re-reads the named keystores (feed kind `keystore`). */
  async reloadKeystores(ids: readonly string[]): Promise<void> {
    const rows = new Map((await this.d.repo.keystoresById(ids)).map((r) => [r.keystoreId, r]));
    for (const id of ids) {
      const row = rows.get(id);
      if (row) this.stores.set(id, row);
      else this.stores.delete(id);
    }
  }

  /** Records an instance as it now is, opening its partition when it has become usable. */
  async putInstance(row: HsmRow): Promise<void> {
    this.instances.set(row.hsmId, row);
    if (OPEN_STATUSES.has(row.status) && !this.d.hsm.hasPartition(row.partitionId)) await this.openPartition(row);
  }

  async removeInstance(hsmId: string): Promise<void> {
    const row = this.instances.get(hsmId);
    this.instances.delete(hsmId);
    this.unavailable.delete(hsmId);
    if (row && this.d.hsm.hasPartition(row.partitionId)) await this.d.hsm.detachPartition(row.partitionId);
  }

  /** Closes every instance partition this daemon opened (shutdown: token sessions end before the library does). */
  async close(): Promise<void> {
    for (const row of this.instances.values()) {
      if (this.d.hsm.hasPartition(row.partitionId)) await this.d.hsm.detachPartition(row.partitionId);
    }
  }

  putKeystore(row: KeystoreRow): void {
    this.stores.set(row.keystoreId, row);
  }

  removeKeystore(keystoreId: string): void {
    this.stores.delete(keystoreId);
  }

  instance(hsmId: string): HsmRow | undefined {
    return this.instances.get(hsmId);
  }

  keystoreOf(hsmId: string): KeystoreRow | undefined {
    for (const ks of this.stores.values()) if (ks.hsmId === hsmId) return ks;
    return undefined;
  }

  /** The token's place and PINs of a pkcs11 instance (PINs unsealed for this call only). */
  tokenOf(row: HsmRow): { token: TokenInfo; pins: TokenPins } | undefined {
    if (!row.token || !row.tokenSealed) return undefined;
    const pins = JSON.parse(this.d.hsm.openSecret(row.tokenSealed, pinContext(row.hsmId)).toString('utf8')) as TokenPins;
    return { token: JSON.parse(row.token) as TokenInfo, pins };
  }

  private async openPartition(row: HsmRow): Promise<void> {
    try {
      if (row.specification === 'software') {
        await this.d.hsm.openPartition(row.partitionId);
      } else {
        if (!this.d.tokens) throw new Error('this daemon has no PKCS#11 library configured (--pkcs11-library)');
        const t = this.tokenOf(row);
        if (!t) throw new Error('the instance has no token recorded');
        this.d.hsm.attachPartition(await this.d.tokens.open(row.partitionId, t.token, t.pins));
      }
      this.unavailable.delete(row.hsmId);
    } catch (err) {
      // The instance stays listed; its keys refuse use with the reason until the partition opens.
      const why = (err as Error).message;
      this.unavailable.set(row.hsmId, why);
      this.d.log(JSON.stringify({ level: 'warn', msg: 'HSM instance partition not opened', hsm_id: row.hsmId, error: why }));
    }
  }

  partitionFor(keystoreId: string): string | undefined {
    if (keystoreId === DEFAULT_KEYSTORE) return DEFAULT_PARTITION;
    const ks = this.stores.get(keystoreId);
    const inst = ks && this.instances.get(ks.hsmId);
    return inst?.partitionId;
  }

  /** Why the keys of `keystoreId` cannot be used now (disabled, frozen, partition not open), or undefined. */
  refusal(keystoreId: string): DewError | undefined {
    if (keystoreId === DEFAULT_KEYSTORE) return undefined;
    const ks = this.stores.get(keystoreId);
    if (!ks) return keystoreErrors.unavailable(keystoreId, 'the keystore no longer exists');
    if (ks.state !== 'ENABLED') return keystoreErrors.disabled(keystoreId);
    const inst = this.instances.get(ks.hsmId);
    if (!inst) return keystoreErrors.unavailable(keystoreId, `its HSM instance ${ks.hsmId} no longer exists`);
    if (inst.status === 'FROZEN') return keystoreErrors.frozen(keystoreId, inst.hsmId);
    if (inst.status !== 'RUNNING') return keystoreErrors.unavailable(keystoreId, `its HSM instance ${inst.hsmId} is ${inst.status}`);
    const why = this.unavailable.get(inst.hsmId);
    if (why !== undefined || !this.d.hsm.hasPartition(inst.partitionId)) return keystoreErrors.unavailable(keystoreId, `its HSM instance's partition is not open on this daemon (${why ?? 'not opened'})`);
    return undefined;
  }
}
