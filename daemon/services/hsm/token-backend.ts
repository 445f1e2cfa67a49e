/**
 * What an HSM instance of specification `pkcs11` needs from a PKCS#11 library: a fresh token of
 * its own (initialised with random PINs, its root key made inside), a partition that serves the
 * instance's keys inside that token, and the token's destruction. The daemon builds one from the
 * library the operator names (`--pkcs11-library`); daemon/hsm/pkcs11/ does the PKCS#11 work.
 */
import type { Partition } from '../../hsm/partition.js';

/** Where an instance's token is (no secret: shown to the credential holder with the user PIN). */
export interface TokenInfo {
  library: string;
  slotId: string;
  tokenLabel: string;
  tokenSerial: string;
}

export interface TokenPins {
  userPin: string;
  soPin: string;
}

export interface TokenBackend {
  /** The library's path, as configured. */
  readonly library: string;
  /** Initialises a free token for instance `hsmId`, with its root key inside. */
  provision(hsmId: string): Promise<{ token: TokenInfo; pins: TokenPins }>;
  /** The partition serving the keys of the instance whose token this is. */
  open(partitionId: string, token: TokenInfo, pins: TokenPins): Promise<Partition>;
  /** The token's slot id now (a library may renumber slots from one process to the next; SoftHSM2 does). */
  slotOf(token: TokenInfo): string;
  /** Destroys the token's objects (the instance is deleted). */
  destroy(token: TokenInfo, pins: TokenPins): Promise<void>;
}
