/**
 * SSH key pairs (reference 4, SPEC "KPS"): create (generate) or import, scopes `user` and `domain`
 * (account key pairs, FAQ 3.4) with the upgrade rule of FAQ 3.21–3.22, quotas, paging, and the
 * managed private key: sealed under a KMS key (services/kps/private-key-vault.ts), imported,
 * exported in OpenSSH/PKCS#8/PKCS#1/PuTTY forms, cleared, and used to decrypt Windows passwords.
 * Key formats are the format library's (daemon/kps/key-formats.ts); its KeyFormatError becomes a
 * 400 here, with no key material in the message.
 */
import { DewError, kpsErrors } from '../../errors.js';
import { ACCOUNT_OWNER, type KeypairRow, type KpsRepo } from '../../store/kps-repo.js';
import { allows, permissionBits } from '../authorization.js';
import type { Caller } from '../caller.js';
import type { PrivateKeyVault } from './private-key-vault.js';
import {
  exportPrivateKey,
  generateKeyPair,
  KeyFormatError,
  matchesPublicKey,
  parsePrivateKey,
  parsePublicKey,
  rsaPkcs1v15Decrypt,
  type GeneratedAlgorithm,
  type PrivateKeyFormat,
} from '../../kps/key-formats.js';

export type Scope = 'user' | 'domain';

/** `key_protection` of a create or import body. */
export interface KeyProtection {
  private_key?: string;
  encryption: { type: 'default' | 'kms'; kms_key_name?: string; kms_key_id?: string };
}

export interface CreateKeypair {
  name: string;
  type?: string;
  public_key?: string;
  scope?: Scope;
  user_id?: string;
  algorithm?: GeneratedAlgorithm;
  description?: string;
  key_protection?: KeyProtection;
}

export interface KpsQuotas {
  /** Key pairs a user owns (scope user). */
  perUser: number;
  /** Account key pairs created as such (upgraded ones do not count, FAQ 3.22). */
  perAccount: number;
}

export const DEFAULT_KPS_QUOTAS: KpsQuotas = Object.freeze({ perUser: 500, perAccount: 500 });

/** The KMS key that protects managed private keys when the user names none. */
export const KPS_DEFAULT_KEY = 'kps/default';

const isAdmin = (caller: Caller): boolean => allows(permissionBits(caller.roles), 'iam');

/** The encryption context (and AAD) binding a sealed private key to its key pair. */
const sealContext = (r: Pick<KeypairRow, 'projectId' | 'userId' | 'name'>): string => `kps:${r.projectId}:${r.userId}:${r.name}`;

function formatError(field: string, e: unknown): never {
  if (e instanceof KeyFormatError) throw kpsErrors.badKey(field, e.message);
  throw e;
}

export class KeypairService {
  constructor(
    private readonly repo: KpsRepo,
    private readonly vault: PrivateKeyVault,
    private readonly opts: { now: () => number; quotas: KpsQuotas; userExists: (domainId: string, userId: string) => boolean },
  ) {}

  /** The key pair `name` as the caller sees it: its own user key pair, else the account's. */
  async find(caller: Caller, name: string): Promise<KeypairRow | undefined> {
    const rows = await this.repo.visibleByName(caller.projectId, caller.userId, name);
    return rows.find((r) => r.owner === caller.userId) ?? rows[0];
  }

  async get(caller: Caller, name: string): Promise<KeypairRow> {
    const r = await this.find(caller, name);
    if (!r) throw kpsErrors.notFound(name);
    return r;
  }

  /** The reference's detail shape (GET /keypairs/{name}). */
  toDetail(r: KeypairRow): Record<string, unknown> {
    return {
      name: r.name,
      id: r.id,
      type: r.type,
      scope: r.scope,
      public_key: r.publicKey,
      fingerprint: r.fingerprint,
      is_key_protection: r.privateSealed !== null,
      deleted: false,
      description: r.description,
      user_id: r.userId,
      create_time: r.createTime,
      delete_time: null,
      update_time: r.updateTime,
      frozen_state: r.frozenState,
      key_id: r.kmsKeyId ?? '',
      algorithm: r.algorithm,
    };
  }

