/**
 * The software HSM: the Hsm (hsm.ts) whose partitions are software partitions. Master key →
 * partition root keys → key material, each level sealed with AES-256-GCM under the level above, with
 * the owner's identity (partition id; key id and version) bound as associated data. This file only
 * opens partitions and routes each KeyRef to its partition; the work is in software-partition.ts,
 * partition-root.ts, key-cache.ts and derived-keys.ts.
 */
import { fillRandom } from './random-pool.js';
import type { VerifyPool } from './asym/verify-pool.js';
import type { WrappingAlgorithm } from './import-unwrap.js';
import type { BlobHeader, BlobKind } from './ciphertext-blob.js';
import { parseBlob } from './ciphertext-blob.js';
import type { EncryptionAlgorithm, MessageType, SigningAlgorithm } from './asym/key-specs.js';
import { DEFAULT_PARTITION, type Hsm } from './hsm.js';
import { UnknownPartitionError } from './errors.js';
import { DerivedKeys } from './derived-keys.js';
import { PartitionRoot, rewrapRoot, type PartitionRootStore } from './partition-root.js';
import { SoftwarePartition } from './software-partition.js';
import type { ImportWrapping, ImportWrappingKey, ImportedMaterial, KeyRef, MaterialStore, Partition } from './partition.js';

/** What the HSM needs from storage; it never sees anything but wrapped bytes there. */
export interface HsmStore extends PartitionRootStore, MaterialStore {}

export interface SoftwareHsmOptions {
  /** Loaded key versions kept per partition (default 10 000). */
  cacheSize?: number;
  verifyPool?: VerifyPool;
  /**
   * What the HSM-wide keys derive from (derived-keys.ts): kept across rekeys, sealed under the
   * master key in the database; absent on a database never rekeyed, where it is the master key.
   * Owned by the HSM from here on (wiped by `wipe`).
   */
  derivedBase?: Buffer;
}

/** The stored roots, re-sealed under a new master key, and the derived-keys base sealed under it: what a rekey commits. */
export interface RekeyedRoots {
  roots: { partitionId: string; wrapped: Buffer }[];
  derivedBaseSealed: Buffer;
}

export class SoftwareHsm implements Hsm {
  private readonly partitions = new Map<string, Partition>();
  private readonly opening = new Map<string, Promise<Partition>>();
  private readonly derived: DerivedKeys;
  private readonly base: Buffer;
  /** Set while a rekey swaps the master key: partition opens wait for it (a root sealed under the old key would be lost). */
  private rekeying: Promise<void> | undefined;

  /** Takes ownership of `master` (and `opts.derivedBase`): `wipe` zeroes them. */
  constructor(
    private master: Buffer,
    private readonly store: HsmStore,
    private readonly opts: SoftwareHsmOptions = {},
  ) {
    if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
    if (opts.derivedBase !== undefined && opts.derivedBase.length !== 32) throw new TypeError('opts.derivedBase: 32 bytes expected');
    this.base = opts.derivedBase ?? master;
    this.derived = new DerivedKeys(this.base);
  }

  /** Opens the default partition (creating its root on a new database). */
  async init(): Promise<void> {
    await this.openPartition(DEFAULT_PARTITION);
  }

  /**
   * Opens a software partition: its root is read (or made and stored, sealed under the master key)
   * once; later calls return the same partition. The seam for HSM instances (issue 14).
   */
  openPartition(partitionId: string): Promise<Partition> {
    const open = this.partitions.get(partitionId);
    if (open) return Promise.resolve(open);
    let p = this.opening.get(partitionId);
    if (!p) {
      const rekeying = this.rekeying ?? Promise.resolve();
      p = rekeying
        .then(() => PartitionRoot.open(this.master, this.store, partitionId))
        .then((root) => {
          const partition = new SoftwarePartition(root, {
            store: this.store,
            cacheSize: this.opts.cacheSize ?? 10_000,
            verifyPool: this.opts.verifyPool,
            materialDigest: (keyId, material) => this.derived.materialDigest(keyId, material),
          });
          this.partitions.set(partitionId, partition);
          return partition;
        })
        .finally(() => this.opening.delete(partitionId));
      this.opening.set(partitionId, p);
    }
    return p;
  }

  /**
   * Moves to a new master key without touching any key below the roots: every stored root is
   * re-sealed under `next` (read through `loadRoots`), the derived-keys base too, and `commit`
   * stores them in one transaction. Only once it succeeds does this HSM use `next` (a copy; the
   * caller keeps its buffer); on failure nothing changed. Partition opens wait meanwhile.
   */
  async rekey(
    next: Buffer,
    loadRoots: () => Promise<{ partitionId: string; wrapped: Buffer }[]>,
    commit: (rekeyed: RekeyedRoots) => Promise<void>,
  ): Promise<void> {
    if (next.length !== 32) throw new TypeError('next: 32 bytes expected');
    while (this.rekeying) await this.rekeying;
    let done!: () => void;
    this.rekeying = new Promise<void>((r) => (done = r));
    try {
      await Promise.allSettled([...this.opening.values()]);
      const stored = await loadRoots();
      const roots = stored.map((r) => ({ partitionId: r.partitionId, wrapped: rewrapRoot(this.master, next, r.partitionId, r.wrapped) }));
      await commit({ roots, derivedBaseSealed: this.derived.sealBase(next) });
      const old = this.master;
      this.master = Buffer.from(next);
      // On a database never rekeyed the old master is still the base: it stays, sealed under the new one.
      if (old !== this.base) old.fill(0);
    } finally {
      this.rekeying = undefined;
      done();
    }
  }

