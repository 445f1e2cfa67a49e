/** Persistence of accounts, projects, users and access keys (secrets stored wrapped only). */
import { eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditedBatch, rowsAffected, type AuditHook } from './audit-repo.js';
import { accounts, projects, users, accessKeys, meta, partitions, changeEvents, ipAcls } from './schema.js';
import { META } from './master-key-repo.js';

export type AccountRow = typeof accounts.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type AccessKeyRow = typeof accessKeys.$inferSelect;
export type IpAclRow = typeof ipAcls.$inferSelect;

/** A unique index refused the insert (a user name taken in the account, an account name taken). */
export class NameTakenError extends Error {
  constructor(cause: unknown) {
    super('name taken', { cause });
    this.name = 'NameTakenError';
  }
}

function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { message?: string; cause?: unknown; code?: string } | undefined; e; e = e.cause as typeof e) {
    if (/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String(e.message ?? '') + String(e.code ?? ''))) return true;
  }
  return false;
}

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

  /**
   * Inserts a partition's sealed root unless one exists; the stored one (racing daemons agree). With
   * `masterCheck` the insert happens only while the database's master key check value is that one
   * (or none is recorded): a process still holding a master key a rekey replaced cannot store a root
   * nobody could open after a restart. Undefined: refused for that reason, and no root exists.
   */
  async ensurePartitionRoot(partitionId: string, wrapped: Buffer, masterCheck?: string): Promise<Buffer | undefined> {
    if (masterCheck === undefined) {
      await this.db.insert(partitions).values({ partitionId, rootWrapped: wrapped, createdAt: this.now() }).onConflictDoNothing();
    } else {
      await this.db.run(
        sql`INSERT INTO ${partitions} (partition_id, root_wrapped, created_at)
            SELECT ${partitionId}, ${wrapped}, ${this.now()}
            WHERE NOT EXISTS (SELECT 1 FROM ${meta} WHERE name = ${META.check} AND value <> ${masterCheck})
            ON CONFLICT DO NOTHING`,
      );
    }
    return this.loadPartitionRoot(partitionId);
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

  async loadAccounts(): Promise<AccountRow[]> {
    return this.db.select().from(accounts);
  }

  private event(kind: string, objectId: string) {
    return this.db.insert(changeEvents).values({ kind, objectId, at: this.now() });
  }

  /** Adds a user with its first access key to an existing account (NameTakenError when the name is used). */
  async createUser(user: UserRow, accessKey: AccessKeyRow, audit?: AuditHook): Promise<void> {
    try {
      await auditedBatch(this.db, audit, user.userId, [this.db.insert(users).values(user)], [
        this.db.insert(accessKeys).values(accessKey),
        this.event('user', user.userId),
        this.event('access_key', accessKey.accessKey),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new NameTakenError(err);
      throw err;
    }
  }

  /** A new account with its project, first user and access key (NameTakenError when the account name is used). */
  async createAccountWithUser(a: { account: AccountRow; project: ProjectRow; user: UserRow; accessKey: AccessKeyRow }, audit?: AuditHook): Promise<void> {
    try {
      await auditedBatch(this.db, audit, a.user.userId, [
        this.db.insert(accounts).values(a.account),
        this.db.insert(projects).values(a.project),
        this.db.insert(users).values(a.user),
      ], [
        this.db.insert(accessKeys).values(a.accessKey),
        this.event('user', a.user.userId),
        this.event('access_key', a.accessKey.accessKey),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new NameTakenError(err);
      throw err;
    }
  }

  async addAccessKey(row: AccessKeyRow, audit?: AuditHook): Promise<void> {
    await auditedBatch(this.db, audit, row.accessKey, [this.db.insert(accessKeys).values(row)], [this.event('access_key', row.accessKey)]);
  }

  /** Deletes an access key; false when it did not exist. */
  async deleteAccessKey(ak: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, ak, [this.db.delete(accessKeys).where(eq(accessKeys.accessKey, ak))], [this.event('access_key', ak)]);
    return rowsAffected(results?.[0]) > 0;
  }

  /** Deletes a user and every access key of it in one transaction, with a change event for each. */
  async deleteUser(userId: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, userId, [
      this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) SELECT 'access_key', access_key, ${this.now()} FROM ${accessKeys} WHERE user_id = ${userId}`),
      this.db.delete(accessKeys).where(eq(accessKeys.userId, userId)),
      this.db.delete(users).where(eq(users.userId, userId)),
    ], [this.event('user', userId)]);
    return rowsAffected(results?.[2]) > 0;
  }

  async setRoles(userId: string, rolesJson: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, userId, [this.db.update(users).set({ roles: rolesJson }).where(eq(users.userId, userId))], [this.event('user', userId)]);
    return rowsAffected(results?.[0]) > 0;
  }

  async loadIpAcls(): Promise<IpAclRow[]> {
    return this.db.select().from(ipAcls);
  }

  async loadIpAcl(domainId: string): Promise<IpAclRow | undefined> {
    const rows = await this.db.select().from(ipAcls).where(eq(ipAcls.domainId, domainId));
    return rows[0];
  }

  /** Sets an account's allow-list, or removes it when `cidrs` is empty. */
  async setIpAcl(domainId: string, cidrs: readonly string[], audit?: AuditHook): Promise<void> {
    const write =
      cidrs.length === 0
        ? this.db.delete(ipAcls).where(eq(ipAcls.domainId, domainId))
        : this.db
            .insert(ipAcls)
            .values({ domainId, cidrs: JSON.stringify(cidrs), updatedAt: this.now() })
            .onConflictDoUpdate({ target: ipAcls.domainId, set: { cidrs: JSON.stringify(cidrs), updatedAt: this.now() } });
    // The record follows the change event, which always inserts: it commits with the batch.
    await auditedBatch(this.db, audit, domainId, [write, this.event('ip_acl', domainId)]);
  }
}
