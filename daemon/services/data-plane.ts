/** Symmetric data plane: encrypt/decrypt data, data keys, random bytes and MACs. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DewError, kmsErrors } from '../errors.js';
import { DecryptError, BlobFormatError, type SoftwareHsm } from '../hsm/software-hsm.js';
import { MAC_ALGORITHM_FOR_SPEC } from '../hsm/key-specs.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import { keyRef, type KeyRecord } from './key-record.js';
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


/** DEK digests: SHA-256, or SM3 under an SM4 master key (reference 1b, encrypt-datakey). */
function dekDigest(k: KeyRecord, dek: Uint8Array): Buffer {
  return createHash(k.keySpec === 'SM4' ? 'sm3' : 'sha256').update(dek).digest();
}

export class DataPlane {
  constructor(
    private readonly keys: KeyService,
    private readonly hsm: SoftwareHsm,
    private readonly now: () => number,
  ) {}

  /** Resolves a key for a symmetric encryption operation (sync when cached, as on the hot path). */
  private async encryptionKey(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.keys.resolve(caller, keyId);
    assertUsable(k, this.now());
    assertUsage(k, 'ENCRYPT_DECRYPT', SYMMETRIC);
    return k;
  }

  async encryptData(caller: Caller, keyId: string, plaintext: Buffer, aad: Buffer | undefined): Promise<{ key: KeyRecord; blob: Buffer }> {
    if (plaintext.length < 1 || plaintext.length > 4096) throw kmsErrors.invalidPlainText();
    const k = await this.encryptionKey(caller, keyId);
    return { key: k, blob: await this.hsm.encrypt(keyRef(k), 'data', plaintext, aad) };
  }

  /** Decrypts a blob: the key and version come from the blob itself. */
  async decrypt(caller: Caller, blob: Buffer, kind: 'data' | 'datakey', aad: Buffer | undefined, expectKeyId?: string): Promise<{ key: KeyRecord; plaintext: Buffer }> {
    let header;
    try {
      header = this.hsm.parseBlob(blob);
    } catch (err) {
      if (err instanceof BlobFormatError) throw kmsErrors.invalidCipherText();
      throw err;
    }
    if (header.kind !== kind) throw kmsErrors.invalidCipherText();
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
    assertUsable(k, this.now());
    assertUsage(k, 'ENCRYPT_DECRYPT', SYMMETRIC);
    if (header.keyVersion > k.currentVersion) throw kmsErrors.decryptFailed();
    try {
      return { key: k, plaintext: await this.hsm.decrypt(keyRef(k, header.keyVersion), blob, header, aad) };
    } catch (err) {
      if (err instanceof DecryptError) throw kmsErrors.decryptFailed();
      throw err;
    }
  }

  /** create-datakey: a fresh DEK, returned in the clear (unless `withPlaintext` is false) and wrapped. */
  async createDataKey(caller: Caller, keyId: string, bytes: number, aad: Buffer | undefined, withPlaintext: boolean) {
    const k = await this.encryptionKey(caller, keyId);
    const dek = this.hsm.random(bytes);
    try {
      const blob = await this.hsm.encrypt(keyRef(k), 'datakey', dek, aad);
      return { key: k, plaintextHex: withPlaintext ? dek.toString('hex') : undefined, cipherHex: blob.toString('hex') };
    } finally {
      dek.fill(0);
    }
  }

  /** encrypt-datakey: input is DEK ‖ digest(DEK); a digest mismatch is refused (KMS.2103). */
  async encryptDataKey(caller: Caller, keyId: string, plainHex: string, dekLength: number, aad: Buffer | undefined) {
    const k = await this.encryptionKey(caller, keyId);
    const input = Buffer.from(plainHex, 'hex');
    const digestLen = 32;
    if (input.length * 2 !== plainHex.length || input.length !== dekLength + digestLen) {
      throw new DewError('KMS.2102', 400, `Invalid datakey_plain_length: plain_text must be ${dekLength} bytes of data key followed by its ${digestLen}-byte digest.`);
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
      throw new DewError('KMS.2202', 400, `Invalid datakey_cipher_length: the data key is ${plaintext.length} bytes.`);
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
    assertUsage(k, 'GENERATE_VERIFY_MAC', ['hmac']);
    if (MAC_ALGORITHM_FOR_SPEC[k.keySpec] !== algorithm) {
      throw new DewError('KMS.0308', 400, `Invalid mac_algorithm: ${k.keySpec} keys compute ${MAC_ALGORITHM_FOR_SPEC[k.keySpec]}.`);
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
