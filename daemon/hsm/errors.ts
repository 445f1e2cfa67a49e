/** The software HSM's own errors: storage that holds no usable material, a partition nobody opened, a master key replaced under it. */
import { DewError } from '../errors.js';

/** No (or no usable) stored material for a key version: a missing row, or material whose size does not fit its spec. */
export class KeyMaterialMissingError extends Error {
  constructor(ref: { keyId: string; version: number }) {
    super(`no material for key ${ref.keyId} version ${ref.version}`);
    this.name = 'KeyMaterialMissingError';
  }
}

/** A key reference names a partition this HSM has not opened (partitions are opened explicitly, never on first use). */
export class UnknownPartitionError extends Error {
  constructor(partitionId: string) {
    super(`no open HSM partition ${JSON.stringify(partitionId.slice(0, 64))}`);
    this.name = 'UnknownPartitionError';
  }
}

/**
 * A partition cannot hold keys of a spec (a PKCS#11 token without the mechanism, e.g. SM4 on
 * SoftHSM2): refused before anything is made; the message names the spec and what is missing.
 */
export class UnsupportedKeySpecError extends Error {
  constructor(
    readonly keySpec: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsupportedKeySpecError';
  }
}

/** A partition refuses an operation it cannot do at all (BYOK into a token without an unwrap path), with why. */
export class PartitionRefusalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartitionRefusalError';
  }
}

/**
 * A new partition root would be sealed under a master key the database no longer has: a rekey in
 * another process (another daemon on the database) replaced it since this one started. Nothing is
 * stored; the daemon must restart to use the new master key (503, the reference's error shape).
 */
export class StaleMasterKeyError extends DewError {
  constructor() {
    super('DEW.0503', 503, 'The master key was replaced by a rekey in another process since this daemon started: restart this daemon to use the new one. Nothing was changed.');
    this.name = 'StaleMasterKeyError';
  }
}
