/**
 * The software HSM: the only code that sees key material in the clear. Master key → partition
 * root keys → key material, each level sealed with AES-256-GCM under the level above, with the
 * owner's identity (partition id; key id and version) bound as associated data.
 * Unwrapped material is cached in a bounded LRU and wiped when evicted.
 */
import { randomBytes, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { seal, open } from './aead.js';
import { Lru } from './lru.js';
import { keySpecInfo, type KeySpecInfo } from './key-specs.js';
import { aesCipher, sm4Cipher, encryptBlob, decryptBlob, DecryptError, type SymmetricCipher } from './symmetric.js';
import { parseBlob, BlobFormatError, type BlobHeader, type BlobKind } from './ciphertext-blob.js';

export const DEFAULT_PARTITION = 'default';

/** What the HSM needs from storage; it never sees anything but wrapped bytes there. */
export interface HsmStore {
  /** Inserts the root unless one exists, then returns the stored one (so racing daemons agree). */
  ensurePartitionRoot(partitionId: string, wrapped: Buffer): Promise<Buffer>;
  loadPartitionRoot(partitionId: string): Promise<Buffer | undefined>;
  loadMaterial(keyId: string, version: number): Promise<Buffer | undefined>;
}

/** A reference to one version of one key. */
export interface KeyRef {
  keyId: string;
  version: number;
  keySpec: string;
  partitionId: string;
}

interface CachedKey {
  readonly spec: KeySpecInfo;
  readonly raw: Buffer;
  readonly cipher?: SymmetricCipher;
}

export class KeyMaterialMissingError extends Error {
  constructor(ref: { keyId: string; version: number }) {
    super(`no material for key ${ref.keyId} version ${ref.version}`);
    this.name = 'KeyMaterialMissingError';
  }
}

export { DecryptError, BlobFormatError };
export type { BlobHeader, BlobKind };

const materialContext = (keyId: string, version: number) => `dew/key-material/v1|${keyId}|${version}`;
const partitionContext = (partitionId: string) => `dew/partition-root/v1|${partitionId}`;

export class SoftwareHsm {
  private readonly roots = new Map<string, Buffer>();
  private readonly cache: Lru<string, CachedKey>;
  private readonly tokenMacKey: Buffer;

  constructor(
    private readonly master: Buffer,
    private readonly store: HsmStore,
    opts: { cacheSize?: number } = {},
  ) {
    if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
    this.cache = new Lru(opts.cacheSize ?? 10_000, (k) => k.raw.fill(0));
    this.tokenMacKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'dew/token-mac/v1', 32));
  }

  /** Makes sure the default partition has a root key. */
  async init(): Promise<void> {
    await this.partitionRoot(DEFAULT_PARTITION);
  }

  /** Returns a partition's root key, creating it on first use. */
  private async partitionRoot(partitionId: string): Promise<Buffer> {
    const cached = this.roots.get(partitionId);
    if (cached) return cached;
    let wrapped = await this.store.loadPartitionRoot(partitionId);
    if (!wrapped) {
      const fresh = randomBytes(32);
      wrapped = await this.store.ensurePartitionRoot(partitionId, seal(this.master, fresh, partitionContext(partitionId)));
      fresh.fill(0);
    }
    const root = open(this.master, wrapped, partitionContext(partitionId));
    this.roots.set(partitionId, root);
    return root;
  }

  /** Generates fresh symmetric material for a key version and returns it wrapped, for storage. */
  async generateSymmetric(ref: KeyRef): Promise<Buffer> {
    const spec = this.assertSymmetric(ref.keySpec);
    const material = randomBytes(spec.materialBytes);
    try {
      return seal(await this.partitionRoot(ref.partitionId), material, materialContext(ref.keyId, ref.version));
    } finally {
      material.fill(0);
    }
  }

  private assertSymmetric(keySpec: string): KeySpecInfo {
    const spec = keySpecInfo(keySpec);
    if (!spec || !spec.symmetric) throw new TypeError(`keySpec: ${keySpec} is not a symmetric key spec`);
    return spec;
  }

  private cacheKey(ref: { keyId: string; version: number }): string {
    return `${ref.keyId}#${ref.version}`;
  }

  /** Loads (and caches) a key version; the hot path finds it cached and awaits nothing. */
  private async load(ref: KeyRef): Promise<CachedKey> {
    const id = this.cacheKey(ref);
    const hit = this.cache.get(id);
    if (hit) return hit;
    const wrapped = await this.store.loadMaterial(ref.keyId, ref.version);
    if (!wrapped) throw new KeyMaterialMissingError(ref);
    const raw = open(await this.partitionRoot(ref.partitionId), wrapped, materialContext(ref.keyId, ref.version));
    const spec = this.assertSymmetric(ref.keySpec);
    if (raw.length !== spec.materialBytes) throw new KeyMaterialMissingError(ref);
    const entry: CachedKey = {
      spec,
      raw,
      cipher: spec.family === 'aes' ? aesCipher(raw) : spec.family === 'sm4' ? sm4Cipher(raw) : undefined,
    };
    this.cache.set(id, entry);
    return entry;
  }

  /** Forgets cached material of a key (after deletion or material removal). */
  forget(keyId: string, versions: number): void {
    for (let v = 1; v <= versions; v++) this.cache.delete(this.cacheKey({ keyId, version: v }));
  }

  /** Encrypts with the given key version into a self-describing blob. */
  async encrypt(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    const k = this.cache.get(this.cacheKey(ref)) ?? (await this.load(ref));
    if (!k.cipher) throw new TypeError(`keySpec: ${ref.keySpec} cannot encrypt`);
    return encryptBlob(k.cipher, { keyId: ref.keyId, keyVersion: ref.version, kind }, plaintext, aad);
  }

  /** Decrypts a blob whose header names `ref`; throws DecryptError when it does not authenticate. */
  async decrypt(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Promise<Buffer> {
    const k = this.cache.get(this.cacheKey(ref)) ?? (await this.load(ref));
    if (!k.cipher) throw new DecryptError();
    return decryptBlob(k.cipher, blob, header, aad);
  }

  /** Reads a blob's header (key id, version, kind) without any key. */
  parseBlob(blob: Uint8Array): BlobHeader {
    return parseBlob(blob);
  }

  /** HMAC of `message` with an HMAC key version. */
  async mac(ref: KeyRef, message: Uint8Array): Promise<Buffer> {
    const k = this.cache.get(this.cacheKey(ref)) ?? (await this.load(ref));
    if (k.spec.family !== 'hmac' || !k.spec.digest) throw new TypeError(`keySpec: ${ref.keySpec} is not an HMAC key`);
    return createHmac(k.spec.digest, k.raw).update(message).digest();
  }

  async verifyMac(ref: KeyRef, message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    const expected = await this.mac(ref, message);
    return expected.length === mac.length && timingSafeEqual(expected, mac);
  }

  /** Seals a small secret (an AK's secret key) under the master key, bound to `context`. */
  sealSecret(secret: Uint8Array, context: string): Buffer {
    return seal(this.master, secret, `dew/secret/v1|${context}`);
  }

  openSecret(wrapped: Buffer, context: string): Buffer {
    return open(this.master, wrapped, `dew/secret/v1|${context}`);
  }

  /** The key that authenticates X-Auth-Token bearer tokens (derived from the master key). */
  tokenKey(): Buffer {
    return this.tokenMacKey;
  }

  random(bytes: number): Buffer {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) throw new RangeError('bytes: 1..1024 expected');
    return randomBytes(bytes);
  }
}
