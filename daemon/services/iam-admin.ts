/**
 * IAM administration: users, access keys, roles and IP allow-lists of an account. Administrators
 * manage their own account; administrators of the operator (bootstrap) account manage any, and
 * naming an unknown account when creating a user creates that account with its own project.
 * Every write is one batch with its change events, then this daemon reloads at once; the others
 * follow through the change feed.
 */
import { randomBytes } from 'node:crypto';
import { DewError, iamErrors } from '../errors.js';
import type { Hsm } from '../hsm/hsm.js';
import { NameTakenError, type AccountRow, type IdentityRepo, type UserRow } from '../store/identity-repo.js';
import { IpAllowList, MAX_CIDRS, validateCidrs } from './ip-allow-list.js';
import { ROLE, ROLE_NAMES } from './authorization.js';
import type { Caller } from './caller.js';
import type { AuditHooks } from './audit.js';
import { hex32, newAccessKey, secretContext, type IdentityService, type IssuedCredentials } from './identity.js';

/** Huawei IAM allows two access keys per user. */
export const ACCESS_KEYS_PER_USER = 2;
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface UserView {
  user_id: string;
  name: string;
  domain_id: string;
  account: string;
  project_id: string;
  roles: string[];
  access_keys: string[];
  created_at: string;
}

export class IamAdmin {
  constructor(
    private readonly repo: IdentityRepo,
    private readonly identity: IdentityService,
    private readonly hsm: Hsm,
    /** `audit`: a change and the caller's audit record commit in one batch (services/audit.ts); absent when the trail is off. */
    private readonly opts: { region: string; now: () => number; audit?: AuditHooks },
  ) {}

  private auditHook(caller: Caller) {
    return this.opts.audit?.hookFor(caller);
  }

  /** The account a call acts on: the caller's own, or (operator only) the one named. */
  private target(caller: Caller, account: string | undefined): AccountRow {
    if (account !== undefined && (typeof account !== 'string' || account.length === 0 || account.length > 64)) throw iamErrors.invalid('account');
    const own = this.identity.account(caller.domainId);
    if (account === undefined || account === caller.domainId || account === own?.name) {
      if (!own) throw iamErrors.noAccount();
      return own;
    }
    if (!this.identity.isOperatorAccount(caller.domainId)) throw iamErrors.otherAccount();
    const a = this.identity.findAccount(account);
    if (!a) throw iamErrors.noAccount();
    return a;
  }

  private user(caller: Caller, user: string, account: string | undefined): UserRow {
    const a = this.target(caller, account);
    if (typeof user !== 'string' || user.length === 0 || user.length > 64) throw iamErrors.invalid('user');
    const u = this.identity.findUser(a.domainId, user);
    if (!u) throw iamErrors.noUser();
    return u;
  }

  private static roles(roles: unknown): string[] {
    if (roles === undefined) return [];
    if (!Array.isArray(roles) || roles.length > 8) throw iamErrors.invalid('roles: a list of role names');
    const out: string[] = [];
    for (const r of roles) {
      if (typeof r !== 'string' || !ROLE_NAMES.includes(r)) throw iamErrors.invalidRole(String(r), ROLE_NAMES);
      if (!out.includes(r)) out.push(r);
    }
    return out;
  }

  private newAccessKeyRow(userId: string, domainId: string, projectId: string) {
    const ak = newAccessKey();
    const secret = Buffer.from(randomBytes(30).toString('base64').replace(/[+/=]/g, '').slice(0, 40));
    try {
      const row = { accessKey: ak, userId, domainId, projectId, secretWrapped: this.hsm.sealSecret(secret, secretContext(ak)), status: 'active', createdAt: this.opts.now() };
      return { row, secretKey: secret.toString('utf8') };
    } finally {
      secret.fill(0);
    }
  }

  /** create-user: the secret key is in this answer only. */
  async createUser(caller: Caller, input: { name: unknown; roles?: unknown; account?: unknown }): Promise<IssuedCredentials> {
    if (typeof input.name !== 'string' || !NAME_RE.test(input.name)) throw iamErrors.invalid('name: 1 to 64 letters, digits, ., _ or -');
    const roles = IamAdmin.roles(input.roles);
    const accountName = input.account === undefined ? undefined : String(input.account);
    let account: AccountRow | undefined;
    let newProject: { projectId: string } | undefined;
    const now = this.opts.now();
    try {
      account = this.target(caller, accountName);
    } catch (err) {
      if (!(err instanceof DewError) || err.code !== 'IAM.0008' || accountName === undefined) throw err;
      if (!NAME_RE.test(accountName) || /^[0-9a-f]{32}$/.test(accountName)) throw iamErrors.invalid('account: 1 to 64 letters, digits, ., _ or - (not a 32-hex domain id)');
      account = { domainId: hex32(), name: accountName, createdAt: now };
      newProject = { projectId: hex32() };
    }
    const projectId = newProject?.projectId ?? this.identity.projectOf(account.domainId)?.projectId;
    if (!projectId) throw iamErrors.noAccount();
    const user: UserRow = { userId: hex32(), domainId: account.domainId, name: input.name, roles: JSON.stringify(roles), createdAt: now };
    const { row, secretKey } = this.newAccessKeyRow(user.userId, account.domainId, projectId);
    try {
      if (newProject) {
        await this.repo.createAccountWithUser({
          account,
          project: { projectId, domainId: account.domainId, name: this.opts.region, region: this.opts.region, createdAt: now },
          user,
          accessKey: row,
        }, this.auditHook(caller));
      } else {
        await this.repo.createUser(user, row, this.auditHook(caller));
      }
    } catch (err) {
      if (err instanceof NameTakenError) throw newProject ? iamErrors.invalid('account: the name was just taken, retry') : iamErrors.nameTaken();
      throw err;
    }
    await this.identity.reloadUsers([user.userId]);
    await this.identity.reloadAccessKeys([row.accessKey]);
    return { domain_id: account.domainId, user_id: user.userId, project_id: projectId, access_key: row.accessKey, secret_key: secretKey };
  }

