/**
 * The PKCS#11 partition: a Partition (partition.ts) whose keys are generated and used inside one
 * token of a PKCS#11 library (a `pkcs11` HSM instance), so no key byte of its keys ever exists in
 * dew's memory or database.
 *
 *   const p = await Pkcs11Partition.open(lib, { id, token: { serial }, pin: userPin, store });
 *   p.checkKeySpec('SM4')       → throws Pkcs11MechanismError naming CKM_SM4_KEY_GEN (call before create-key)
 *   await p.generateSymmetric(ref) → Buffer `p11:v1:dew:<partition>:<key>:v<n>` to store as the material
 *   p.close()
 *
 * Design.
 * - Every key version is token objects labelled from the partition id, key id and version
 *   (objects.ts): sensitive, non-extractable, private. generate* return that label as the stored
 *   reference; a use loads the reference from the MaterialStore, checks it names exactly this
 *   KeyRef (a reference from another partition or key does not fit), finds the objects by label
 *   and caches their handles (and the public key) in an LRU; nothing secret is cached.
 * - AES_256: CKM_AES_GCM into dew's blob exactly as symmetric.ts writes it (gcm-blob.ts):
 *   random 12-byte IV at NONCE_OFFSET, AAD = header ‖ caller AAD, body = plaintext zero-padded to
 *   whole blocks, 16-byte tag then 16 zero bytes; a software decryptor with the key would open it.
 *   HMAC_256/384/512: CKK_GENERIC_SECRET keys and CKM_SHA{256,384,512}_HMAC. RSA, EC (P-256, P-384,
 *   secp256k1) and Ed25519 pairs: signatures.ts says how each algorithm signs and verifies in the
 *   token with the software keys' formats; public keys leave as the same PEM (public-key.ts).
 *   RSAES_OAEP_*: CKM_RSA_PKCS_OAEP with that hash; a token that refuses the hash's parameters
 *   (SoftHSM2 2.6 takes SHA-1 only) gives Pkcs11MechanismError, not a wrong answer.
 * - Sync and async: the operations a token does in microseconds (AES-GCM, HMAC, ECDSA, public-key
 *   operations) run synchronously on one session when `syncOperations` (default true: SoftHSM2 and
 *   other in-process tokens), so `encryptCached`/`decryptCached` serve the hot path with no await.
 *   Key generation and RSA private-key operations always run on libuv's pool (pkcs11js Async
 *   calls) on a session of their own; with `syncOperations: false` (a network HSM) every
 *   operation does, and the *Cached variants return undefined.
 * - BYOK import is refused (Pkcs11ImportRefusedError): dew's import result includes a keyed digest
 *   of the clear material (the byte-identical re-import rule), which a token-side unwrap cannot give.
 * - `checkKeySpec`/`supportedKeySpecs` read the token's mechanisms (mechanisms.ts) before anything is
 *   made; generate* check again. Generation never replaces a version whose reference is stored;
 *   objects an attempt left without a stored reference (the save failed) are destroyed first.
 *   `destroyKey` destroys a version's objects (key deletion: the Partition interface has no such call).
 * - Token failures are mapped once (`failure`): a handle gone → KeyMaterialMissingError; the token
 *   gone or the login lost → Pkcs11TokenError; a failed decryption → DecryptError / BAD_CIPHERTEXT.
 *   On Pkcs11TokenError the partition logs in again (Pkcs11Token.recover: new sessions, the user PIN
 *   given at open, never a PIN the token refused once) and retries the operation once.
 */
