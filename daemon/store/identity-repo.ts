/** Persistence of accounts, projects, users and access keys (secrets stored wrapped only). */
import { eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { accounts, projects, users, accessKeys, meta, partitions, changeEvents } from './schema.js';

export type AccountRow = typeof accounts.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type AccessKeyRow = typeof accessKeys.$inferSelect;

export class IdentityRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  async getMeta(name: string): Promise<string | undefined> {
    const rows = await this.db.select().from(meta).where(eq(meta.name, name));
    return rows[0]?.value;
  }

  /** Sets a meta value unless it is already set; returns the value that is stored afterwards. */
  async ensureMeta(name: string, value: string): Promise<string> {
    await this.db.insert(meta).values({ name, value }).onConflictDoNothing();
    return (await this.getMeta(name)) as string;
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.db.insert(meta).values({ name, value }).onConflictDoUpdate({ target: meta.name, set: { value } });
  }

  async loadPartitionRoot(partitionId: string): Promise<Buffer | undefined> {
    const rows = await this.db.select().from(partitions).where(eq(partitions.partitionId, partitionId));
    return rows[0]?.rootWrapped;
  }

  async ensurePartitionRoot(partitionId: string, wrapped: Buffer): Promise<Buffer> {
    await this.db.insert(partitions).values({ partitionId, rootWrapped: wrapped, createdAt: this.now() }).onConflictDoNothing();
    return (await this.loadPartitionRoot(partitionId)) as Buffer;
  }

  /** Creates an account with its first project, user and access key in one transaction. */
  async createAccountWithAdmin(a: {
    account: AccountRow;
    project: ProjectRow;
    user: UserRow;
    accessKey: AccessKeyRow;
  }, claim?: { name: string; value: string }): Promise<void> {
    await this.db.batch([
      this.db.insert(accounts).values(a.account),
      this.db.insert(projects).values(a.project),
      this.db.insert(users).values(a.user),
      this.db.insert(accessKeys).values(a.accessKey),
      this.db.insert(changeEvents).values({ kind: 'access_key', objectId: a.accessKey.accessKey, at: this.now() }),
      // A plain INSERT: when another daemon already claimed the bootstrap, the whole batch rolls back.
      ...(claim ? [this.db.insert(meta).values(claim)] : []),
    ]);
  }

  async loadAccessKeys(): Promise<AccessKeyRow[]> {
    return this.db.select().from(accessKeys);
  }

  async loadAccessKey(ak: string): Promise<AccessKeyRow | undefined> {
    const rows = await this.db.select().from(accessKeys).where(eq(accessKeys.accessKey, ak));
    return rows[0];
  }

  async loadUsers(): Promise<UserRow[]> {
    return this.db.select().from(users);
  }

  async loadUser(userId: string): Promise<UserRow | undefined> {
    const rows = await this.db.select().from(users).where(eq(users.userId, userId));
    return rows[0];
  }

  async loadProjects(): Promise<ProjectRow[]> {
    return this.db.select().from(projects);
  }

  async loadAccount(domainId: string): Promise<AccountRow | undefined> {
    const rows = await this.db.select().from(accounts).where(eq(accounts.domainId, domainId));
    return rows[0];
  }
}
