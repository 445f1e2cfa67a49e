/**
 * The seam of the pkcs11 mode: the master key wrapped by a non-extractable key inside a PKCS#11
 * token (daemon/hsm/pkcs11/), stored as a record in the database's meta. A token that cannot be
 * reached or refuses the PIN is a TokenUnavailableError: the daemon stops with its one-line message.
 */
export interface MasterWrapper {
  /** Wraps `master` (the caller's) by a new key made inside the token; returns the record to store (JSON text, no secret). */
  wrap(master: Buffer): Promise<string>;
  /** Unwraps a stored record's master key (the caller owns the result). */
  unwrap(record: string): Promise<Buffer>;
}

export class TokenUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenUnavailableError';
  }
}
