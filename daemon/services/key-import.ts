/**
 * Imported key material (BYOK, reference 1e): get-parameters-for-import issues a wrapping key and a
 * one-use import token (24 h, bound to the key, the wrapping key, the project and the user);
 * import-key-material unwraps in the HSM and stores the material sealed; delete-imported-key-material
 * returns the key to pending import. Re-import must be byte-identical (compared by keyed digest).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { importErrors, kmsErrors } from '../errors.js';
import { PartitionRefusalError, type Hsm } from '../hsm/hsm.js';
import type { WrappingAlgorithm } from '../hsm/import-unwrap.js';
import type { KeyRepo, ImportTokenRow } from '../store/key-repo.js';
import type { Caller } from './caller.js';
import type { KeyCache } from './key-cache.js';
import type { KeyService } from './keys.js';
import { KEY_STATE, keyRef, type KeyRecord } from './key-record.js';
import { mapCryptoErrors } from './crypto-errors.js';

const TOKEN_TTL_MS = 86_400_000;
const TOKEN_VERSION = 1;
// version(1) ‖ token id(32) ‖ key id(36, ASCII) ‖ project id(32, ASCII) ‖ expiry s(8) ‖ SHA-256(wrapping SPKI)(32) ‖ HMAC(32)
const TOKEN_BODY = 1 + 32 + 36 + 32 + 8 + 32;
const TOKEN_BYTES = TOKEN_BODY + 32;

export interface ImportParameters {
  keyId: string;
  importToken: string;
  /** Epoch seconds. */
  expirationTime: number;
  /** Base64 DER SubjectPublicKeyInfo. */
  publicKey: string;
  /** Set for RSAES_OAEP_SHA_1, which is accepted but insecure. */
  warning?: string;
}

export interface ImportMaterialInput {
  keyId: string;
  importToken: string;
  encryptedKeyMaterial: Buffer;
  encryptedPrivateKey?: Buffer;
  /** Epoch seconds after which the material is refused and later deleted. */
  expirationTime?: number;
}

interface ParsedToken {
  tokenId: string;
  keyId: string;
  projectId: string;
  wrappingKeyHash: Buffer;
}

const { invalidToken, tokenRefused } = importErrors;

export class KeyImportService {
  constructor(
    private readonly keys: KeyService,
    private readonly repo: KeyRepo,
    private readonly cache: KeyCache,
    private readonly hsm: Hsm,
    private readonly opts: { now: () => number; warn: (message: string) => void },
  ) {}

  private async externalKey(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.keys.resolve(caller, keyId);
    if (k.origin !== 'external') throw kmsErrors.notImported();
    return k;
  }

  async parameters(caller: Caller, keyId: string, algorithm: WrappingAlgorithm): Promise<ImportParameters> {
    const k = await this.externalKey(caller, keyId);
    if (k.keyState !== KEY_STATE.pendingImport) throw kmsErrors.notPendingImport();
    const now = this.opts.now();
    const tokenId = randomBytes(32);
    const expiresAt = now + TOKEN_TTL_MS;
    this.keys.assertKeystoreUsable(k);
    let wrapping;
    try {
      wrapping = await this.hsm.createImportWrappingKey(algorithm, tokenId.toString('hex'), k.partitionId);
    } catch (err) {
      // A partition that cannot take imported material (a PKCS#11 token's): say so, as a user error.
      if (err instanceof PartitionRefusalError) throw kmsErrors.invalidAs('keystore_id', err.message);
      throw err;
    }
    const wrappingKeyHash = createHash('sha256').update(wrapping.publicKeySpkiDer).digest();
    const row: ImportTokenRow = {
      tokenId: tokenId.toString('hex'),
      keyId: k.keyId,
      projectId: caller.projectId,
      userId: caller.userId,
      wrappingAlgorithm: algorithm,
      wrappingKeyHash,
      wrappingKeySealed: wrapping.sealed,
      createdAt: now,
      expiresAt,
      usedAt: null,
    };
    await this.repo.insertImportToken(row);
    const expirationTime = Math.floor(expiresAt / 1000);
    const body = Buffer.alloc(TOKEN_BODY);
    let o = body.writeUInt8(TOKEN_VERSION, 0);
    o += tokenId.copy(body, o);
    o += body.write(k.keyId, o, 'ascii');
    o += body.write(caller.projectId.padEnd(32, '\u0000').slice(0, 32), o, 'ascii');
    o = body.writeBigUInt64BE(BigInt(expirationTime), o);
    wrappingKeyHash.copy(body, o);
    const token = Buffer.concat([body, this.hsm.importTokenMac(body)]).toString('base64');
    const out: ImportParameters = { keyId: k.keyId, importToken: token, expirationTime, publicKey: wrapping.publicKeySpkiDer.toString('base64') };
    if (algorithm === 'RSAES_OAEP_SHA_1') {
      out.warning = 'RSAES_OAEP_SHA_1 is accepted for compatibility but insecure; prefer RSAES_OAEP_SHA_256.';
      this.opts.warn(`import token for key ${k.keyId} uses insecure wrapping algorithm RSAES_OAEP_SHA_1`);
    }
    return out;
  }