  listUsers(caller: Caller, account?: string): { users: UserView[] } {
    const a = this.target(caller, account);
    const projectId = this.identity.projectOf(a.domainId)?.projectId ?? '';
    return { users: this.identity.usersOf(a.domainId).map((u) => this.view(u, a.name, projectId)) };
  }

  /** One user of the caller's own account (a stack's dew_iam_user object), or undefined. */
  ownUser(caller: Caller, userId: string): UserView | undefined {
    const u = this.identity.user(userId);
    const a = this.identity.account(caller.domainId);
    if (!u || !a || u.domainId !== caller.domainId) return undefined;
    return this.view(u, a.name, this.identity.projectOf(a.domainId)?.projectId ?? '');
  }

  private view(u: UserRow, account: string, projectId: string): UserView {
    return {
      user_id: u.userId,
      name: u.name,
      domain_id: u.domainId,
      account,
      project_id: projectId,
      roles: JSON.parse(u.roles) as string[],
      access_keys: this.identity.accessKeysOf(u.userId),
      created_at: String(u.createdAt),
    };
  }

  async deleteUser(caller: Caller, user: string, account?: string): Promise<{ user_id: string; deleted: true }> {
    const u = this.user(caller, user, account);
    if (u.userId === caller.userId) throw iamErrors.lockout('you cannot delete the user you are signed in as');
    if (this.identity.accessKeysOf(u.userId).some((ak) => this.identity.isBootstrapAccessKey(ak))) throw iamErrors.lockout('the bootstrap administrator cannot be deleted');
    if (!(await this.repo.deleteUser(u.userId, this.auditHook(caller)))) throw iamErrors.noUser();
    await this.identity.reloadUsers([u.userId]);
    return { user_id: u.userId, deleted: true };
  }

  async createAccessKey(caller: Caller, user: string, account?: string): Promise<IssuedCredentials> {
    const u = this.user(caller, user, account);
    if (this.identity.accessKeysOf(u.userId).length >= ACCESS_KEYS_PER_USER) throw iamErrors.keyQuota(ACCESS_KEYS_PER_USER);
    const projectId = this.identity.projectOf(u.domainId)?.projectId;
    if (!projectId) throw iamErrors.noAccount();
    const { row, secretKey } = this.newAccessKeyRow(u.userId, u.domainId, projectId);
    await this.repo.addAccessKey(row, this.auditHook(caller));
    await this.identity.reloadAccessKeys([row.accessKey]);
    return { domain_id: u.domainId, user_id: u.userId, project_id: projectId, access_key: row.accessKey, secret_key: secretKey };
  }

  async deleteAccessKey(caller: Caller, ak: string): Promise<{ access_key: string; deleted: true }> {
    if (typeof ak !== 'string' || ak.length === 0 || ak.length > 128) throw iamErrors.invalid('access_key');
    const p = this.identity.principal(ak);
    // Another account's key is reported as missing unless the caller may manage that account.
    if (!p || (p.domainId !== caller.domainId && !this.identity.isOperatorAccount(caller.domainId))) throw iamErrors.noAccessKey();
    if (this.identity.isBootstrapAccessKey(ak)) throw iamErrors.lockout('the bootstrap administrator\u2019s access key cannot be deleted');
    if (!(await this.repo.deleteAccessKey(ak, this.auditHook(caller)))) throw iamErrors.noAccessKey();
    await this.identity.reloadAccessKeys([ak]);
    return { access_key: ak, deleted: true };
  }

  async setRoles(caller: Caller, user: string, roles: unknown, account?: string): Promise<{ user_id: string; domain_id: string; roles: string[] }> {
    const u = this.user(caller, user, account);
    const next = IamAdmin.roles(roles);
    if (u.userId === caller.userId && !next.includes(ROLE.admin)) throw iamErrors.lockout('you cannot remove KMS Administrator from yourself');
    if (!(await this.repo.setRoles(u.userId, JSON.stringify(next), this.auditHook(caller)))) throw iamErrors.noUser();
    await this.identity.reloadUsers([u.userId]);
    return { user_id: u.userId, domain_id: u.domainId, roles: next };
  }

  async setIpAcl(caller: Caller, cidrs: unknown, account?: string): Promise<{ domain_id: string; cidrs: string[] }> {
    const a = this.target(caller, account);
    if (!Array.isArray(cidrs) || cidrs.length > MAX_CIDRS) throw iamErrors.invalid(`cidrs: a list of at most ${MAX_CIDRS} CIDRs`);
    const { cidrs: list, invalid } = validateCidrs(cidrs);
    if (invalid.length > 0) throw iamErrors.invalidCidr(invalid);
    if (a.domainId === caller.domainId && list.length > 0 && !new IpAllowList(list).allows(caller.sourceIp)) {
      throw iamErrors.lockout(`the list does not include your own address ${caller.sourceIp}`);
    }
    await this.repo.setIpAcl(a.domainId, list, this.auditHook(caller));
    await this.identity.reloadIpAcls([a.domainId]);
    return { domain_id: a.domainId, cidrs: list };
  }

  getIpAcl(caller: Caller, account?: string): { domain_id: string; cidrs: string[] } {
    const a = this.target(caller, account);
    return { domain_id: a.domainId, cidrs: [...(this.identity.ipAllowList(a.domainId)?.cidrs ?? [])] };
  }
}