import type { KeyObject } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { Mechanism } from 'pkcs11js';
import { CryptoInputError, assertArg, isBytes } from '../asym/errors.js';
import { assertEncryptionAlgorithmFits, isAsymmetricKeySpec, type AsymmetricKeySpec, type EncryptionAlgorithm, type MessageType, type SigningAlgorithm } from '../asym/key-specs.js';
import { rsaOaepMaxPlaintext } from '../asym/rsa.js';
import type { BlobHeader, BlobKind } from '../ciphertext-blob.js';
import { KeyMaterialMissingError } from '../errors.js';
import { keySpecInfo } from '../key-specs.js';
import { Lru } from '../lru.js';
import { DecryptError } from '../symmetric.js';
import type { WrappingAlgorithm } from '../import-unwrap.js';
import type { ImportWrapping, ImportWrappingKey, ImportedMaterial, KeyRef, MaterialStore, Partition } from '../partition.js';
import { ckrName, Pkcs11ImportRefusedError, Pkcs11MechanismError, Pkcs11TokenError } from './errors.js';
import type { Handle, Pkcs11Library, TokenSelector } from './library.js';
import { checkKeySpec, supportedKeySpecs, missingMechanism } from './mechanisms.js';
import { encodeObjectRef, keyPairPlan, objectLabel, parseObjectRef, secretKeyPlan } from './objects.js';
import { ecPublicKey, rsaPublicKey } from './public-key.js';
import { finishOpen, openPlan, sealPlan } from './gcm-blob.js';
import { assertSignInput, derToRawSignature, EC_FIELD_BYTES, oaepMechanism, rawToDerSignature, signPlan } from './signatures.js';
import type { Pkcs11Token } from './token.js';

export interface Pkcs11PartitionOptions {
  store: MaterialStore;
  /** Key versions whose object handles are kept (default 10 000). */
  cacheSize?: number;
  /** Fast operations synchronously on the main thread (default true; false for a network HSM). */
  syncOperations?: boolean;
}

/** The object handles of one loaded key version (handles, never key bytes). */
interface LoadedKey {
  readonly keySpec: string;
  readonly label: string;
  readonly secret?: Handle;
  readonly privateKey?: Handle;
  readonly publicHandle?: Handle;
  readonly publicKey?: KeyObject;
}

const HMAC_MECHANISM: Readonly<Record<string, { mechanism: number; bytes: number }>> = Object.freeze({
  HMAC_256: { mechanism: pkcs11js.CKM_SHA256_HMAC, bytes: 32 },
  HMAC_384: { mechanism: pkcs11js.CKM_SHA384_HMAC, bytes: 48 },
  HMAC_512: { mechanism: pkcs11js.CKM_SHA512_HMAC, bytes: 64 },
});

const EMPTY = Buffer.alloc(0);
/** Return values of a failed check: the signature (or MAC) is wrong, not the call. */
const SIGNATURE_REFUSED = new Set(['CKR_SIGNATURE_INVALID', 'CKR_SIGNATURE_LEN_RANGE']);
/** Return values that mean the token (or dew's login to it) is gone, not that the input is wrong. */
const TOKEN_UNAVAILABLE = new Set([
  'CKR_DEVICE_REMOVED', 'CKR_DEVICE_ERROR', 'CKR_TOKEN_NOT_PRESENT', 'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED',
  'CKR_USER_NOT_LOGGED_IN', 'CKR_CRYPTOKI_NOT_INITIALIZED', 'CKR_DEVICE_MEMORY',
]);
/** Return values of C_*Init that mean "the token does not take these mechanism parameters". */
const PARAMS_REFUSED = new Set(['CKR_ARGUMENTS_BAD', 'CKR_MECHANISM_PARAM_INVALID', 'CKR_MECHANISM_INVALID']);

function assertAsymmetric(keySpec: string): AsymmetricKeySpec {
  if (!isAsymmetricKeySpec(keySpec)) throw new TypeError(`keySpec: ${keySpec} is not an asymmetric key spec`);
  return keySpec;
}

export class Pkcs11Partition implements Partition {
  private readonly cache: Lru<string, LoadedKey>;
  private readonly sync: boolean;
  /** Per OAEP hash: whether the token took its parameters (learnt on first use). */
  private readonly oaep = new Map<'sha1' | 'sha256', boolean>();

