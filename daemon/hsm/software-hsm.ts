/**
 * The software HSM: the only code that sees key material in the clear. Master key → partition
 * root keys → key material, each level sealed with AES-256-GCM under the level above, with the
 * owner's identity (partition id; key id and version) bound as associated data.
 * Unwrapped material is cached in a bounded LRU and wiped when evicted; asymmetric keys are cached
 * as parsed handles (parsing PKCS#8 costs ~310 µs), never re-parsed per request.
 */
import { randomBytes, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  generateAsymmetricKey, loadPrivateKey, wipeKeyHandle, sign as asymSign, planVerify, runVerifyCheck,
  encrypt as asymEncrypt, decrypt as asymDecrypt, publicKeyPem as asymPublicKeyPem,
  type AsymmetricKeyHandle,
} from './asym/asymmetric.js';
import { isAsymmetricKeySpec, type AsymmetricKeySpec, type EncryptionAlgorithm, type MessageType, type SigningAlgorithm } from './asym/key-specs.js';
import { unwrapImportedMaterial, wrappingKeySpec, type WrappingAlgorithm } from './import-unwrap.js';
import { seal, open } from './aead.js';
import type { VerifyPool } from './asym/verify-pool.js';
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
  /** Symmetric material (empty for asymmetric keys, whose DER is wiped once parsed). */
  readonly raw: Buffer;
  readonly cipher?: SymmetricCipher;
  readonly handle?: AsymmetricKeyHandle;
}

/** A freshly made import wrapping key: its public half for the caller, its private half sealed for storage. */
export interface ImportWrappingKey {
  publicKeySpkiDer: Buffer;
  sealed: Buffer;
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
const wrappingKeyContext = (tokenId: string) => `dew/import-wrapping-key/v1|${tokenId}`;

function evict(k: CachedKey): void {
  k.raw.fill(0);
  if (k.handle) wipeKeyHandle(k.handle);
}

export class SoftwareHsm {
  private readonly roots = new Map<string, Buffer>();
  private readonly cache: Lru<string, CachedKey>;
  /** Threads for the curve checks node:crypto cannot do (SM2, ECDSA over a digest); absent: on this thread. */
  private readonly verifyPool: VerifyPool | undefined;
  private readonly tokenMacKey: Buffer;
  private readonly importTokenKey: Buffer;
  private readonly importDigestKey: Buffer;

