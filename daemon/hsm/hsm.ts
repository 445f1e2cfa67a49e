/**
 * The HSM as the services see it: the one interface they type against (never a class), so a
 * deployment can put any HSM behind it.
 *
 * Design. The HSM holds partitions by id (partition.ts): each an isolated key hierarchy with its
 * own root key, generating, wrapping and using the keys under it. Every key operation takes a
 * KeyRef whose `partitionId` picks the partition; the HSM only routes. What is HSM-wide stays here:
 * the master-key-derived token MACs (bearer and import tokens), sealing of small secrets, random
 * bytes and reading a blob's header. Partition `DEFAULT_PARTITION` (the stored id `'default'`,
 * keystore `'0'` of the reference) is opened at start; a dedicated HSM instance (issue 14) is one
 * more partition opened by id (`SoftwareHsm.openPartition`, or a PKCS#11 partition added beside it),
 * and its keystore maps to that id (services/keystores.ts). A reference to a partition that is not
 * open is refused (UnknownPartitionError), never created on first use.
 */
import type { TokenMac } from './token-mac.js';
import type { WrappingAlgorithm } from './import-unwrap.js';
import type { BlobHeader } from './ciphertext-blob.js';
import type { ImportWrappingKey, KeyOperations, KeyRef, Partition } from './partition.js';

/** The id under which the default partition's root is stored (daemon/store `partitions` table). */
export const DEFAULT_PARTITION = 'default';

export interface Hsm extends KeyOperations, TokenMac {
  /** Whether partition `partitionId` is open here (key references to it can be served). */
  hasPartition(partitionId: string): boolean;
  /** Opens (creating its root on first use) the software partition `partitionId`: an instance of specification `software`. */
  openPartition(partitionId: string): Promise<Partition>;
  /** Serves a partition built elsewhere (a PKCS#11 token's) under its id. */
  attachPartition(partition: Partition): void;
  /** Stops serving a partition (instance deleted or closed), releasing what it holds. */
  detachPartition(partitionId: string): Promise<void>;
  /** Destroys a destroyed key version's material kept outside the database (a PKCS#11 token's objects); a no-op where there is none. */
  destroyKey(ref: KeyRef): Promise<void>;
  /** Throws UnsupportedKeySpecError when partition `partitionId` cannot make keys of `keySpec`; UnknownPartitionError when it is not open. */
  checkKeySpec(partitionId: string, keySpec: string): void;
  /** A fresh wrapping key for one import token, its private half sealed under partition `partitionId`. */
  createImportWrappingKey(algorithm: WrappingAlgorithm, tokenId: string, partitionId: string): Promise<ImportWrappingKey>;
  /** MAC for import tokens (derived from the master key, separate from the bearer-token MAC). */
  importTokenMac(data: Uint8Array): Buffer;
  /** Seals a small secret (an AK's secret key) under the master key, bound to `context`. */
  sealSecret(secret: Uint8Array, context: string): Buffer;
  openSecret(wrapped: Buffer, context: string): Buffer;
  /** 1..1024 bytes from the CSPRNG. */
  random(bytes: number): Buffer;
  /** Reads a blob's header (key id, version, kind) without any key. */
  parseBlob(blob: Uint8Array): BlobHeader;
}

export type { KeyRef, ImportWrapping, ImportWrappingKey, ImportedMaterial } from './partition.js';
export type { BlobHeader, BlobKind } from './ciphertext-blob.js';
export type { TokenMac } from './token-mac.js';
export { DecryptError } from './symmetric.js';
export { BlobFormatError } from './ciphertext-blob.js';
export { KeyMaterialMissingError, UnknownPartitionError, UnsupportedKeySpecError, PartitionRefusalError } from './errors.js';
export type { Partition } from './partition.js';
