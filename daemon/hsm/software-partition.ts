/**
 * The software partition: a Partition (partition.ts) whose root key is a PartitionRoot and whose
 * keys are loaded on first use into its own KeyCache, so one partition's loaded keys are never
 * reachable through another's references. The hot path (`encryptCached`, `decryptCached`) finds a
 * loaded key and awaits nothing.
 */
import { randomBytes, createHmac, timingSafeEqual } from 'node:crypto';
import {
  generateAsymmetricKey, loadPrivateKey, wipeKeyHandle, sign as asymSign, planVerify, runVerifyCheck,
  encrypt as asymEncrypt, decrypt as asymDecrypt, publicKeyPem as asymPublicKeyPem,
  type AsymmetricKeyHandle,
} from './asym/asymmetric.js';
import { isAsymmetricKeySpec, type AsymmetricKeySpec, type EncryptionAlgorithm, type MessageType, type SigningAlgorithm } from './asym/key-specs.js';
import type { VerifyPool } from './asym/verify-pool.js';
import { unwrapImportedMaterial, wrappingKeySpec, type WrappingAlgorithm } from './import-unwrap.js';
import { encryptBlob, decryptBlob, DecryptError } from './symmetric.js';
import type { BlobHeader, BlobKind } from './ciphertext-blob.js';
import { KeyCache, toCachedKey, assertSymmetricSpec, type CachedKey } from './key-cache.js';
import { KeyMaterialMissingError } from './errors.js';
import type { PartitionRoot } from './partition-root.js';
import type { ImportWrapping, ImportWrappingKey, ImportedMaterial, KeyRef, MaterialStore, Partition } from './partition.js';

export interface SoftwarePartitionOptions {
  store: MaterialStore;
  /** Loaded key versions kept by this partition. */
  cacheSize: number;
  /** Threads for the curve checks node:crypto cannot do (SM2, ECDSA over a digest); absent: on this thread. */
  verifyPool?: VerifyPool;
  /** The HSM-wide keyed digest of imported material (derived-keys.ts). */
  materialDigest: (keyId: string, material: Uint8Array) => Buffer;
}

function assertAsymmetric(keySpec: string): AsymmetricKeySpec {
  if (!isAsymmetricKeySpec(keySpec)) throw new TypeError(`keySpec: ${keySpec} is not an asymmetric key spec`);
  return keySpec;
}

export class SoftwarePartition implements Partition {
  private readonly cache: KeyCache;

  constructor(
    private readonly root: PartitionRoot,
    private readonly opts: SoftwarePartitionOptions,
  ) {
    this.cache = new KeyCache(opts.cacheSize);
  }

  get id(): string {
    return this.root.partitionId;
  }

  async generateSymmetric(ref: KeyRef): Promise<Buffer> {
    const spec = assertSymmetricSpec(ref.keySpec);
    const material = randomBytes(spec.materialBytes);
    try {
      return this.root.wrapMaterial(ref, material);
    } finally {
      material.fill(0);
    }
  }

  /** RSA runs on libuv's pool, so a slow RSA-4096 keygen blocks no other request. */
  async generateAsymmetric(ref: KeyRef): Promise<Buffer> {
    const pair = await generateAsymmetricKey(assertAsymmetric(ref.keySpec));
    try {
      return this.root.wrapMaterial(ref, pair.privateKeyDer);
    } finally {
      pair.privateKeyDer.fill(0);
    }
  }

  /** Loads (and caches) a key version. */
  private async load(ref: KeyRef): Promise<CachedKey> {
    const hit = this.cache.get(ref);
    if (hit) return hit;
    const wrapped = await this.opts.store.loadMaterial(ref.keyId, ref.version);
    if (!wrapped) throw new KeyMaterialMissingError(ref);
    const entry = toCachedKey(ref, this.root.unwrapMaterial(ref, wrapped));
    this.cache.set(ref, entry);
    return entry;
  }

  /** The cached handle of an asymmetric key version (loaded once, then reused). */
  private async handle(ref: KeyRef): Promise<{ spec: AsymmetricKeySpec; handle: AsymmetricKeyHandle }> {
    const spec = assertAsymmetric(ref.keySpec);
    const k = this.cache.get(ref) ?? (await this.load(ref));
    if (!k.handle) throw new KeyMaterialMissingError(ref);
    return { spec, handle: k.handle };
  }

  async encrypt(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    return encryptWith(this.cache.get(ref) ?? (await this.load(ref)), ref, kind, plaintext, aad);
  }

