/** The one error type of the asymmetric crypto library: a stable `code` the service layer maps to reference error codes. */

export type CryptoInputErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DIGEST_LENGTH'
  | 'ALGORITHM_MISMATCH'
  | 'MESSAGE_TYPE'
  | 'PLAINTEXT_TOO_LONG'
  | 'BAD_CIPHERTEXT'
  | 'UNWRAP_FAILED'
  | 'KEY_SPEC_MISMATCH'
  | 'NOT_PRIVATE_KEY'
  | 'INVALID_KEY';

/** Thrown for input the caller must fix (bad lengths, wrong key, tampered ciphertext); never carries key material. */
export class CryptoInputError extends Error {
  override readonly name = 'CryptoInputError';
  readonly code: CryptoInputErrorCode;

  constructor(code: CryptoInputErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Throws INVALID_ARGUMENT naming `name` unless `ok`; used by every public function to assert its inputs first. */
export function assertArg(ok: boolean, name: string, requirement: string): asserts ok {
  if (!ok) throw new CryptoInputError('INVALID_ARGUMENT', `${name} ${requirement}`);
}

/** True for a Uint8Array (Buffer included). */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}
