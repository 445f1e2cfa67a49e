/**
 * A partition: one isolated key hierarchy of the HSM. It owns a root key that never leaves it
 * (stored only wrapped under the master key, or kept inside a token), generates the material of
 * the keys under it, wraps and unwraps that material for storage, and runs every crypto operation
 * on those keys, so callers hand it key references and data, never key bytes.
 *
 * What a partition hands back for storage is opaque to everyone else: for the software partition
 * (software-partition.ts) it is the material sealed under the root; a PKCS#11 partition (issue 14)
 * would return an object label/handle and keep the material inside the token. Material wrapped in
 * one partition does not open in another: the roots differ, and each wrap binds the owner's identity
 * (key id and version; import token id) as associated data.
 */
import type { EncryptionAlgorithm, MessageType, SigningAlgorithm } from './asym/key-specs.js';
import type { WrappingAlgorithm } from './import-unwrap.js';
import type { BlobHeader, BlobKind } from './ciphertext-blob.js';

/** A reference to one version of one key, and the partition that holds it. */
export interface KeyRef {
  keyId: string;
  version: number;
  keySpec: string;
  partitionId: string;
}

/** A freshly made import wrapping key: its public half for the caller, its private half sealed for storage. */
export interface ImportWrappingKey {
  publicKeySpkiDer: Buffer;
  sealed: Buffer;
}

/** The stored wrapping key of an import token, as `createImportWrappingKey` returned it. */
export interface ImportWrapping {
  algorithm: WrappingAlgorithm;
  sealed: Buffer;
  tokenId: string;
}

/** Imported material sealed for storage, and its keyed digest (the "byte-identical re-import" rule). */
export interface ImportedMaterial {
  sealed: Buffer;
  digest: Buffer;
}

/** Where stored (wrapped) key material is read from; the HSM never sees anything but wrapped bytes there. */
export interface MaterialStore {
  loadMaterial(keyId: string, version: number): Promise<Buffer | undefined>;
}

/** The crypto operations on keys named by a KeyRef: what a partition serves and the HSM routes to it. */
export interface KeyOperations {
  /** Fresh symmetric material for a key version, returned in its stored (wrapped) form. */
  generateSymmetric(ref: KeyRef): Promise<Buffer>;
  /** A fresh key pair (off the event loop), the private key returned in its stored form. */
  generateAsymmetric(ref: KeyRef): Promise<Buffer>;
  /** Encrypts into a self-describing blob (ciphertext-blob.ts). */
  encrypt(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer>;
  /** `encrypt` without waiting: undefined when the key version is not loaded yet (then call `encrypt`). */
  encryptCached(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad?: Uint8Array): Buffer | undefined;
  /** Decrypts a blob whose header names `ref`; throws DecryptError when it does not authenticate. */
  decrypt(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Promise<Buffer>;
  decryptCached(ref: KeyRef, blob: Buffer, header: BlobHeader, aad?: Uint8Array): Buffer | undefined;
  mac(ref: KeyRef, message: Uint8Array): Promise<Buffer>;
  verifyMac(ref: KeyRef, message: Uint8Array, mac: Uint8Array): Promise<boolean>;
  /** Throws CryptoInputError for input the caller must fix. */
  sign(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Promise<Buffer>;
  verify(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): Promise<boolean>;
  publicKeyPem(ref: KeyRef): Promise<string>;
  asymmetricEncrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Promise<Buffer>;
  asymmetricDecrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Promise<Buffer>;
  /**
   * Opens material wrapped for import with a token's wrapping key, checks it fits the key spec and
   * returns it in stored form; the clear material never leaves. Throws ImportMaterialError for input
   * the caller must fix.
   */
  importMaterial(
    ref: KeyRef,
    wrapping: ImportWrapping,
    encryptedKeyMaterial: Uint8Array,
    encryptedPrivateKey: Uint8Array | undefined,
  ): Promise<ImportedMaterial>;
  /** Forgets loaded material of versions 1..`versions` of a key (after deletion or material removal). */
  forget(keyId: string, versions: number): void;
}

/** One partition: the operations above for keys whose `partitionId` is its `id`. */
export interface Partition extends KeyOperations {
  readonly id: string;
  /** Throws UnsupportedKeySpecError when this partition cannot make keys of `keySpec` (absent: it makes every spec). */
  checkKeySpec?(keySpec: string): void;
  /** Destroys what the partition holds of a key version outside the database (a token's objects); absent: nothing to destroy. */
  destroyKey?(ref: KeyRef): Promise<void> | void;
  /** Releases what the partition holds open (token sessions, loaded keys); it serves nothing after. */
  close?(): Promise<void> | void;
  /** A fresh wrapping key for one import token, its private half sealed under this partition. */
  createImportWrappingKey(algorithm: WrappingAlgorithm, tokenId: string): Promise<ImportWrappingKey>;
}
