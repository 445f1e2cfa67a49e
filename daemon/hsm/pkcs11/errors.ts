/**
 * The PKCS#11 layer's errors. Each names the token (label and serial) and the PKCS#11 return value
 * (`CKR_…`) where there is one, and never a PIN: the PIN a caller passed is not in any message,
 * `cause` included (pkcs11js errors carry only the CKR name and the native call).
 *
 *   Pkcs11LibraryError   the library could not be loaded or initialised, or a call failed unexpectedly
 *   Pkcs11TokenError     no token (slot) matches, none is free to provision, or a token label is taken
 *   Pkcs11PinError       the token refused the PIN (incorrect, locked, wrong length)
 *   Pkcs11MechanismError the token lacks a mechanism a key spec or algorithm needs (create-key refuses it)
 *   Pkcs11ImportRefusedError  BYOK import into a token partition (not offered: see pkcs11-partition.ts)
 *   Pkcs11UnwrapError    a wrapped master key does not open with the token's key
 */
import { PartitionRefusalError, UnsupportedKeySpecError } from '../errors.js';

/** A pkcs11js error's CKR name (e.g. `CKR_PIN_INCORRECT`), or undefined for anything else. */
export function ckrName(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  const m = /^(CKR_[A-Z0-9_]+)/.exec(message);
  return m ? m[1] : undefined;
}

/** A token as errors name it: label and serial, both public. */
export interface TokenName {
  label?: string;
  serial?: string;
}

function describe(t: TokenName): string {
  const parts: string[] = [];
  if (t.label !== undefined) parts.push(`label ${JSON.stringify(t.label)}`);
  if (t.serial !== undefined) parts.push(`serial ${JSON.stringify(t.serial)}`);
  return parts.length ? `token (${parts.join(', ')})` : 'token';
}

/** Only the CKR name of a native error is kept as the cause: nothing the caller passed in. */
function safeCause(err: unknown): Error | undefined {
  if (err === undefined) return undefined;
  const name = ckrName(err);
  return new Error(name ?? (err instanceof Error ? err.name : 'error'));
}

export class Pkcs11LibraryError extends Error {
  override readonly name = 'Pkcs11LibraryError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause: safeCause(cause) });
  }
}

export class Pkcs11TokenError extends Error {
  override readonly name = 'Pkcs11TokenError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause: safeCause(cause) });
  }
}

export class Pkcs11PinError extends Error {
  override readonly name = 'Pkcs11PinError';
  /** The token's answer: CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_PIN_LEN_RANGE… */
  readonly ckr: string;
  constructor(token: TokenName, ckr: string) {
    super(`the PIN was refused by the PKCS#11 ${describe(token)}: ${ckr}`);
    this.ckr = ckr;
  }
}

/** An UnsupportedKeySpecError (hsm/errors.ts), so the key service refuses it at create-key as any partition's. */
export class Pkcs11MechanismError extends UnsupportedKeySpecError {
  override readonly name = 'Pkcs11MechanismError';
  constructor(
    /** The missing mechanism's name, e.g. `CKM_SM4_KEY_GEN`. */
    readonly mechanism: string,
    /** The key spec (or algorithm) that needs it. */
    readonly subject: string,
    message?: string,
  ) {
    super(subject, message ?? `the HSM instance's token has no ${mechanism} mechanism: ${subject} keys cannot be created in it`);
  }
}

/** A PartitionRefusalError (hsm/errors.ts): the import routes answer it as a 400 naming why. */
export class Pkcs11ImportRefusedError extends PartitionRefusalError {
  override readonly name = 'Pkcs11ImportRefusedError';
  constructor(message = 'importing key material into a PKCS#11 HSM instance is not supported: create the key in the instance instead') {
    super(message);
  }
}

export class Pkcs11UnwrapError extends Error {
  override readonly name = 'Pkcs11UnwrapError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause: safeCause(cause) });
  }
}

export { describe as describeToken };
