/** Symmetric data plane: encrypt/decrypt data, data keys, random bytes and MACs. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { kmsErrors } from '../errors.js';
import { DecryptError, BlobFormatError, type Hsm } from '../hsm/hsm.js';
import { MAC_ALGORITHM_FOR_SPEC } from '../hsm/key-specs.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import { keyRef, type KeyRecord } from './key-record.js';
import type { MaybePromise } from './maybe-promise.js';
import type { BlobHeader } from '../hsm/ciphertext-blob.js';
import { assertUsable, assertUsage } from './key-usage.js';

/** Data-key sizes in bytes for create-datakey's key_spec (reference 1b). */
export const DATAKEY_SPEC_BYTES: Readonly<Record<string, number>> = Object.freeze({
  AES_256: 32,
  AES_128: 16,
  SM4: 16,
  HMAC_256: 32,
  HMAC_384: 48,
  HMAC_512: 64,
  HMAC_SM3: 32,
});

const SYMMETRIC = ['aes', 'sm4'] as const;


/** Runs a decryption, turning an authentication failure into KMS's decrypt error (now or later). */
function decrypting<T>(run: () => T): T {
  let out: T;
  try {
    out = run();
  } catch (err) {
    if (err instanceof DecryptError) throw kmsErrors.decryptFailed();
    throw err;
  }
  if (out instanceof Promise) {
    return out.catch((err: unknown) => {
      throw err instanceof DecryptError ? kmsErrors.decryptFailed() : err;
    }) as T;
  }
  return out;
}

/** DEK digests: SHA-256, or SM3 under an SM4 master key (reference 1b, encrypt-datakey). */
function dekDigest(k: KeyRecord, dek: Uint8Array): Buffer {
  return createHash(k.keySpec === 'SM4' ? 'sm3' : 'sha256').update(dek).digest();
}

/** create-datakey's result: the DEK in hex (when asked for) and wrapped. */
export interface DataKey {
  key: KeyRecord;
  plaintextHex: string | undefined;
  cipherHex: string;
}

function dataKey(key: KeyRecord, dek: Buffer, blob: Buffer, withPlaintext: boolean): DataKey {
  return { key, plaintextHex: withPlaintext ? dek.toString('hex') : undefined, cipherHex: blob.toString('hex') };
}

export class DataPlane {
  constructor(
    private readonly keys: KeyService,
    private readonly hsm: Hsm,
    private readonly now: () => number,
  ) {}

  /** Resolves a key for a symmetric encryption operation. */
  private async encryptionKey(caller: Caller, keyId: string): Promise<KeyRecord> {
    return this.checkEncryptionKey(await this.keys.resolve(caller, keyId));
  }

  private checkEncryptionKey(k: KeyRecord): KeyRecord {
    assertUsable(k, this.now());
    this.keys.assertKeystoreUsable(k);
    assertUsage(k, 'ENCRYPT_DECRYPT', SYMMETRIC);
    return k;
  }

  /** encrypt-data; the answer itself (no promise) when the key and its material are cached. */
  encryptData(caller: Caller, keyId: string, plaintext: Buffer, aad: Buffer | undefined): MaybePromise<{ key: KeyRecord; blob: Buffer }> {
    if (plaintext.length < 1 || plaintext.length > 4096) throw kmsErrors.invalidPlainText();
    const found = this.keys.find(caller, keyId);
    if (found) {
      const k = this.checkEncryptionKey(found);
      const blob = this.hsm.encryptCached(keyRef(k), 'data', plaintext, aad);
      if (blob) return { key: k, blob };
    }
    return this.encryptDataLoading(caller, keyId, plaintext, aad);
  }

  private async encryptDataLoading(caller: Caller, keyId: string, plaintext: Buffer, aad: Buffer | undefined): Promise<{ key: KeyRecord; blob: Buffer }> {
    const k = await this.encryptionKey(caller, keyId);
    return { key: k, blob: await this.hsm.encrypt(keyRef(k), 'data', plaintext, aad) };
  }