  /** The reference's list-item shape. */
  toListItem(r: KeypairRow): Record<string, unknown> {
    return { name: r.name, type: r.type, scope: r.scope, public_key: r.publicKey, fingerprint: r.fingerprint, is_key_protection: r.privateSealed !== null, frozen_state: r.frozenState };
  }

  /** Who owns a new key pair: the caller, or (for an administrator) the `user_id` it names. */
  private ownerOf(caller: Caller, userId: string | undefined): string {
    if (userId === undefined || userId === caller.userId) return caller.userId;
    if (!isAdmin(caller)) throw new DewError('KPS.0018', 403, 'Only an administrator can create a key pair for another user.');
    if (!this.opts.userExists(caller.domainId, userId)) throw kpsErrors.invalid('user_id', 'no such user in the account');
    return userId;
  }

  /** Names taken for `owner` (a user id, or ACCOUNT_OWNER): the collision rules of FAQ 3.21. */
  private async assertNameFree(caller: Caller, name: string, scope: Scope, owner: string, exceptId?: number): Promise<void> {
    const same = (await this.repo.allByName(caller.projectId, name)).filter((r) => r.id !== exceptId);
    if (scope === 'domain' && same.length > 0) {
      throw kpsErrors.exists(name, same.some((r) => r.owner === ACCOUNT_OWNER) ? 'already exists as an account key pair' : "is the name of a user's private key pair");
    }
    if (scope === 'user' && same.some((r) => r.owner === owner || r.owner === ACCOUNT_OWNER)) {
      throw kpsErrors.exists(name, same.some((r) => r.owner === ACCOUNT_OWNER) ? 'already exists as an account key pair' : 'already exists');
    }
  }

  private async assertQuota(caller: Caller, owner: string): Promise<void> {
    const account = owner === ACCOUNT_OWNER;
    const limit = account ? this.opts.quotas.perAccount : this.opts.quotas.perUser;
    if ((await this.repo.countOwned(caller.projectId, owner)) >= limit) throw kpsErrors.quota(account ? 'account key pair' : 'key pair', limit);
  }

  /** The KMS key a key_protection names: `kps/default` for type default, else the id or name given. */
  private kmsKeyOf(p: KeyProtection): string {
    if (p.encryption.type === 'default') return KPS_DEFAULT_KEY;
    const named = p.encryption.kms_key_id ?? p.encryption.kms_key_name;
    if (!named) throw kpsErrors.missing('key_protection.encryption.kms_key_id or kms_key_name');
    return named;
  }

