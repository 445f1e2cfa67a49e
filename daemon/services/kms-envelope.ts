/**
 * What services that keep values under a KMS key (KPS private keys, CSMS secret versions) store:
 * the KMS key id, the data key the KMS wrapped, and the value's ciphertext. Each service seals with
 * its own cipher and context; both ask the KMS data plane as the caller.
 */
import type { Caller } from './caller.js';

export interface SealedV1 {
  v: 1;
  /** The KMS key id that wraps the data key. */
  kid: string;
  /** The data plane's wrapped data key (hex). */
  edk: string;
  /** The value's ciphertext (base64). */
  box: string;
}

export interface Sealed {
  /** What the repository stores (JSON of SealedV1). */
  readonly text: string;
  /** The KMS key that wraps it (the resolved id, never an alias). */
  readonly kmsKeyId: string;
}

/** The caller as the KMS sees it: the same principal doing the data-key operation (grants match on it). */
export const asKms = (caller: Caller, operation: string): Caller => ({ ...caller, operation, grantOnly: false });