  /** Zeroes the master key, the base, the derived keys, every partition root and loaded key: the HSM is unusable afterwards (sealing). */
  wipe(): void {
    for (const p of this.partitions.values()) (p as Partition & { wipe?: () => void }).wipe?.();
    this.partitions.clear();
    this.derived.wipe();
    this.master.fill(0);
    this.base.fill(0);
  }

  hasPartition(partitionId: string): boolean {
    return this.partitions.has(partitionId);
  }

  attachPartition(partition: Partition): void {
    if (this.partitions.has(partition.id) || this.opening.has(partition.id)) throw new TypeError(`partition ${partition.id} is already open`);
    this.partitions.set(partition.id, partition);
  }

  async detachPartition(partitionId: string): Promise<void> {
    if (partitionId === DEFAULT_PARTITION) throw new TypeError('the default partition cannot be detached');
    await this.opening.get(partitionId)?.catch(() => undefined);
    const p = this.partitions.get(partitionId);
    this.partitions.delete(partitionId);
    await p?.close?.();
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    // A partition that is not open here (its instance was deleted) holds nothing to destroy.
    await this.partitions.get(ref.partitionId)?.destroyKey?.(ref);
  }

  checkKeySpec(partitionId: string, keySpec: string): void {
    this.partition(partitionId).checkKeySpec?.(keySpec);
  }

  private partition(partitionId: string): Partition {
    const p = this.partitions.get(partitionId);
    if (!p) throw new UnknownPartitionError(partitionId);
    return p;
  }

  async generateSymmetric(ref: KeyRef): Promise<Buffer> {
    return this.partition(ref.partitionId).generateSymmetric(ref);
  }

  async generateAsymmetric(ref: KeyRef): Promise<Buffer> {
    return this.partition(ref.partitionId).generateAsymmetric(ref);
  }

  async encrypt(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    return this.partition(ref.partitionId).encrypt(ref, kind, plaintext, aad);
  }

  encryptCached(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Buffer | undefined {
    return this.partition(ref.partitionId).encryptCached(ref, kind, plaintext, aad);
  }

  async decrypt(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Promise<Buffer> {
    return this.partition(ref.partitionId).decrypt(ref, blob, header, aad);
  }

  decryptCached(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Buffer | undefined {
    return this.partition(ref.partitionId).decryptCached(ref, blob, header, aad);
  }

  async mac(ref: KeyRef, message: Uint8Array): Promise<Buffer> {
    return this.partition(ref.partitionId).mac(ref, message);
  }

  async verifyMac(ref: KeyRef, message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    return this.partition(ref.partitionId).verifyMac(ref, message, mac);
  }

  async sign(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Promise<Buffer> {
    return this.partition(ref.partitionId).sign(ref, algorithm, message, messageType);
  }

  async verify(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): Promise<boolean> {
    return this.partition(ref.partitionId).verify(ref, algorithm, message, messageType, signature);
  }

  async publicKeyPem(ref: KeyRef): Promise<string> {
    return this.partition(ref.partitionId).publicKeyPem(ref);
  }

  async asymmetricEncrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Promise<Buffer> {
    return this.partition(ref.partitionId).asymmetricEncrypt(ref, algorithm, plaintext);
  }

  async asymmetricDecrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Promise<Buffer> {
    return this.partition(ref.partitionId).asymmetricDecrypt(ref, algorithm, ciphertext);
  }

  async createImportWrappingKey(algorithm: WrappingAlgorithm, tokenId: string, partitionId: string): Promise<ImportWrappingKey> {
    return this.partition(partitionId).createImportWrappingKey(algorithm, tokenId);
  }

  async importMaterial(
    ref: KeyRef,
    wrapping: ImportWrapping,
    encryptedKeyMaterial: Uint8Array,
    encryptedPrivateKey: Uint8Array | undefined,
  ): Promise<ImportedMaterial> {
    return this.partition(ref.partitionId).importMaterial(ref, wrapping, encryptedKeyMaterial, encryptedPrivateKey);
  }

  /** A key id names one key in one partition; the callers do not say which, so every partition forgets it. */
  forget(keyId: string, versions: number): void {
    for (const p of this.partitions.values()) p.forget(keyId, versions);
  }

  importTokenMac(data: Uint8Array): Buffer {
    return this.derived.importTokenMac(data);
  }

  /** X-Auth-Token MACs: the key stays here (derived-keys.ts); the HTTP edge gets this capability only. */
  macToken(bytes: Uint8Array | string): Buffer {
    return this.derived.tokenMac.macToken(bytes);
  }

  verifyTokenMac(bytes: Uint8Array | string, mac: Uint8Array): boolean {
    return this.derived.tokenMac.verifyTokenMac(bytes, mac);
  }

  sealSecret(secret: Uint8Array, context: string): Buffer {
    return this.derived.sealSecret(secret, context);
  }

  openSecret(wrapped: Buffer, context: string): Buffer {
    return this.derived.openSecret(wrapped, context);
  }

  /** From the pooled CSPRNG buffer (random-pool.ts): a data key no longer costs a call into OpenSSL's RAND_bytes each. */
  random(bytes: number): Buffer {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) throw new RangeError('bytes: 1..1024 expected');
    const out = Buffer.allocUnsafe(bytes);
    fillRandom(out);
    return out;
  }

  parseBlob(blob: Uint8Array): BlobHeader {
    return parseBlob(blob);
  }
}