  /**
   * POST /keypairs: generates a key pair (or imports `public_key`). The private key is in the
   * answer once, unless `key_protection` asks the service to keep it (then it is exported later).
   */
  async create(caller: Caller, body: CreateKeypair): Promise<Record<string, unknown>> {
    if (body.type === 'x509') throw kpsErrors.invalid('type', 'only ssh key pairs are supported');
    const scope: Scope = body.scope ?? 'user';
    if (scope === 'domain' && !isAdmin(caller)) throw new DewError('KPS.0018', 403, 'Only an administrator can create an account (domain) key pair (FAQ 3.21).');
    const userId = this.ownerOf(caller, body.user_id);
    const owner = scope === 'domain' ? ACCOUNT_OWNER : userId;
    await this.assertNameFree(caller, body.name, scope, owner);
    await this.assertQuota(caller, owner);
    if (body.public_key !== undefined && body.algorithm !== undefined) throw kpsErrors.invalid('algorithm', 'it chooses what is generated; an imported public key has its own');

    let publicInfo;
    let privateKey: string | undefined;
    if (body.public_key !== undefined) {
      try {
        publicInfo = parsePublicKey(body.public_key);
      } catch (e) {
        formatError('public_key', e);
      }
      const given = body.key_protection?.private_key;
      if (given !== undefined) {
        privateKey = this.parseMatchingPrivate(given, publicInfo.openssh);
      }
    } else {
      const given = body.key_protection?.private_key;
      if (given !== undefined) {
        // A private key alone imports the pair: its public half is derived.
        try {
          const parsed = parsePrivateKey(given);
          publicInfo = parsed.public;
          privateKey = parsed.privateKey;
        } catch (e) {
          formatError('key_protection.private_key', e);
        }
      } else {
        const generated = await generateKeyPair(body.algorithm ?? 'SSH_RSA_2048', body.name);
        publicInfo = generated.public;
        privateKey = generated.privateKey;
      }
    }
    const generated = body.public_key === undefined && body.key_protection?.private_key === undefined;
    const now = this.opts.now();
    const base = { projectId: caller.projectId, userId, name: body.name };
    let sealed;
    if (body.key_protection && privateKey !== undefined) sealed = await this.vault.seal(caller, this.kmsKeyOf(body.key_protection), sealContext(base), privateKey);
    const row = await this.repo.insertKeypair({
      ...base,
      domainId: caller.domainId,
      owner,
      scope,
      type: 'ssh',
      algorithm: publicInfo.algorithm,
      publicKey: publicInfo.openssh,
      fingerprint: publicInfo.fingerprint,
      description: body.description ?? '',
      privateSealed: sealed?.text ?? null,
      kmsKeyId: sealed?.kmsKeyId ?? null,
      encryptionType: sealed ? body.key_protection!.encryption.type : null,
      frozenState: 0,
      upgraded: 0,
      createTime: now,
      updateTime: now,
      revision: 1,
    });
    if (!row) throw kpsErrors.exists(body.name);
    const answer: Record<string, unknown> = { name: row.name, type: row.type, public_key: row.publicKey, fingerprint: row.fingerprint, user_id: row.userId };
    if (generated && !sealed) answer.private_key = exportPrivateKey(privateKey!, 'openssh', row.name);
    return { keypair: answer };
  }

  private parseMatchingPrivate(text: string, publicOpenssh: string): string {
    let canonical: string;
    try {
      canonical = parsePrivateKey(text).privateKey;
    } catch (e) {
      formatError('key_protection.private_key', e);
    }
    if (!matchesPublicKey(canonical, publicOpenssh)) throw kpsErrors.keyMismatch();
    return canonical;
  }

  /** GET /keypairs: names in order, `marker` the last name of the previous page. */
  async list(caller: Caller, limit: number, marker: string | undefined): Promise<Record<string, unknown>> {
    const rows = await this.repo.listVisible(caller.projectId, caller.userId, marker, limit + 1);
    // A user key pair and an account key pair never share a name (assertNameFree), so names are unique here.
    const page = rows.slice(0, limit);
    const pageInfo: Record<string, unknown> = { current_count: page.length };
    if (rows.length > limit) pageInfo.next_marker = page[page.length - 1].name;
    if (marker !== undefined && page.length > 0) pageInfo.previous_marker = page[0].name;
    return { keypairs: page.map((r) => ({ keypair: this.toListItem(r) })), page_info: pageInfo };
  }

  /** PUT /keypairs/{name}: the description, and/or the upgrade of a user key pair to an account one. */
  async update(caller: Caller, name: string, body: { description?: string; scope?: 'domain' }): Promise<void> {
    const r = await this.get(caller, name);
    const set: Partial<KeypairRow> = { updateTime: this.opts.now() };
    if (body.description !== undefined) set.description = body.description;
    if (body.scope === 'domain' && r.scope !== 'domain') {
      if (!isAdmin(caller)) throw new DewError('KPS.0018', 403, 'Only an administrator can upgrade a key pair to an account key pair (FAQ 3.21).');
      await this.assertNameFree(caller, name, 'domain', ACCOUNT_OWNER, r.id);
      Object.assign(set, { scope: 'domain', owner: ACCOUNT_OWNER, upgraded: 1 });
    }
    if (!(await this.repo.updateKeypair(r.id, r.revision, set))) throw kpsErrors.busy(`The key pair ${JSON.stringify(name)} changed meanwhile (or its name was taken); try again.`);
  }

