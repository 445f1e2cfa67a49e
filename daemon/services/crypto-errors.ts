/** Maps the crypto library's and the import unwrapper's input errors to reference KMS errors (never a 500 for bad input). */
import { kmsErrors } from '../errors.js';
import { UnsupportedKeySpecError } from '../hsm/errors.js';
import { CryptoInputError } from '../hsm/asym/errors.js';
import { ImportMaterialError } from '../hsm/import-unwrap.js';

/** CryptoInputError code → reference code; the library's message (never material) is kept. */
const CRYPTO_CODES: Readonly<Record<CryptoInputError['code'], { code: string; field: string }>> = Object.freeze({
  INVALID_ARGUMENT: { code: 'KMS.0308', field: 'parameter' },
  DIGEST_LENGTH: { code: 'KMS.0308', field: 'message' },
  ALGORITHM_MISMATCH: { code: 'KMS.0308', field: 'algorithm' },
  MESSAGE_TYPE: { code: 'KMS.0308', field: 'message_type' },
  PLAINTEXT_TOO_LONG: { code: 'KMS.2101', field: 'plain_text' },
  BAD_CIPHERTEXT: { code: 'KMS.2201', field: 'cipher_text' },
  UNWRAP_FAILED: { code: 'KMS.0308', field: 'encrypted_key_material' },
  KEY_SPEC_MISMATCH: { code: 'KMS.2604', field: 'key material' },
  NOT_PRIVATE_KEY: { code: 'KMS.2604', field: 'key material' },
  INVALID_KEY: { code: 'KMS.2604', field: 'key material' },
});

/** ImportMaterialError code → reference code (reference 3: KMS.2601–2606). */
const IMPORT_CODES: Readonly<Record<ImportMaterialError['code'], { code: string; field: string }>> = Object.freeze({
  WRAPPED_SIZE: { code: 'KMS.0308', field: 'encrypted_key_material' },
  UNWRAP_FAILED: { code: 'KMS.0308', field: 'encrypted_key_material' },
  MATERIAL_LENGTH: { code: 'KMS.2604', field: 'key material' },
  PRIVATE_KEY_MISSING: { code: 'KMS.0204', field: 'encrypted_privatekey' },
  PRIVATE_KEY_UNEXPECTED: { code: 'KMS.0308', field: 'encrypted_privatekey' },
  KEY_MISMATCH: { code: 'KMS.2604', field: 'key material' },
  NOT_IMPORTABLE: { code: 'KMS.0309', field: 'key_spec' },
});

/** Rethrows input errors as DewError (400); anything else unchanged. */
export function toDewError(err: unknown, algorithmField = 'algorithm'): unknown {
  if (err instanceof CryptoInputError) {
    const m = CRYPTO_CODES[err.code];
    const field = m.field === 'algorithm' ? algorithmField : m.field;
    if (err.code === 'BAD_CIPHERTEXT') return kmsErrors.undecryptable(m.code, err.message, err);
    return kmsErrors.invalidAs(field, err.message, m.code, err);
  }
  // A token that lists a mechanism but refuses these parameters (SoftHSM2: RSA-OAEP with SHA-256 only at use).
  if (err instanceof UnsupportedKeySpecError) return kmsErrors.invalidAs(algorithmField, err.message, 'KMS.4609', err);
  if (err instanceof ImportMaterialError) {
    const m = IMPORT_CODES[err.code];
    const field = err.message.startsWith('encrypted_privatekey') ? 'encrypted_privatekey' : m.field;
    if (m.code === 'KMS.0204') return kmsErrors.missingAs(m.field, err.message, err);
    return kmsErrors.invalidAs(field, err.message, m.code, err);
  }
  return err;
}

/** Runs `fn`, mapping input errors; the data path's one wrapper around HSM calls. */
export async function mapCryptoErrors<T>(fn: () => Promise<T>, algorithmField?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDewError(err, algorithmField);
  }
}