  /** Checks the token's form and MAC (KMS.2601) without touching storage. */
  private parseToken(token: string): ParsedToken {
    const raw = Buffer.from(token, 'base64');
    if (raw.length !== TOKEN_BYTES || raw.toString('base64') !== token || raw[0] !== TOKEN_VERSION) throw invalidToken('not a token issued by get-parameters-for-import');
    const body = raw.subarray(0, TOKEN_BODY);
    if (!timingSafeEqual(this.hsm.importTokenMac(body), raw.subarray(TOKEN_BODY))) throw invalidToken('it fails its integrity check');
    return {
      tokenId: body.subarray(1, 33).toString('hex'),
      keyId: body.subarray(33, 69).toString('ascii'),
      projectId: body.subarray(69, 101).toString('ascii').replace(/\u0000+$/, ''),
      wrappingKeyHash: Buffer.from(body.subarray(109, 141)),
    };
  }

  /** Finds the stored token and checks every binding: project and user (2605), key (2603), one use and 24 h (2605). */
  private async checkToken(caller: Caller, k: KeyRecord, token: string, now: number): Promise<ImportTokenRow> {
    const t = this.parseToken(token);
    if (t.projectId !== caller.projectId) throw tokenRefused('the import token belongs to another project');
    if (t.keyId !== k.keyId) throw importErrors.tokenOtherKey();
    const row = await this.repo.loadImportToken(t.tokenId);
    if (!row || !row.wrappingKeyHash.equals(t.wrappingKeyHash)) throw invalidToken('unknown token');
    if (row.userId !== caller.userId) throw tokenRefused('the import token was issued to another user');
    if (row.usedAt !== null) throw tokenRefused('the import token has already been used');
    if (row.expiresAt <= now) throw tokenRefused('the import token has expired (tokens are valid for 24 hours)');
    return row;
  }

  async importMaterial(caller: Caller, input: ImportMaterialInput): Promise<KeyRecord> {
    const k = await this.externalKey(caller, input.keyId);
    const now = this.opts.now();
    const token = await this.checkToken(caller, k, input.importToken, now);
    if (k.keyState !== KEY_STATE.pendingImport) throw kmsErrors.notPendingImport();
    let expirationTime: number | null = null;
    if (input.expirationTime !== undefined) {
      expirationTime = input.expirationTime * 1000;
      if (expirationTime <= now) throw importErrors.expiryPast();
    }
    const ref = keyRef(k, 1);
    const wrapping = { algorithm: token.wrappingAlgorithm as WrappingAlgorithm, sealed: token.wrappingKeySealed, tokenId: token.tokenId };
    const { sealed, digest } = await mapCryptoErrors(() => this.hsm.importMaterial(ref, wrapping, input.encryptedKeyMaterial, input.encryptedPrivateKey));
    const earlier = await this.repo.loadImportDigest(k.keyId);
    if (earlier && !(earlier.length === digest.length && timingSafeEqual(earlier, digest))) {
      throw importErrors.otherMaterial();
    }
    const outcome = await this.repo.commitImport({ keyId: k.keyId, tokenId: token.tokenId, now, sealed, digest, expirationTime }, this.keys.auditHook(caller));
    if (outcome === 'refused') {
      // Lost a race: another import used the token or changed the key. Report what is true now.
      await this.cache.sync();
      const again = await this.repo.loadImportToken(token.tokenId);
      if (again?.usedAt !== null) throw tokenRefused('the import token has already been used');
      throw kmsErrors.notPendingImport();
    }
    // Material of an earlier import of this key may still be cached; it is identical, but start clean.
    this.hsm.forget(k.keyId, 1);
    const next: KeyRecord = { ...k, keyState: KEY_STATE.enabled, currentVersion: 1, expirationTime, revision: k.revision + 1 };
    this.cache.put(next);
    return next;
  }

  async deleteMaterial(caller: Caller, keyId: string): Promise<KeyRecord> {
    const k = await this.externalKey(caller, keyId);
    const wrongState = () =>
      importErrors.deleteState();
    if (k.keyState !== KEY_STATE.enabled && k.keyState !== KEY_STATE.disabled) throw wrongState();
    if (!(await this.repo.deleteImportedMaterial(k.keyId, this.keys.auditHook(caller)))) {
      await this.cache.sync();
      throw wrongState();
    }
    this.hsm.forget(k.keyId, Math.max(1, k.currentVersion));
    const next: KeyRecord = { ...k, keyState: KEY_STATE.pendingImport, currentVersion: 0, expirationTime: null, revision: k.revision + 1 };
    this.cache.put(next);
    return next;
  }
}
