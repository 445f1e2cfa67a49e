/**
 * Accounts, users, access keys and IP allow-lists held in memory, so signature, role and network
 * checks make no database read; reloaded through the change feed. Also the bootstrap admin.
 * Secret keys are stored sealed under the master key.
 */
import { randomBytes } from 'node:crypto';
import type { IdentityRepo, AccessKeyRow, UserRow, ProjectRow, AccountRow } from '../store/identity-repo.js';
import type { Hsm } from '../hsm/hsm.js';
import { IpAllowList } from './ip-allow-list.js';
import { ROLE, permissionBits } from './authorization.js';

export { ROLE };

/** The bootstrap account's name: its administrators manage every account (the operator). */
export const OPERATOR_ACCOUNT = 'admin';

/** What a verified credential resolves to. */
export interface Principal {
  readonly accessKey: string;
  readonly secret: Uint8Array;
  readonly userId: string;
  readonly domainId: string;
  readonly projectId: string;
  readonly roles: readonly string[];
  /** Permission bits of `roles` (services/authorization.ts). */
  readonly permissions: number;
}

export interface IssuedCredentials {
  domain_id: string;
  project_id: string;
  user_id: string;
  access_key: string;
  secret_key: string;
}

export const hex32 = (): string => randomBytes(16).toString('hex');
/** Access keys look like Huawei's: 20 upper-case alphanumerics. */
export function newAccessKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
export const BOOTSTRAP_META = 'bootstrap_access_key';
export const secretContext = (ak: string): string => `access-key|${ak}`;

export class IdentityService {
  private readonly principals = new Map<string, Principal>();
  private readonly usersById = new Map<string, UserRow>();
  private readonly projectsById = new Map<string, ProjectRow>();
  private readonly accountsById = new Map<string, AccountRow>();
  private readonly ipLists = new Map<string, IpAllowList>();
  /** The bootstrap admin's access key, which must survive (the daemon reads it back at start). */
  private bootstrapAk: string | undefined;

  constructor(
    private readonly repo: IdentityRepo,
    private readonly hsm: Hsm,
    private readonly opts: { region: string; now: () => number },
  ) {}

  async load(): Promise<void> {
    for (const a of await this.repo.loadAccounts()) this.accountsById.set(a.domainId, a);
    for (const u of await this.repo.loadUsers()) this.usersById.set(u.userId, u);
    for (const p of await this.repo.loadProjects()) this.projectsById.set(p.projectId, p);
    for (const row of await this.repo.loadAccessKeys()) this.putAccessKey(row);
    for (const acl of await this.repo.loadIpAcls()) this.putIpAcl(acl.domainId, JSON.parse(acl.cidrs) as string[]);
    this.bootstrapAk = await this.repo.getMeta(BOOTSTRAP_META);
  }

  /** Reloads users changed elsewhere (roles, deletion) and the principals built on them. */
  async reloadUsers(userIds: string[]): Promise<void> {
    for (const id of userIds) {
      const u = await this.repo.loadUser(id);
      if (u) {
        if (!this.accountsById.has(u.domainId)) await this.reloadAccountsAndProjects();
        this.usersById.set(id, u);
      } else {
        this.usersById.delete(id);
      }
      for (const p of [...this.principals.values()]) {
        if (p.userId !== id) continue;
        if (!u) this.principals.delete(p.accessKey);
        else {
          const roles = JSON.parse(u.roles) as string[];
          this.principals.set(p.accessKey, { ...p, roles, permissions: permissionBits(roles) });
        }
      }
    }
  }

  /** Reloads the allow-lists of the given accounts. */
  async reloadIpAcls(domainIds: string[]): Promise<void> {
    for (const id of domainIds) {
      const row = await this.repo.loadIpAcl(id);
      this.putIpAcl(id, row ? (JSON.parse(row.cidrs) as string[]) : []);
    }
  }

  private async reloadAccountsAndProjects(): Promise<void> {
    for (const a of await this.repo.loadAccounts()) this.accountsById.set(a.domainId, a);
    for (const p of await this.repo.loadProjects()) this.projectsById.set(p.projectId, p);
  }

  private putIpAcl(domainId: string, cidrs: string[]): void {
    if (cidrs.length === 0) this.ipLists.delete(domainId);
    else this.ipLists.set(domainId, new IpAllowList(cidrs));
  }

  /** The account's allow-list, or undefined when it has none (every address allowed). */
  ipAllowList(domainId: string): IpAllowList | undefined {
    return this.ipLists.size === 0 ? undefined : this.ipLists.get(domainId);
  }

  async reloadAccessKeys(aks: string[]): Promise<void> {
    for (const ak of aks) {
      const row = await this.repo.loadAccessKey(ak);
      if (!row) {
        this.principals.delete(ak);
        continue;
      }
      if (!this.usersById.has(row.userId)) {
        const u = await this.repo.loadUser(row.userId);
        if (u) this.usersById.set(u.userId, u);
      }
      if (!this.projectsById.has(row.projectId) || !this.accountsById.has(row.domainId)) await this.reloadAccountsAndProjects();
      this.putAccessKey(row);
    }
  }