  constructor(
    readonly id: string,
    /** The logged-in token; the partition owns it (closes it in `close`). */
    private readonly token: Pkcs11Token,
    private readonly opts: Pkcs11PartitionOptions,
  ) {
    objectLabel({ partitionId: id, keyId: 'x', version: 1 }); // asserts the id fits in labels
    this.cache = new Lru(opts.cacheSize ?? 10_000);
    this.sync = opts.syncOperations ?? true;
  }

  /** Logs in to the token (`pin` is the user PIN provisioning returned) and opens the partition on it. */
  static async open(
    lib: Pkcs11Library,
    opts: { id: string; token: TokenSelector; pin: string } & Pkcs11PartitionOptions,
  ): Promise<Pkcs11Partition> {
    const token = await lib.openToken(opts.token, opts.pin);
    try {
      return new Pkcs11Partition(opts.id, token, opts);
    } catch (err) {
      token.close();
      throw err;
    }
  }

  /** The token's serial and label (what the instance details show). */
  get tokenSerial(): string {
    return this.token.serial;
  }

  get tokenLabel(): string {
    return this.token.label;
  }

  /** Throws Pkcs11MechanismError naming the missing mechanism unless this token can create `keySpec` keys. */
  checkKeySpec(keySpec: string): void {
    checkKeySpec(this.token, keySpec);
  }

  supportsKeySpec(keySpec: string): boolean {
    return missingMechanism(this.token, keySpec) === undefined;
  }

  supportedKeySpecs(): string[] {
    return supportedKeySpecs(this.token);
  }

  /** Destroys every object with `label`. */
  private destroyLabelled(ref: KeyRef, label: string): void {
    this.guard(ref, () => {
      for (const o of this.token.findObjects([{ type: pkcs11js.CKA_LABEL, value: label }])) this.token.api.C_DestroyObject(this.token.session, o);
    });
  }

  /**
   * Before generating a version: a version whose reference is stored is live and is never replaced
   * (a caller bug); objects an earlier attempt left without a stored reference are destroyed.
   */
  private async prepareLabel(ref: KeyRef): Promise<string> {
    this.assertMine(ref);
    const label = objectLabel(ref);
    const stored = await this.opts.store.loadMaterial(ref.keyId, ref.version);
    if (stored && parseObjectRef(stored, ref)) throw new TypeError(`ref: key ${ref.keyId} version ${ref.version} already has token objects`);
    this.destroyLabelled(ref, label);
    this.cache.delete(this.cacheKey(ref));
    return label;
  }

  private assertMine(ref: KeyRef): void {
    if (ref.partitionId !== this.id) throw new TypeError(`ref: key ${ref.keyId} is in partition ${ref.partitionId}, not ${this.id}`);
  }

  async generateSymmetric(ref: KeyRef): Promise<Buffer> {
    return this.retrying(() => this.generateSymmetricOnce(ref));
  }

  private async generateSymmetricOnce(ref: KeyRef): Promise<Buffer> {
    this.assertMine(ref);
    this.checkKeySpec(ref.keySpec);
    const plan = secretKeyPlan(ref.keySpec, await this.prepareLabel(ref));
    await this.pooled(ref, (s) => this.token.api.C_GenerateKeyAsync(s, { mechanism: plan.mechanism }, plan.template));
    return encodeObjectRef(ref);
  }

  /** RSA-4096 takes seconds in a token: generation runs on libuv's pool (C_GenerateKeyPairAsync). */
  async generateAsymmetric(ref: KeyRef): Promise<Buffer> {
    return this.retrying(() => this.generateAsymmetricOnce(ref));
  }

  private async generateAsymmetricOnce(ref: KeyRef): Promise<Buffer> {
    this.assertMine(ref);
    assertAsymmetric(ref.keySpec);
    this.checkKeySpec(ref.keySpec);
    const plan = keyPairPlan(ref.keySpec, await this.prepareLabel(ref));
    await this.pooled(ref, (s) =>
      this.token.api.C_GenerateKeyPairAsync(s, { mechanism: plan.mechanism }, plan.publicTemplate, plan.privateTemplate),
    );
    return encodeObjectRef(ref);
  }

