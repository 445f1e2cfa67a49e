/**
 * A software partition's root key: stored only sealed under the master key (AES-256-GCM, bound to
 * the partition id), opened once, and used to wrap and unwrap the material of the keys under it,
 * each wrap bound to its owner (key id and version; import token id) as associated data.
 */
import { randomBytes } from 'node:crypto';
import { seal, open } from './aead.js';
import { keyCheckValue } from './master-key.js';
import { StaleMasterKeyError } from './errors.js';

/** Where sealed partition roots live (daemon/store/identity-repo.ts: the `partitions` table). */
export interface PartitionRootStore {
  /**
   * Inserts the root unless one exists, then returns the stored one (so racing daemons agree).
   * With `masterCheck` (the sealing master key's check value) it inserts only while the database's
   * master key is that one, and answers undefined when it is not and no root exists.
   */
  ensurePartitionRoot(partitionId: string, wrapped: Buffer, masterCheck?: string): Promise<Buffer | undefined>;
  loadPartitionRoot(partitionId: string): Promise<Buffer | undefined>;
}

const rootContext = (partitionId: string) => `dew/partition-root/v1|${partitionId}`;
const materialContext = (keyId: string, version: number) => `dew/key-material/v1|${keyId}|${version}`;
const wrappingKeyContext = (tokenId: string) => `dew/import-wrapping-key/v1|${tokenId}`;

export class PartitionRoot {
  private constructor(
    readonly partitionId: string,
    /** Owned by this object; never handed out. */
    private readonly key: Buffer,
  ) {}

  /** Opens a partition's root, creating and storing a fresh one (sealed under `master`) when there is none. */
  static async open(master: Buffer, store: PartitionRootStore, partitionId: string): Promise<PartitionRoot> {
    if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
    if (typeof partitionId !== 'string' || partitionId.length === 0) throw new TypeError('partitionId: a non-empty string expected');
    let wrapped = await store.loadPartitionRoot(partitionId);
    if (!wrapped) {
      const fresh = randomBytes(32);
      wrapped = await store.ensurePartitionRoot(partitionId, seal(master, fresh, rootContext(partitionId)), keyCheckValue(master));
      fresh.fill(0);
      if (!wrapped) throw new StaleMasterKeyError();
    }
    return new PartitionRoot(partitionId, open(master, wrapped, rootContext(partitionId)));
  }

  /** Zeroes the root key: the partition cannot be used afterwards (sealing the daemon). */
  wipe(): void {
    this.key.fill(0);
  }

  /** Seals one key version's material (symmetric key or PKCS#8 DER) for storage. */
  wrapMaterial(ref: { keyId: string; version: number }, material: Uint8Array): Buffer {
    return seal(this.key, material, materialContext(ref.keyId, ref.version));
  }

  /** Opens stored material; throws UnwrapError when it was sealed for another key, version or partition. The caller owns the result. */
  unwrapMaterial(ref: { keyId: string; version: number }, wrapped: Uint8Array): Buffer {
    return open(this.key, wrapped, materialContext(ref.keyId, ref.version));
  }

  /** Seals an import token's wrapping private key (PKCS#8 DER). */
  wrapImportKey(tokenId: string, privateKeyDer: Uint8Array): Buffer {
    return seal(this.key, privateKeyDer, wrappingKeyContext(tokenId));
  }

  unwrapImportKey(tokenId: string, sealed: Uint8Array): Buffer {
    return open(this.key, sealed, wrappingKeyContext(tokenId));
  }
}

/**
 * A stored root re-sealed from one master key to another (a rekey): the root itself, and so every
 * key under it, stays the same. Throws UnwrapError when `wrapped` is not sealed under `from`.
 */
export function rewrapRoot(from: Buffer, to: Buffer, partitionId: string, wrapped: Uint8Array): Buffer {
  if (from.length !== 32 || to.length !== 32) throw new TypeError('from, to: 32-byte master keys expected');
  const root = open(from, wrapped, rootContext(partitionId));
  try {
    return seal(to, root, rootContext(partitionId));
  } finally {
    root.fill(0);
  }
}
