/**
 * Keystores (reference 1h): which HSM partition protects the keys created with a `keystore_id`,
 * and whether they may be used now. Keystore `'0'` is the default one, on the default partition;
 * dedicated keystores live on HSM instances (services/hsm/registry.ts implements this lookup for
 * them, from the database and the change feed).
 */
import { DEFAULT_PARTITION } from '../hsm/hsm.js';
import type { DewError } from '../errors.js';

export const DEFAULT_KEYSTORE = '0';

export interface KeystoreLookup {
  /** The partition of a keystore, or undefined when there is no such keystore. */
  partitionFor(keystoreId: string): string | undefined;
  /** Why the keys of a keystore cannot be used now (disabled keystore, frozen instance…); undefined when they can. */
  refusal(keystoreId: string): DewError | undefined;
}

/** The default keystore alone (a daemon or test without HSM instances). */
export class DefaultKeystoreOnly implements KeystoreLookup {
  partitionFor(keystoreId: string): string | undefined {
    return keystoreId === DEFAULT_KEYSTORE ? DEFAULT_PARTITION : undefined;
  }

  refusal(): DewError | undefined {
    return undefined;
  }
}
