/**
 * Accounts, users and access keys: the bootstrap admin, and an in-memory credential table so
 * signature checks make no database read. Secret keys are stored sealed under the master key.
 */
import { randomBytes } from 'node:crypto';
import type { IdentityRepo, AccessKeyRow, UserRow, ProjectRow } from '../store/identity-repo.js';
import type { SoftwareHsm } from '../hsm/software-hsm.js';

export const ROLE = Object.freeze({
  admin: 'KMS Administrator',
  fullAccess: 'KMS CMKFullAccess',
  readOnly: 'KMS ReadOnlyAccess',
} as const);

/** What a verified credential resolves to. */
export interface Principal {
  readonly accessKey: string;
  readonly secret: Uint8Array;
  readonly userId: string;
  readonly domainId: string;
  readonly projectId: string;
  readonly roles: readonly string[];
}

export interface IssuedCredentials {
  domain_id: string;
  project_id: string;
  user_id: string;
  access_key: string;
  secret_key: string;
}

const hex32 = () => randomBytes(16).toString('hex');
/** Access keys look like Huawei's: 20 upper-case alphanumerics. */
function newAccessKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
const BOOTSTRAP_META = 'bootstrap_access_key';
const secretContext = (ak: string) => `access-key|${ak}`;

export class IdentityService {
  private readonly principals = new Map<string, Principal>();
  private readonly usersById = new Map<string, UserRow>();
  private readonly projectsById = new Map<string, ProjectRow>();

  constructor(
    private readonly repo: IdentityRepo,
    private readonly hsm: SoftwareHsm,
    private readonly opts: { region: string; now: () => number },
  ) {}

  async load(): Promise<void> {
    for (const u of await this.repo.loadUsers()) this.usersById.set(u.userId, u);
    for (const p of await this.repo.loadProjects()) this.projectsById.set(p.projectId, p);
    for (const row of await this.repo.loadAccessKeys()) this.putAccessKey(row);
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
      if (!this.projectsById.has(row.projectId)) {
        for (const p of await this.repo.loadProjects()) this.projectsById.set(p.projectId, p);
      }
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
    this.principals.set(row.accessKey, {
      accessKey: row.accessKey,
      secret,
      userId: row.userId,
      domainId: row.domainId,
      projectId: row.projectId,
      roles: JSON.parse(user.roles) as string[],
    });
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