  /**
   * Decrypts a blob: the key and version come from the blob itself. The answer itself (no
   * promise) when the key is known at that version and its material is cached.
   */
  decrypt(caller: Caller, blob: Buffer, kind: 'data' | 'datakey', aad: Buffer | undefined, expectKeyId?: string): MaybePromise<{ key: KeyRecord; plaintext: Buffer }> {
    const header = this.blobHeader(blob, kind);
    const k = this.keys.find(caller, header.keyId);
    if (!k) throw kmsErrors.decryptFailed();
    const named = expectKeyId === undefined ? k : this.keys.find(caller, expectKeyId);
    if (named && header.keyVersion <= k.currentVersion) {
      if (named.keyId !== k.keyId) throw kmsErrors.decryptFailed();
      this.checkDecryptionKey(k, header);
      const plaintext = decrypting(() => this.hsm.decryptCached(keyRef(k, header.keyVersion), blob, header, aad));
      if (plaintext) return { key: k, plaintext };
    }
    return this.decryptLoading(caller, blob, header, aad, expectKeyId);
  }

  private blobHeader(blob: Buffer, kind: 'data' | 'datakey'): BlobHeader {
    let header: BlobHeader;
    try {
      header = this.hsm.parseBlob(blob);
    } catch (err) {
      if (err instanceof BlobFormatError) throw kmsErrors.invalidCipherText();
      throw err;
    }
    if (header.kind !== kind) throw kmsErrors.invalidCipherText();
    return header;
  }

  private checkDecryptionKey(k: KeyRecord, header: BlobHeader): void {
    assertUsable(k, this.now());
    this.keys.assertKeystoreUsable(k);
    assertUsage(k, 'ENCRYPT_DECRYPT', SYMMETRIC);
    if (header.keyVersion > k.currentVersion) throw kmsErrors.decryptFailed();
  }

  private async decryptLoading(caller: Caller, blob: Buffer, header: BlobHeader, aad: Buffer | undefined, expectKeyId?: string): Promise<{ key: KeyRecord; plaintext: Buffer }> {
    let k = this.keys.find(caller, header.keyId);
    if (!k) throw kmsErrors.decryptFailed();
    // A version newer than this daemon knows: another daemon rotated the key; catch up once.
    if (header.keyVersion > k.currentVersion) {
      await this.keys.syncCache();
      k = this.keys.find(caller, header.keyId) ?? k;
    }
    if (expectKeyId !== undefined) {
      const named = await this.keys.resolve(caller, expectKeyId);
      if (named.keyId !== k.keyId) throw kmsErrors.decryptFailed();
    }
    this.checkDecryptionKey(k, header);
    const ref = keyRef(k, header.keyVersion);
    return { key: k, plaintext: await decrypting(() => this.hsm.decrypt(ref, blob, header, aad)) };
  }

  /**
   * create-datakey: a fresh DEK, returned in the clear (unless `withPlaintext` is false) and
   * wrapped. The answer itself (no promise) when the key and its material are cached.
   */
  createDataKey(caller: Caller, keyId: string, bytes: number, aad: Buffer | undefined, withPlaintext: boolean): MaybePromise<DataKey> {
    const found = this.keys.find(caller, keyId);
    if (found) {
      const k = this.checkEncryptionKey(found);
      const dek = this.hsm.random(bytes);
      try {
        const blob = this.hsm.encryptCached(keyRef(k), 'datakey', dek, aad);
        if (blob) return dataKey(k, dek, blob, withPlaintext);
      } finally {
        dek.fill(0);
      }
    }
    return this.createDataKeyLoading(caller, keyId, bytes, aad, withPlaintext);
  }

  private async createDataKeyLoading(caller: Caller, keyId: string, bytes: number, aad: Buffer | undefined, withPlaintext: boolean): Promise<DataKey> {
    const k = await this.encryptionKey(caller, keyId);
    const dek = this.hsm.random(bytes);
    try {
      return dataKey(k, dek, await this.hsm.encrypt(keyRef(k), 'datakey', dek, aad), withPlaintext);
    } finally {
      dek.fill(0);
    }
  }