  /** Destroys the token objects of a key version (key deletion, material removal) and forgets them. */
  destroyKey(ref: KeyRef): void {
    this.assertMine(ref);
    this.destroyLabelled(ref, objectLabel(ref));
    this.cache.delete(this.cacheKey(ref));
  }

  private findOne(label: string, objectClass: number): Handle | undefined {
    const hit = this.token.findObjects([{ type: pkcs11js.CKA_LABEL, value: label }, { type: pkcs11js.CKA_CLASS, value: objectClass }])[0];
    if (!hit && !this.token.isLoggedIn()) throw this.loggedOut();
    return hit;
  }

  /** Loads (and caches) a key version's object handles; KeyMaterialMissingError when the reference or objects are gone. */
  private async load(ref: KeyRef): Promise<LoadedKey> {
    const hit = this.cache.get(this.cacheKey(ref));
    if (hit) return hit;
    const stored = await this.opts.store.loadMaterial(ref.keyId, ref.version);
    const label = stored && parseObjectRef(stored, ref);
    if (!label) throw new KeyMaterialMissingError(ref);
    const entry = this.guard(ref, () => this.findKey(ref, label));
    this.cache.set(this.cacheKey(ref), entry);
    return entry;
  }

  private findKey(ref: KeyRef, label: string): LoadedKey {
    let entry: LoadedKey;
    if (!isAsymmetricKeySpec(ref.keySpec)) {
      const secret = this.findOne(label, pkcs11js.CKO_SECRET_KEY);
      if (!secret) throw new KeyMaterialMissingError(ref);
      entry = { keySpec: ref.keySpec, label, secret };
    } else {
      const privateKey = this.findOne(label, pkcs11js.CKO_PRIVATE_KEY);
      const publicHandle = this.findOne(label, pkcs11js.CKO_PUBLIC_KEY);
      if (!privateKey || !publicHandle) throw new KeyMaterialMissingError(ref);
      entry = { keySpec: ref.keySpec, label, privateKey, publicHandle, publicKey: this.readPublicKey(ref.keySpec, publicHandle) };
    }
    return entry;
  }