  encryptCached(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Buffer | undefined {
    const k = this.cache.get(ref);
    return k && encryptWith(k, ref, kind, plaintext, aad);
  }

  async decrypt(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Promise<Buffer> {
    return decryptWith(this.cache.get(ref) ?? (await this.load(ref)), blob, header, aad);
  }

  decryptCached(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Buffer | undefined {
    const k = this.cache.get(ref);
    return k && decryptWith(k, blob, header, aad);
  }

  async mac(ref: KeyRef, message: Uint8Array): Promise<Buffer> {
    const k = this.cache.get(ref) ?? (await this.load(ref));
    if (k.spec.family !== 'hmac' || !k.spec.digest) throw new TypeError(`keySpec: ${ref.keySpec} is not an HMAC key`);
    return createHmac(k.spec.digest, k.raw).update(message).digest();
  }

  async verifyMac(ref: KeyRef, message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    const expected = await this.mac(ref, message);
    return expected.length === mac.length && timingSafeEqual(expected, mac);
  }

  async sign(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Promise<Buffer> {
    const { spec, handle } = await this.handle(ref);
    return asymSign(spec, handle, algorithm, message, messageType);
  }

  async verify(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): Promise<boolean> {
    const { spec, handle } = await this.handle(ref);
    const step = planVerify(spec, handle, algorithm, message, messageType, signature);
    if ('done' in step) return step.done;
    if (this.opts.verifyPool) {
      try {
        return await this.opts.verifyPool.verify(step.check);
      } catch {
        // a verification thread failed: check here instead
      }
    }
    return runVerifyCheck(step.check, step.point);
  }

  async publicKeyPem(ref: KeyRef): Promise<string> {
    const { spec, handle } = await this.handle(ref);
    return asymPublicKeyPem(spec, handle);
  }

  async asymmetricEncrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Promise<Buffer> {
    const { spec, handle } = await this.handle(ref);
    return asymEncrypt(spec, handle, algorithm, plaintext);
  }

  async asymmetricDecrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Promise<Buffer> {
    const { spec, handle } = await this.handle(ref);
    return asymDecrypt(spec, handle, algorithm, ciphertext);
  }

  /** An RSA-3072 or SM2 wrapping key; its private half is sealed under this partition's root. */
  async createImportWrappingKey(algorithm: WrappingAlgorithm, tokenId: string): Promise<ImportWrappingKey> {
    const pair = await generateAsymmetricKey(wrappingKeySpec(algorithm));
    try {
      return { publicKeySpkiDer: pair.publicKeySpkiDer, sealed: this.root.wrapImportKey(tokenId, pair.privateKeyDer) };
    } finally {
      pair.privateKeyDer.fill(0);
    }
  }

  async importMaterial(
    ref: KeyRef,
    wrapping: ImportWrapping,
    encryptedKeyMaterial: Uint8Array,
    encryptedPrivateKey: Uint8Array | undefined,
  ): Promise<ImportedMaterial> {
    const wrappingDer = this.root.unwrapImportKey(wrapping.tokenId, wrapping.sealed);
    let wrappingKey: AsymmetricKeyHandle;
    try {
      wrappingKey = loadPrivateKey(wrappingKeySpec(wrapping.algorithm), wrappingDer);
    } finally {
      wrappingDer.fill(0);
    }
    try {
      const material = unwrapImportedMaterial(wrappingKey, wrapping.algorithm, ref.keySpec, encryptedKeyMaterial, encryptedPrivateKey);
      try {
        return { sealed: this.root.wrapMaterial(ref, material), digest: this.opts.materialDigest(ref.keyId, material) };
      } finally {
        material.fill(0);
      }
    } finally {
      wipeKeyHandle(wrappingKey);
    }
  }

  forget(keyId: string, versions: number): void {
    this.cache.forget(keyId, versions);
  }

  /** Wipes every loaded key and the root: the partition is unusable afterwards (sealing the daemon). */
  wipe(): void {
    this.cache.clear();
    this.root.wipe();
  }
}

function encryptWith(k: CachedKey, ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  if (!k.cipher) throw new TypeError(`keySpec: ${ref.keySpec} cannot encrypt`);
  return encryptBlob(k.cipher, { keyId: ref.keyId, keyVersion: ref.version, kind }, plaintext, aad);
}

function decryptWith(k: CachedKey, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Buffer {
  if (!k.cipher) throw new DecryptError();
  return decryptBlob(k.cipher, blob, header, aad);
}
