/**
 * `encrypt-data` / `decrypt-data` as one service call each: the rule that sends a request to the
 * symmetric data plane (SYMMETRIC_DEFAULT, AES-256-GCM / SM4 under a CMK) or to the asymmetric one
 * (RSAES_OAEP_SHA_256, SM2_ENCRYPT) lives here, not in the route. Decryption with no algorithm
 * goes asymmetric when `key_id` names one of the caller's asymmetric keys (reference 1b).
 */
import { kmsErrors } from '../errors.js';
import type { Caller } from './caller.js';
import type { DataPlane } from './data-plane.js';
import { ASYMMETRIC_DATA_ALGORITHMS, type AsymmetricService } from './asymmetric.js';
import { thenMaybe, type MaybePromise } from './maybe-promise.js';

export interface Encrypted {
  readonly keyId: string;
  readonly ciphertext: Buffer;
}

/** The plaintext buffer belongs to the caller, who wipes it once answered. */
export interface Decrypted {
  readonly keyId: string;
  readonly plaintext: Buffer;
}

const isAsymmetricAlgorithm = (algorithm: string | undefined): boolean => algorithm !== undefined && ASYMMETRIC_DATA_ALGORITHMS.includes(algorithm);

function assertSymmetricAlgorithm(algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw kmsErrors.invalidAs('encryption_algorithm', `${algorithm} needs an asymmetric key`);
  }
}

export class EncryptionService {
  /** `asym` absent: only symmetric keys (partial wirings in tests). */
  constructor(
    private readonly data: DataPlane,
    private readonly asym: AsymmetricService | undefined,
  ) {}

  /** Encrypts 1–4096 bytes under `keyId`; `aad` only for symmetric keys. Answers at once when the key is cached. */
  encrypt(caller: Caller, keyId: string, algorithm: string | undefined, plaintext: Buffer, aad: Buffer | undefined): MaybePromise<Encrypted> {
    if (this.asym && isAsymmetricAlgorithm(algorithm)) {
      return this.asym.encrypt(caller, keyId, algorithm as string, plaintext).then((r) => ({ keyId: r.key.keyId, ciphertext: r.ciphertext }));
    }
    assertSymmetricAlgorithm(algorithm);
    return thenMaybe(this.data.encryptData(caller, keyId, plaintext, aad), (r) => ({ keyId: r.key.keyId, ciphertext: r.blob }));
  }

  /** Decrypts a ciphertext this service made; `keyId`, when given, must be the key it names. */
  decrypt(caller: Caller, keyId: string | undefined, algorithm: string | undefined, ciphertext: Buffer, aad: Buffer | undefined): MaybePromise<Decrypted> {
    const asym = this.asym;
    if (asym && (isAsymmetricAlgorithm(algorithm) || (algorithm === undefined && keyId !== undefined && asym.isAsymmetricKey(caller, keyId)))) {
      return asym.decrypt(caller, keyId, algorithm, ciphertext).then((r) => ({ keyId: r.key.keyId, plaintext: r.plaintext }));
    }
    assertSymmetricAlgorithm(algorithm);
    return thenMaybe(this.data.decrypt(caller, ciphertext, 'data', aad, keyId), (r) => ({ keyId: r.key.keyId, plaintext: r.plaintext }));
  }
}