  private readPublicKey(keySpec: string, handle: Handle): KeyObject {
    if (keySpec.startsWith('RSA_')) {
      const [n, e] = this.token.api.C_GetAttributeValue(this.token.session, handle, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
      return rsaPublicKey(n!.value, e!.value);
    }
    return ecPublicKey(keySpec, this.token.attribute(handle, pkcs11js.CKA_EC_POINT));
  }

  /**
   * What a failed token call means for the caller: a handle the token no longer knows (objects
   * destroyed behind dew's back) is KeyMaterialMissingError (and the cache entry goes); a token that
   * is gone or logged out is Pkcs11TokenError; anything else is returned as it is.
   */
  private failure(ref: KeyRef, err: unknown): unknown {
    const ckr = ckrName(err);
    if (ckr === 'CKR_OBJECT_HANDLE_INVALID' || ckr === 'CKR_KEY_HANDLE_INVALID') {
      this.cache.delete(this.cacheKey(ref));
      return this.token.isLoggedIn() ? new KeyMaterialMissingError(ref) : this.loggedOut(err);
    }
    if (ckr !== undefined && TOKEN_UNAVAILABLE.has(ckr)) return new Pkcs11TokenError(`the PKCS#11 ${this.token.name} is not available: ${ckr}`, err);
    return err;
  }

  /**
   * Runs an operation; when the token turns out gone or logged out (Pkcs11TokenError) and logging in
   * again works (Pkcs11Token.recover), the loaded handles are dropped and the operation runs once more.
   */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof Pkcs11TokenError) || !this.recover()) throw err;
      return fn();
    }
  }

  /** The hot path's form of `retrying`: after a recovery it answers undefined, so the caller takes the async path. */
  private unlessRecovered<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof Pkcs11TokenError) || !this.recover()) throw err;
      return undefined;
    }
  }

  private recover(): boolean {
    if (!this.token.recover()) return false;
    this.cache.clear();
    return true;
  }

  /** Private objects are invisible without the user login: say so rather than "no material". */
  private loggedOut(cause?: unknown): Pkcs11TokenError {
    return new Pkcs11TokenError(`the PKCS#11 ${this.token.name} has logged dew out (CKR_USER_NOT_LOGGED_IN): reopen the HSM instance`, cause);
  }

  /** Runs synchronous token calls, mapping their failures (`failure`). */
  private guard<T>(ref: KeyRef, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.failure(ref, err);
    }
  }

  /** Runs calls on a pooled session (for the Async calls), mapping their failures (`failure`). */
  private async pooled<T>(ref: KeyRef, fn: (session: Handle) => Promise<T>): Promise<T> {
    try {
      return await this.token.withSession(fn);
    } catch (err) {
      throw this.failure(ref, err);
    }
  }

  // ---- symmetric ----

  private secretFor(k: LoadedKey, ref: KeyRef): Handle {
    if (!k.secret || keySpecInfo(k.keySpec)?.family !== 'aes') throw new TypeError(`keySpec: ${ref.keySpec} cannot encrypt`);
    return k.secret;
  }

  private encryptNow(k: LoadedKey, ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad: Uint8Array): Buffer {
    const secret = this.secretFor(k, ref);
    const p = sealPlan({ keyId: ref.keyId, keyVersion: ref.version, kind }, plaintext, aad);
    try {
      this.guard(ref, () => {
        this.token.api.C_EncryptInit(this.token.session, p.mechanism, secret);
        this.token.api.C_Encrypt(this.token.session, p.body, p.out);
      });
      return p.blob;
    } finally {
      p.body.fill(0);
    }
  }

  async encrypt(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Promise<Buffer> {
    return this.retrying(() => this.encryptOnce(ref, kind, plaintext, aad));
  }

  private async encryptOnce(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Promise<Buffer> {
    const k = await this.load(ref);
    if (this.sync) return this.encryptNow(k, ref, kind, plaintext, aad);
    const secret = this.secretFor(k, ref);
    const p = sealPlan({ keyId: ref.keyId, keyVersion: ref.version, kind }, plaintext, aad);
    try {
      await this.pooled(ref, async (s) => {
        this.guard(ref, () => this.token.api.C_EncryptInit(s, p.mechanism, secret));
        await this.token.api.C_EncryptAsync(s, p.body, p.out);
      });
      return p.blob;
    } finally {
      p.body.fill(0);
    }
  }

  encryptCached(ref: KeyRef, kind: BlobKind, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Buffer | undefined {
    if (!this.sync) return undefined;
    const k = this.cache.get(this.cacheKey(ref));
    return k && this.unlessRecovered(() => this.encryptNow(k, ref, kind, plaintext, aad));
  }

  /** The AES key of a blob's header; DecryptError for any key or blob that cannot be one (as the software path). */
  private openerFor(k: LoadedKey, header: BlobHeader): Handle {
    if (!k.secret || keySpecInfo(k.keySpec)?.family !== 'aes' || header.algorithm !== 1) throw new DecryptError();
    return k.secret;
  }

  private decryptNow(k: LoadedKey, ref: KeyRef, blob: Buffer, header: BlobHeader, aad: Uint8Array): Buffer {
    const secret = this.openerFor(k, header);
    const p = openPlan(blob, aad);
    let plain: Buffer;
    try {
      plain = this.guard(ref, () => {
        this.token.api.C_DecryptInit(this.token.session, p.mechanism, secret);
        return this.token.api.C_Decrypt(this.token.session, p.input, p.out);
      });
    } catch (err) {
      if (err instanceof KeyMaterialMissingError || err instanceof Pkcs11TokenError) throw err;
      throw new DecryptError();
    }
    return finishOpen(plain, header);
  }

  async decrypt(ref: KeyRef, blob: Buffer, header: BlobHeader, aad: Uint8Array = EMPTY): Promise<Buffer> {
    return this.retrying(() => this.decryptOnce(ref, blob, header, aad));
  }

  private async decryptOnce(ref: KeyRef, blob: Buffer, header: BlobHeader, aad: Uint8Array = EMPTY): Promise<Buffer> {
    const k = await this.load(ref);
    if (this.sync) return this.decryptNow(k, ref, blob, header, aad);
    const secret = this.openerFor(k, header);
    const p = openPlan(blob, aad);
    const plain = await this.pooled(ref, async (s) => {
      this.guard(ref, () => this.token.api.C_DecryptInit(s, p.mechanism, secret));
      try {
        return await this.token.api.C_DecryptAsync(s, p.input, p.out);
      } catch (err) {
        const f = this.failure(ref, err);
        throw f === err ? new DecryptError() : f;
      }
    });
    return finishOpen(plain, header);
  }

  decryptCached(ref: KeyRef, blob: Buffer, header: BlobHeader, aad: Uint8Array = EMPTY): Buffer | undefined {
    if (!this.sync) return undefined;
    const k = this.cache.get(this.cacheKey(ref));
    return k && this.unlessRecovered(() => this.decryptNow(k, ref, blob, header, aad));
  }

  // ---- MACs ----

  private hmacOf(k: LoadedKey, ref: KeyRef): { secret: Handle; mechanism: Mechanism; bytes: number } {
    const h = HMAC_MECHANISM[k.keySpec];
    if (!h || !k.secret) throw new TypeError(`keySpec: ${ref.keySpec} is not an HMAC key`);
    return { secret: k.secret, mechanism: { mechanism: h.mechanism }, bytes: h.bytes };
  }

  async mac(ref: KeyRef, message: Uint8Array): Promise<Buffer> {
    return this.retrying(() => this.macOnce(ref, message));
  }

  private async macOnce(ref: KeyRef, message: Uint8Array): Promise<Buffer> {
    const h = this.hmacOf(await this.load(ref), ref);
    const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    if (this.sync) {
      return this.guard(ref, () => {
        this.token.api.C_SignInit(this.token.session, h.mechanism, h.secret);
        return this.token.api.C_Sign(this.token.session, data, Buffer.alloc(h.bytes));
      });
    }
    return this.pooled(ref, async (s) => {
      this.guard(ref, () => this.token.api.C_SignInit(s, h.mechanism, h.secret));
      return this.token.api.C_SignAsync(s, data, Buffer.alloc(h.bytes));
    });
  }

  /** Checked in the token (C_Verify); false for a wrong or wrong-length MAC. */
  async verifyMac(ref: KeyRef, message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    return this.retrying(() => this.verifyMacOnce(ref, message, mac));
  }

  private async verifyMacOnce(ref: KeyRef, message: Uint8Array, mac: Uint8Array): Promise<boolean> {
    const h = this.hmacOf(await this.load(ref), ref);
    if (mac.length !== h.bytes) return false;
    return this.verifyIn(ref, h.mechanism, h.secret, Buffer.from(message.buffer, message.byteOffset, message.byteLength), Buffer.from(mac));
  }

  /** C_VerifyInit + C_Verify; a refused signature is false, anything else throws. */
  private async verifyIn(ref: KeyRef, mechanism: Mechanism, key: Handle, data: Buffer, signature: Buffer): Promise<boolean> {
    const run = async (s: Handle, call: (s: Handle) => boolean | Promise<boolean>): Promise<boolean> => {
      this.guard(ref, () => this.token.api.C_VerifyInit(s, mechanism, key));
      try {
        return await call(s);
      } catch (err) {
        if (SIGNATURE_REFUSED.has(ckrName(err) ?? '')) return false;
        throw err;
      }
    };
    if (this.sync) return run(this.token.session, (s) => this.token.api.C_Verify(s, data, signature));
    return this.pooled(ref, (s) => run(s, (x) => this.token.api.C_VerifyAsync(x, data, signature)));
  }

  // ---- asymmetric ----

  private async pair(ref: KeyRef): Promise<{ spec: AsymmetricKeySpec; k: LoadedKey & { privateKey: Handle; publicHandle: Handle; publicKey: KeyObject } }> {
    const spec = assertAsymmetric(ref.keySpec);
    const k = await this.load(ref);
    if (!k.privateKey || !k.publicHandle || !k.publicKey) throw new KeyMaterialMissingError(ref);
    return { spec, k: k as LoadedKey & { privateKey: Handle; publicHandle: Handle; publicKey: KeyObject } };
  }

  async sign(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Promise<Buffer> {
    return this.retrying(() => this.signOnce(ref, algorithm, message, messageType));
  }

  private async signOnce(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Promise<Buffer> {
    const { spec, k } = await this.pair(ref);
    assertSignInput(spec, algorithm, message, messageType);
    const plan = signPlan(algorithm, message, messageType);
    const size = plan.kind === 'rsa' ? k.publicKey.asymmetricKeyDetails!.modulusLength! / 8 : plan.kind === 'eddsa' ? 64 : 2 * EC_FIELD_BYTES[spec]!;
    let raw: Buffer;
    if (this.sync && plan.kind !== 'rsa') {
      raw = this.guard(ref, () => {
        this.token.api.C_SignInit(this.token.session, plan.mechanism, k.privateKey);
        return this.token.api.C_Sign(this.token.session, plan.data, Buffer.alloc(size));
      });
    } else {
      raw = await this.pooled(ref, async (s) => {
        this.guard(ref, () => this.token.api.C_SignInit(s, plan.mechanism, k.privateKey));
        return this.token.api.C_SignAsync(s, plan.data, Buffer.alloc(size));
      });
    }
    return plan.kind === 'ecdsa' ? rawToDerSignature(raw) : Buffer.from(raw);
  }

  /** Verified in the token with the public key object; false (never an exception) for a malformed or wrong signature. */
  async verify(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): Promise<boolean> {
    return this.retrying(() => this.verifyOnce(ref, algorithm, message, messageType, signature));
  }

  private async verifyOnce(ref: KeyRef, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): Promise<boolean> {
    const { spec, k } = await this.pair(ref);
    assertSignInput(spec, algorithm, message, messageType);
    assertArg(isBytes(signature), 'signature', 'must be bytes');
    const plan = signPlan(algorithm, message, messageType);
    let sig: Buffer | undefined;
    if (plan.kind === 'ecdsa') sig = derToRawSignature(signature, EC_FIELD_BYTES[spec]!);
    else if (plan.kind === 'eddsa') sig = signature.length === 64 ? Buffer.from(signature) : undefined;
    else sig = signature.length === k.publicKey.asymmetricKeyDetails!.modulusLength! / 8 ? Buffer.from(signature) : undefined;
    if (!sig) return false;
    return this.verifyIn(ref, plan.mechanism, k.publicHandle, plan.data, sig);
  }

  async publicKeyPem(ref: KeyRef): Promise<string> {
    return this.retrying(() => this.publicKeyPemOnce(ref));
  }

  private async publicKeyPemOnce(ref: KeyRef): Promise<string> {
    const { k } = await this.pair(ref);
    return k.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }

  /** Initialises an OAEP operation, turning "the token does not take these parameters" into Pkcs11MechanismError. */
  private oaepInit(ref: KeyRef, algorithm: EncryptionAlgorithm, hash: 'sha1' | 'sha256', init: (m: Mechanism) => void): void {
    const refused = () =>
      new Pkcs11MechanismError('CKM_RSA_PKCS_OAEP', algorithm,
        `the HSM instance's token's CKM_RSA_PKCS_OAEP mechanism does not take ${hash === 'sha1' ? 'SHA-1' : 'SHA-256'} with MGF1: ${algorithm} cannot be used with its keys`);
    if (this.oaep.get(hash) === false) throw refused();
    try {
      this.guard(ref, () => init(oaepMechanism(hash)));
      this.oaep.set(hash, true);
    } catch (err) {
      if (PARAMS_REFUSED.has(ckrName(err) ?? '')) {
        this.oaep.set(hash, false);
        throw refused();
      }
      throw err;
    }
  }

  async asymmetricEncrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Promise<Buffer> {
    return this.retrying(() => this.asymmetricEncryptOnce(ref, algorithm, plaintext));
  }

  private async asymmetricEncryptOnce(ref: KeyRef, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Promise<Buffer> {
    const { spec, k } = await this.pair(ref);
    assertEncryptionAlgorithmFits(spec, algorithm);
    assertArg(isBytes(plaintext) && plaintext.length >= 1, 'plaintext', 'must be at least 1 byte');
    const hash = algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256';
    const bits = k.publicKey.asymmetricKeyDetails!.modulusLength!;
    const max = rsaOaepMaxPlaintext(bits, hash);
    if (plaintext.length > max) throw new CryptoInputError('PLAINTEXT_TOO_LONG', `plaintext must be at most ${max} bytes for RSA-${bits} OAEP-${hash}`);
    const data = Buffer.from(plaintext);
    return this.pooled(ref, async (s) => {
      this.oaepInit(ref, algorithm, hash, (m) => this.token.api.C_EncryptInit(s, m, k.publicHandle));
      return Buffer.from(await this.token.api.C_EncryptAsync(s, data, Buffer.alloc(bits / 8)));
    });
  }

  /** In the token, on libuv's pool; one BAD_CIPHERTEXT for every failure (no padding oracle). */
  async asymmetricDecrypt(ref: KeyRef, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Promise<Buffer> {
    return this.retrying(() => this.asymmetricDecryptOnce(ref, algorithm, ciphertext));
  }

  private async asymmetricDecryptOnce(ref: KeyRef, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Promise<Buffer> {
    const { spec, k } = await this.pair(ref);
    assertEncryptionAlgorithmFits(spec, algorithm);
    assertArg(isBytes(ciphertext), 'ciphertext', 'must be bytes');
    const hash = algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256';
    const bytes = k.publicKey.asymmetricKeyDetails!.modulusLength! / 8;
    if (ciphertext.length !== bytes) throw new CryptoInputError('BAD_CIPHERTEXT', `ciphertext must be ${bytes} bytes`);
    const data = Buffer.from(ciphertext);
    return this.pooled(ref, async (s) => {
      this.oaepInit(ref, algorithm, hash, (m) => this.token.api.C_DecryptInit(s, m, k.privateKey));
      try {
        return Buffer.from(await this.token.api.C_DecryptAsync(s, data, Buffer.alloc(bytes)));
      } catch (cause) {
        const f = this.failure(ref, cause);
        if (f !== cause) throw f;
        throw new CryptoInputError('BAD_CIPHERTEXT', 'RSA-OAEP decryption failed', { cause: new Error(ckrName(cause) ?? 'error') });
      }
    });
  }

  // ---- import (refused) ----

  async createImportWrappingKey(_algorithm: WrappingAlgorithm, _tokenId: string): Promise<ImportWrappingKey> {
    throw new Pkcs11ImportRefusedError();
  }

  async importMaterial(
    _ref: KeyRef,
    _wrapping: ImportWrapping,
    _encryptedKeyMaterial: Uint8Array,
    _encryptedPrivateKey: Uint8Array | undefined,
  ): Promise<ImportedMaterial> {
    throw new Pkcs11ImportRefusedError();
  }

  forget(keyId: string, versions: number): void {
    for (let v = 1; v <= versions; v++) this.cache.delete(`${keyId}#${v}`);
  }

  /** Loaded handles are found by key id and version, and only for references to this partition. */
  private cacheKey(ref: KeyRef): string {
    return ref.partitionId === this.id ? `${ref.keyId}#${ref.version}` : '';
  }

  /** Closes the token sessions this partition holds (the library stays open for its other holders). */
  close(): void {
    this.cache.clear();
    this.token.close();
  }
}


