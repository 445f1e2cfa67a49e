/** Asymmetric data plane (reference 1b, 1c): sign, verify, get-publickey, RSAES-OAEP and SM2 encrypt/decrypt. */
import { kmsErrors } from '../errors.js';
import type { Hsm } from '../hsm/hsm.js';
import {
  isAsymmetricKeySpec, SIGNING_ALGORITHMS_BY_SPEC, ENCRYPTION_ALGORITHMS_BY_SPEC,
  type EncryptionAlgorithm, type MessageType, type SigningAlgorithm,
} from '../hsm/asym/key-specs.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import { keyRef, type KeyRecord } from './key-record.js';
import { assertUsable, assertUsage } from './key-usage.js';
import { mapCryptoErrors } from './crypto-errors.js';

/** The reference's asymmetric encryption_algorithm values (RSAES_OAEP_SHA_1 is only for import wrapping). */
export const ASYMMETRIC_DATA_ALGORITHMS: readonly string[] = Object.freeze(['RSAES_OAEP_SHA_256', 'SM2_ENCRYPT']);

/** Reference limit: sign/verify messages are at most 4096 bytes. */
export const MAX_SIGN_MESSAGE = 4096;


export class AsymmetricService {
  constructor(
    private readonly keys: KeyService,
    private readonly hsm: Hsm,
    private readonly now: () => number,
  ) {}

  private async key(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.keys.resolve(caller, keyId);
    assertUsable(k, this.now());
    this.keys.assertKeystoreUsable(k);
    return k;
  }

  /** True when `keyIdOrAlias` names one of the caller's asymmetric keys (decrypt-data dispatch). */
  isAsymmetricKey(caller: Caller, keyIdOrAlias: string): boolean {
    const k = this.keys.find(caller, keyIdOrAlias);
    return k !== undefined && isAsymmetricKeySpec(k.keySpec);
  }

  private async signingKey(caller: Caller, keyId: string, algorithm: string): Promise<KeyRecord> {
    const k = await this.key(caller, keyId);
    if (!isAsymmetricKeySpec(k.keySpec)) throw kmsErrors.invalidAs('key_spec', `${k.keySpec} keys cannot sign; use an asymmetric key`);
    assertUsage(k, 'SIGN_VERIFY');
    if (!(SIGNING_ALGORITHMS_BY_SPEC[k.keySpec] as readonly string[]).includes(algorithm)) {
      throw kmsErrors.invalidAs('signing_algorithm', `${algorithm} does not fit ${k.keySpec} keys (use ${SIGNING_ALGORITHMS_BY_SPEC[k.keySpec].join(', ')})`);
    }
    return k;
  }

  /** Pure Ed25519 signs RAW messages only, so its message_type defaults to RAW; every other algorithm to DIGEST. */
  private messageType(algorithm: string, messageType: string | undefined): MessageType {
    return (messageType ?? (algorithm === 'ED25519_SHA_512' ? 'RAW' : 'DIGEST')) as MessageType;
  }

  async sign(caller: Caller, keyId: string, algorithm: string, message: Buffer, messageType?: string): Promise<{ key: KeyRecord; signature: Buffer }> {
    const k = await this.signingKey(caller, keyId, algorithm);
    const type = this.messageType(algorithm, messageType);
    const signature = await mapCryptoErrors(() => this.hsm.sign(keyRef(k), algorithm as SigningAlgorithm, message, type), 'signing_algorithm');
    return { key: k, signature };
  }

  async verify(caller: Caller, keyId: string, algorithm: string, message: Buffer, signature: Buffer, messageType?: string): Promise<{ key: KeyRecord; valid: boolean }> {
    const k = await this.signingKey(caller, keyId, algorithm);
    const type = this.messageType(algorithm, messageType);
    const valid = await mapCryptoErrors(() => this.hsm.verify(keyRef(k), algorithm as SigningAlgorithm, message, type, signature), 'signing_algorithm');
    return { key: k, valid };
  }

  /** PEM SubjectPublicKeyInfo; the key must be usable (enabled) as for the other operations. */
  async publicKey(caller: Caller, keyId: string): Promise<{ key: KeyRecord; pem: string }> {
    const k = await this.key(caller, keyId);
    if (!isAsymmetricKeySpec(k.keySpec)) throw kmsErrors.invalidAs('key_spec', `${k.keySpec} keys have no public key`);
    return { key: k, pem: await mapCryptoErrors(() => this.hsm.publicKeyPem(keyRef(k))) };
  }

  private async encryptionKey(caller: Caller, keyId: string, algorithm: string): Promise<KeyRecord> {
    const k = await this.key(caller, keyId);
    if (!isAsymmetricKeySpec(k.keySpec)) {
      throw kmsErrors.invalidAs('encryption_algorithm', `${algorithm} needs an RSA or SM2 key; ${k.keySpec} keys use SYMMETRIC_DEFAULT`);
    }
    assertUsage(k, 'ENCRYPT_DECRYPT');
    const fits = ENCRYPTION_ALGORITHMS_BY_SPEC[k.keySpec].filter((a) => ASYMMETRIC_DATA_ALGORITHMS.includes(a));
    if (!fits.includes(algorithm as EncryptionAlgorithm)) {
      throw kmsErrors.invalidAs('encryption_algorithm', `${algorithm} does not fit ${k.keySpec} keys (use ${fits.join(', ') || 'none: they sign only'})`);
    }
    return k;
  }

  /** The default algorithm for an asymmetric key when decrypt-data omits encryption_algorithm. */
  private defaultAlgorithm(k: KeyRecord): string {
    return k.keySpec === 'SM2' ? 'SM2_ENCRYPT' : 'RSAES_OAEP_SHA_256';
  }

  async encrypt(caller: Caller, keyId: string, algorithm: string, plaintext: Buffer): Promise<{ key: KeyRecord; ciphertext: Buffer }> {
    if (plaintext.length < 1 || plaintext.length > 4096) throw kmsErrors.invalidPlainText();
    const k = await this.encryptionKey(caller, keyId, algorithm);
    const ciphertext = await mapCryptoErrors(() => this.hsm.asymmetricEncrypt(keyRef(k), algorithm as EncryptionAlgorithm, plaintext), 'encryption_algorithm');
    return { key: k, ciphertext };
  }

  /** Asymmetric ciphertext names no key: the caller must say which (KMS.0204 without key_id). */
  async decrypt(caller: Caller, keyId: string | undefined, algorithm: string | undefined, ciphertext: Buffer): Promise<{ key: KeyRecord; plaintext: Buffer }> {
    if (keyId === undefined) throw kmsErrors.missingAs('key_id', 'asymmetric ciphertext does not name its key');
    const named = await this.key(caller, keyId);
    const alg = algorithm ?? this.defaultAlgorithm(named);
    const k = await this.encryptionKey(caller, keyId, alg);
    const plaintext = await mapCryptoErrors(() => this.hsm.asymmetricDecrypt(keyRef(k), alg as EncryptionAlgorithm, ciphertext), 'encryption_algorithm');
    return { key: k, plaintext };
  }
}