  /** The id of the key `keyId` (an id or alias) names, when it can seal values now (symmetric, enabled). */
  async sealingKeyId(caller: Caller, keyId: string): Promise<string> {
    return (await this.encryptionKey(caller, keyId)).keyId;
  }

  /**
   * A data key for sealing under `keyId` with that key's own cipher family (services that keep
   * values, CSMS): 32 bytes under AES_256, 16 under SM4, the plaintext in `dek` (the caller wipes it).
   */
  async createSealingKey(caller: Caller, keyId: string, aad: Buffer): Promise<{ key: KeyRecord; dek: Buffer; cipherHex: string }> {
    const k = await this.encryptionKey(caller, keyId);
    const dek = this.hsm.random(k.keySpec === 'SM4' ? 16 : 32);
    const blob = await this.hsm.encrypt(keyRef(k), 'datakey', dek, aad);
    return { key: k, dek, cipherHex: blob.toString('hex') };
  }

  /** encrypt-datakey: input is DEK ‖ digest(DEK); a digest mismatch is refused (KMS.2103). */
  async encryptDataKey(caller: Caller, keyId: string, plainHex: string, dekLength: number, aad: Buffer | undefined) {
    const k = await this.encryptionKey(caller, keyId);
    const input = Buffer.from(plainHex, 'hex');
    const digestLen = 32;
    if (input.length * 2 !== plainHex.length || input.length !== dekLength + digestLen) {
      throw kmsErrors.invalidAs('datakey_plain_length', `plain_text must be ${dekLength} bytes of data key followed by its ${digestLen}-byte digest`, 'KMS.2102');
    }
    const dek = input.subarray(0, dekLength);
    try {
      if (!timingSafeEqual(dekDigest(k, dek), input.subarray(dekLength))) throw kmsErrors.dekHashFailed();
      const blob = await this.hsm.encrypt(keyRef(k), 'datakey', dek, aad);
      return { key: k, cipherHex: blob.toString('hex') };
    } finally {
      input.fill(0);
    }
  }

  /** decrypt-datakey: returns the DEK and its digest. */
  async decryptDataKey(caller: Caller, keyId: string, cipherHex: string, dekLength: number, aad: Buffer | undefined) {
    const blob = Buffer.from(cipherHex, 'hex');
    if (blob.length * 2 !== cipherHex.length) throw kmsErrors.invalidCipherText();
    const { key, plaintext } = await this.decrypt(caller, blob, 'datakey', aad, keyId);
    if (plaintext.length !== dekLength) {
      plaintext.fill(0);
      throw kmsErrors.invalidAs('datakey_cipher_length', `the data key is ${plaintext.length} bytes`, 'KMS.2202');
    }
    try {
      return { key, dataKeyHex: plaintext.toString('hex'), digestHex: dekDigest(key, plaintext).toString('hex') };
    } finally {
      plaintext.fill(0);
    }
  }

  random(bytes: number): string {
    return this.hsm.random(bytes).toString('hex');
  }

  private async macKey(caller: Caller, keyId: string, algorithm: string): Promise<KeyRecord> {
    const k = await this.keys.resolve(caller, keyId);
    assertUsable(k, this.now());
    this.keys.assertKeystoreUsable(k);
    assertUsage(k, 'GENERATE_VERIFY_MAC', ['hmac']);
    if (MAC_ALGORITHM_FOR_SPEC[k.keySpec] !== algorithm) {
      throw kmsErrors.invalidAs('mac_algorithm', `${k.keySpec} keys compute ${MAC_ALGORITHM_FOR_SPEC[k.keySpec]}`);
    }
    return k;
  }

  async generateMac(caller: Caller, keyId: string, algorithm: string, message: Buffer) {
    const k = await this.macKey(caller, keyId, algorithm);
    return { key: k, mac: await this.hsm.mac(keyRef(k), message) };
  }

  async verifyMac(caller: Caller, keyId: string, algorithm: string, message: Buffer, mac: Buffer) {
    const k = await this.macKey(caller, keyId, algorithm);
    return { key: k, valid: await this.hsm.verifyMac(keyRef(k), message, mac) };
  }
}