  constructor(
    private readonly master: Buffer,
    private readonly store: HsmStore,
    opts: { cacheSize?: number; verifyPool?: VerifyPool } = {},
  ) {
    this.verifyPool = opts.verifyPool;
    if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
    this.cache = new Lru(opts.cacheSize ?? 10_000, evict);
    this.tokenMacKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'dew/token-mac/v1', 32));
    this.importTokenKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'dew/import-token/v1', 32));
    this.importDigestKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'dew/import-digest/v1', 32));
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
    if (isAsymmetricKeySpec(ref.keySpec)) {
      const info = keySpecInfo(ref.keySpec)!;
      try {
        const entry: CachedKey = { spec: info, raw: Buffer.alloc(0), handle: loadPrivateKey(ref.keySpec, raw) };
        this.cache.set(id, entry);
        return entry;
      } finally {
        raw.fill(0);
      }
    }
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

  /** Generates an asymmetric key pair off the event loop (RSA on libuv's pool); returns the PKCS#8 DER sealed for storage. */
  async generateAsymmetric(ref: KeyRef): Promise<Buffer> {
    const spec = this.assertAsymmetric(ref.keySpec);
    const pair = await generateAsymmetricKey(spec);
    try {
      return seal(await this.partitionRoot(ref.partitionId), pair.privateKeyDer, materialContext(ref.keyId, ref.version));
    } finally {
      pair.privateKeyDer.fill(0);
    }
  }

  private assertAsymmetric(keySpec: string): AsymmetricKeySpec {
    if (!isAsymmetricKeySpec(keySpec)) throw new TypeError(`keySpec: ${keySpec} is not an asymmetric key spec`);
    return keySpec;
  }

  /** The cached handle of an asymmetric key version (loaded once, then reused). */
  private async handle(ref: KeyRef): Promise<{ spec: AsymmetricKeySpec; handle: AsymmetricKeyHandle }> {
    const spec = this.assertAsymmetric(ref.keySpec);
    const k = this.cache.get(this.cacheKey(ref)) ?? (await this.load(ref));
    if (!k.handle) throw new KeyMaterialMissingError(ref);
    return { spec, handle: k.handle };
  }

  /** Signs with an asymmetric key version; throws CryptoInputError for input the caller must fix. */
  async sign(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Promise<Buffer> {
    const { spec, handle } = await this.handle(ref);
    return asymSign(spec, handle, algorithm, message, messageType);
  }

  async verify(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): Promise<boolean> {
    const { spec, handle } = await this.handle(ref);
    const step = planVerify(spec, handle, algorithm, message, messageType, signature);
    if ('done' in step) return step.done;
    if (this.verifyPool) {
      try {
        return await this.verifyPool.verify(step.check);
      } catch {
        // a verification thread failed: check here instead
      }
    }
    return runVerifyCheck(step.check, step.point);
  }

  /** PEM SubjectPublicKeyInfo of an asymmetric key version. */
  async publicKeyPem(ref: KeyRef): Promise<string> {
    const { spec, handle } = await this.handle(ref);
    return asymPublicKeyPem(spec, handle);
  }

  /** RSAES-OAEP or SM2 encryption with an asymmetric key version's public half. */
  async asymmetricEncrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Promise<Buffer> {
    const { spec, handle } = await this.handle(ref);
    return asymEncrypt(spec, handle, algorithm, plaintext);
  }

  async asymmetricDecrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Promise<Buffer> {
    const { spec, handle } = await this.handle(ref);
    return asymDecrypt(spec, handle, algorithm, ciphertext);
  }

  /** A fresh wrapping key for one import token (RSA-3072 or SM2), its private half sealed under the partition root. */
  async createImportWrappingKey(algorithm: WrappingAlgorithm, tokenId: string, partitionId: string): Promise<ImportWrappingKey> {
    const pair = await generateAsymmetricKey(wrappingKeySpec(algorithm));
    try {
      return { publicKeySpkiDer: pair.publicKeySpkiDer, sealed: seal(await this.partitionRoot(partitionId), pair.privateKeyDer, wrappingKeyContext(tokenId)) };
    } finally {
      pair.privateKeyDer.fill(0);
    }
  }

  /**
   * Opens material wrapped for import with a token's wrapping key, checks it fits the key spec and
   * returns it sealed for `ref` plus a keyed digest (for the "byte-identical re-import" rule); the
   * clear material never leaves this method. Throws ImportMaterialError for input the caller must fix.
   */
  async importMaterial(
    ref: KeyRef,
    wrapping: { algorithm: WrappingAlgorithm; sealed: Buffer; tokenId: string },
    encryptedKeyMaterial: Uint8Array,
    encryptedPrivateKey: Uint8Array | undefined,
  ): Promise<{ sealed: Buffer; digest: Buffer }> {
    const root = await this.partitionRoot(ref.partitionId);
    const wrappingDer = open(root, wrapping.sealed, wrappingKeyContext(wrapping.tokenId));
    let wrappingKey: AsymmetricKeyHandle;
    try {
      wrappingKey = loadPrivateKey(wrappingKeySpec(wrapping.algorithm), wrappingDer);
    } finally {
      wrappingDer.fill(0);
    }
    try {
      const material = unwrapImportedMaterial(wrappingKey, wrapping.algorithm, ref.keySpec, encryptedKeyMaterial, encryptedPrivateKey);
      try {
        return {
          sealed: seal(root, material, materialContext(ref.keyId, ref.version)),
          digest: this.materialDigest(ref.keyId, material),
        };
      } finally {
        material.fill(0);
      }
    } finally {
      wipeKeyHandle(wrappingKey);
    }
  }

  /** HMAC-SHA-256 of a key's material under an HSM-derived key: lets re-import compare without storing material in clear. */
  private materialDigest(keyId: string, material: Uint8Array): Buffer {
    return createHmac('sha256', this.importDigestKey).update(keyId).update('\u0000').update(material).digest();
  }

  /** MAC for import tokens (derived from the master key, separate from the bearer-token key). */
  importTokenMac(data: Uint8Array): Buffer {
    return createHmac('sha256', this.importTokenKey).update(data).digest();
  }

  /** Forgets cached material of a key (after deletion or material removal). */
  forget(keyId: string, versions: number): void {
    for (let v = 1; v <= versions; v++) this.cache.delete(this.cacheKey({ keyId, version: v }));
  }

  /** Encrypts with the given key version into a self-describing blob. */
  async encrypt(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    return this.encryptWith(this.cache.get(this.cacheKey(ref)) ?? (await this.load(ref)), ref, kind, plaintext, aad);
  }

  /** `encrypt` without waiting: undefined when the key version is not in the cache yet (then call `encrypt`). */
  encryptCached(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Buffer | undefined {
    const k = this.cache.get(this.cacheKey(ref));
    return k && this.encryptWith(k, ref, kind, plaintext, aad);
  }

  private encryptWith(k: CachedKey, ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
    if (!k.cipher) throw new TypeError(`keySpec: ${ref.keySpec} cannot encrypt`);
    return encryptBlob(k.cipher, { keyId: ref.keyId, keyVersion: ref.version, kind }, plaintext, aad);
  }

  /** Decrypts a blob whose header names `ref`; throws DecryptError when it does not authenticate. */
  async decrypt(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Promise<Buffer> {
    return this.decryptWith(this.cache.get(this.cacheKey(ref)) ?? (await this.load(ref)), blob, header, aad);
  }

  /** `decrypt` without waiting: undefined when the key version is not in the cache yet (then call `decrypt`). */
  decryptCached(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Buffer | undefined {
    const k = this.cache.get(this.cacheKey(ref));
    return k && this.decryptWith(k, blob, header, aad);
  }

  private decryptWith(k: CachedKey, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Buffer {
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