  /** DELETE /keypairs/{name}: refused while it is bound to a host (unbind first, so no host keeps a key nobody manages). */
  async delete(caller: Caller, name: string): Promise<void> {
    const r = await this.get(caller, name);
    const bound = await this.repo.hostsBoundTo(r.id);
    if (bound.length > 0) throw kpsErrors.bound(name, bound.map((h) => h.name));
    await this.repo.deleteKeypair(r.id);
  }

  /** POST /keypairs/private-key/import: the service keeps the private key of an existing key pair. */
  async importPrivateKey(caller: Caller, name: string, userId: string | undefined, protection: KeyProtection & { private_key: string }): Promise<Record<string, unknown>> {
    if (userId !== undefined && userId !== caller.userId && !isAdmin(caller)) throw new DewError('KPS.0018', 403, "Only an administrator can import a private key into another user's key pair.");
    const r = await this.get(caller, name);
    const canonical = this.parseMatchingPrivate(protection.private_key, r.publicKey);
    const sealed = await this.vault.seal(caller, this.kmsKeyOf(protection), sealContext(r), canonical);
    const ok = await this.repo.updateKeypair(r.id, r.revision, { privateSealed: sealed.text, kmsKeyId: sealed.kmsKeyId, encryptionType: protection.encryption.type, updateTime: this.opts.now() });
    if (!ok) throw kpsErrors.busy(`The key pair ${JSON.stringify(name)} changed meanwhile; try again.`);
    return { keypair: { name: r.name, user_id: r.userId, key_protection: { encryption: { type: protection.encryption.type, kms_key_id: sealed.kmsKeyId } } } };
  }

  /** The managed private key in the clear (canonical form), for export, login and decrypt-password. */
  async privateKeyOf(caller: Caller, r: KeypairRow): Promise<string> {
    if (r.privateSealed === null) throw kpsErrors.noPrivateKey(r.name);
    return this.vault.open(caller, r.privateSealed, sealContext(r));
  }

  /** POST /keypairs/private-key/export (format: openssh by default; pkcs8, pkcs1, ppk, ppk2). */
  async exportPrivateKey(caller: Caller, name: string, format: PrivateKeyFormat = 'openssh'): Promise<Record<string, unknown>> {
    const r = await this.get(caller, name);
    const canonical = await this.privateKeyOf(caller, r);
    let privateKey: string;
    try {
      privateKey = exportPrivateKey(canonical, format, r.name);
    } catch (e) {
      formatError('format', e);
    }
    return { keypair: { name: r.name, private_key: privateKey } };
  }

  /** DELETE /keypairs/{name}/private-key: the service forgets the private key. */
  async clearPrivateKey(caller: Caller, name: string): Promise<void> {
    const r = await this.get(caller, name);
    if (r.privateSealed === null) throw kpsErrors.noPrivateKey(name);
    const ok = await this.repo.updateKeypair(r.id, r.revision, { privateSealed: null, kmsKeyId: null, encryptionType: null, updateTime: this.opts.now() });
    if (!ok) throw kpsErrors.busy(`The key pair ${JSON.stringify(name)} changed meanwhile; try again.`);
  }

  /** POST /keypairs/decrypt-password: a Windows password that cloudbase-init encrypted (RSA PKCS#1 v1.5). */
  async decryptPassword(caller: Caller, name: string, ciphertextB64: string): Promise<Record<string, unknown>> {
    const r = await this.get(caller, name);
    if (!r.algorithm.startsWith('SSH_RSA')) throw kpsErrors.notRsa();
    const canonical = await this.privateKeyOf(caller, r);
    const ct = Buffer.from(ciphertextB64.replace(/\s+/g, ''), 'base64');
    let plain: Buffer;
    try {
      plain = rsaPkcs1v15Decrypt(canonical, ct);
    } catch (e) {
      if (e instanceof KeyFormatError) throw kpsErrors.undecryptable();
      throw e;
    }
    try {
      return { keypair: { name: r.name, password: plain.toString('utf8') } };
    } finally {
      plain.fill(0);
    }
  }
}