  private putAccessKey(row: AccessKeyRow): void {
    const user = this.usersById.get(row.userId);
    if (row.status !== 'active' || !user) {
      this.principals.delete(row.accessKey);
      return;
    }
    const secret = this.hsm.openSecret(row.secretWrapped, secretContext(row.accessKey));
    const roles = JSON.parse(user.roles) as string[];
    this.principals.set(row.accessKey, {
      accessKey: row.accessKey,
      secret,
      userId: row.userId,
      domainId: row.domainId,
      projectId: row.projectId,
      roles,
      permissions: permissionBits(roles),
    });
  }

  user(userId: string): UserRow | undefined {
    return this.usersById.get(userId);
  }

  /** A user of an account by id or by name. */
  findUser(domainId: string, idOrName: string): UserRow | undefined {
    const byId = this.usersById.get(idOrName);
    if (byId && byId.domainId === domainId) return byId;
    for (const u of this.usersById.values()) if (u.domainId === domainId && u.name === idOrName) return u;
    return undefined;
  }

  usersOf(domainId: string): UserRow[] {
    return [...this.usersById.values()].filter((u) => u.domainId === domainId).sort((a, b) => a.createdAt - b.createdAt || (a.userId < b.userId ? -1 : 1));
  }

  /** Access key ids of a user (never secrets). */
  accessKeysOf(userId: string): string[] {
    const out: string[] = [];
    for (const p of this.principals.values()) if (p.userId === userId) out.push(p.accessKey);
    return out.sort();
  }

  account(domainId: string): AccountRow | undefined {
    return this.accountsById.get(domainId);
  }

  /** An account by domain id or name. */
  findAccount(idOrName: string): AccountRow | undefined {
    const byId = this.accountsById.get(idOrName);
    if (byId) return byId;
    for (const a of this.accountsById.values()) if (a.name === idOrName) return a;
    return undefined;
  }

  /** The account's project (one per account and region here). */
  projectOf(domainId: string): ProjectRow | undefined {
    let found: ProjectRow | undefined;
    for (const p of this.projectsById.values()) if (p.domainId === domainId && (!found || p.createdAt < found.createdAt)) found = p;
    return found;
  }

  /** True for the bootstrap account, whose administrators manage every account. */
  isOperatorAccount(domainId: string): boolean {
    return this.accountsById.get(domainId)?.name === OPERATOR_ACCOUNT;
  }

  isBootstrapAccessKey(ak: string): boolean {
    return ak === this.bootstrapAk;
  }

  principal(accessKey: string): Principal | undefined {
    return this.principals.get(accessKey);
  }

  secretFor = (accessKey: string): Uint8Array | undefined => this.principals.get(accessKey)?.secret;

  /** True when `projectId` belongs to `domainId`. */
  projectInDomain(projectId: string, domainId: string): boolean {
    return this.projectsById.get(projectId)?.domainId === domainId;
  }

  /**
   * Creates the first admin account (once per database, whichever daemon gets there first) and
   * returns its credentials; a daemon that lost the race reads the winner's (sealed) secret.
   */
  async ensureBootstrapAdmin(): Promise<IssuedCredentials> {
    const existing = await this.repo.getMeta(BOOTSTRAP_META);
    if (existing) return this.readCredentials(existing);
    const ak = newAccessKey();
    const now = this.opts.now();
    const domainId = hex32();
    const projectId = hex32();
    const userId = hex32();
    const secret = Buffer.from(randomBytes(30).toString('base64').replace(/[+/=]/g, '').slice(0, 40));
    try {
      // The claim and the account are one transaction: a crash leaves neither, a lost race the winner's.
      await this.repo.createAccountWithAdmin(
        {
          account: { domainId, name: 'admin', createdAt: now },
          project: { projectId, domainId, name: this.opts.region, region: this.opts.region, createdAt: now },
          user: { userId, domainId, name: 'admin', roles: JSON.stringify([ROLE.admin]), createdAt: now },
          accessKey: {
            accessKey: ak,
            userId,
            domainId,
            projectId,
            secretWrapped: this.hsm.sealSecret(secret, secretContext(ak)),
            status: 'active',
            createdAt: now,
          },
        },
        { name: BOOTSTRAP_META, value: ak },
      );
    } catch (err) {
      const winner = await this.repo.getMeta(BOOTSTRAP_META);
      if (!winner) throw err;
      return this.readCredentials(winner);
    } finally {
      secret.fill(0);
    }
    await this.load();
    return this.readCredentials(ak);
  }

  /** Reads back an access key's credentials (the admin's, for a data dir that lacks its file). */
  private async readCredentials(ak: string): Promise<IssuedCredentials> {
    {
      const row = await this.repo.loadAccessKey(ak);
      if (row) {
        this.bootstrapAk = ak;
        await this.reloadAccessKeys([ak]);
        const secret = this.hsm.openSecret(row.secretWrapped, secretContext(ak));
        return {
          domain_id: row.domainId,
          project_id: row.projectId,
          user_id: row.userId,
          access_key: ak,
          secret_key: secret.toString('utf8'),
        };
      }
    }
    throw new Error('bootstrap: the database names an admin access key that does not exist');
  }
}

