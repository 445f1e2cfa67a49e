/**
 * Keystores (reference 1h): which HSM partition protects the keys created with a `keystore_id`.
 * Keystore `'0'` is the default one, on the default partition; a dedicated keystore (issue 14)
 * registers its instance's partition here.
 */
import { DEFAULT_PARTITION } from '../hsm/hsm.js';

export const DEFAULT_KEYSTORE = '0';

export interface KeystoreLookup {
  /** The partition of a keystore, or undefined when there is no such keystore. */
  partitionFor(keystoreId: string): string | undefined;
}

export class Keystores implements KeystoreLookup {
  private readonly partitions = new Map<string, string>([[DEFAULT_KEYSTORE, DEFAULT_PARTITION]]);

  register(keystoreId: string, partitionId: string): void {
    if (this.partitions.has(keystoreId)) throw new TypeError(`keystoreId: ${keystoreId} is already registered`);
    this.partitions.set(keystoreId, partitionId);
  }

  partitionFor(keystoreId: string): string | undefined {
    return this.partitions.get(keystoreId);
  }
}
