/**
 * Persistence of the key pair service: key pairs, SSH hosts and binding tasks. KPS answers from
 * the database on every call (no in-memory copy), so every daemon on the database sees the same
 * key pairs without a change feed; uniqueness is the database's (unique indexes), not a cache's.
 */
import { and, asc, count, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsAffected } from './audit-repo.js';
import { kpsHosts, kpsKeypairs, kpsTasks } from './schema.js';

export type KeypairRow = typeof kpsKeypairs.$inferSelect;
export type NewKeypairRow = typeof kpsKeypairs.$inferInsert;
export type HostRow = typeof kpsHosts.$inferSelect;
export type TaskRow = typeof kpsTasks.$inferSelect;

/** The owner column of an account (domain-scope) key pair. */
export const ACCOUNT_OWNER = '*';

const isUniqueViolation = (e: unknown): boolean => /UNIQUE constraint failed/i.test(String((e as Error)?.message ?? e) + String((e as { cause?: Error })?.cause?.message ?? ''));

export class KpsRepo {
  constructor(private readonly db: Db) {}

  // ---- key pairs ----

  /** Inserts a key pair; undefined when the (project, owner, name) is taken. */
  async insertKeypair(row: NewKeypairRow): Promise<KeypairRow | undefined> {
    try {
      const [inserted] = await this.db.insert(kpsKeypairs).values(row).returning();
      return inserted;
    } catch (e) {
      if (isUniqueViolation(e)) return undefined;
      throw e;
    }
  }

  /** The key pairs named `name` that `userId` can see: its own user key pair and the account's. */
  async visibleByName(projectId: string, userId: string, name: string): Promise<KeypairRow[]> {
    return this.db
      .select()
      .from(kpsKeypairs)
      .where(and(eq(kpsKeypairs.projectId, projectId), eq(kpsKeypairs.name, name), or(eq(kpsKeypairs.owner, userId), eq(kpsKeypairs.owner, ACCOUNT_OWNER))));
  }

  /** Every key pair of that name in the project, whoever owns it (for the collision rules). */
  async allByName(projectId: string, name: string): Promise<KeypairRow[]> {
    return this.db.select().from(kpsKeypairs).where(and(eq(kpsKeypairs.projectId, projectId), eq(kpsKeypairs.name, name)));
  }

  async keypairById(id: number): Promise<KeypairRow | undefined> {
    const rows = await this.db.select().from(kpsKeypairs).where(eq(kpsKeypairs.id, id));
    return rows[0];
  }

  /** One page of what `userId` sees, by name after `marker` (exclusive). */
  async listVisible(projectId: string, userId: string, marker: string | undefined, limit: number): Promise<KeypairRow[]> {
    const visible = and(eq(kpsKeypairs.projectId, projectId), or(eq(kpsKeypairs.owner, userId), eq(kpsKeypairs.owner, ACCOUNT_OWNER)));
    return this.db
      .select()
      .from(kpsKeypairs)
      .where(marker === undefined ? visible : and(visible, gt(kpsKeypairs.name, marker)))
      .orderBy(asc(kpsKeypairs.name))
      .limit(limit);
  }

  /** Key pairs counted against a quota: a user's own, or the account's not upgraded from a user's. */
  async countOwned(projectId: string, owner: string): Promise<number> {
    const where = owner === ACCOUNT_OWNER ? and(eq(kpsKeypairs.projectId, projectId), eq(kpsKeypairs.owner, owner), eq(kpsKeypairs.upgraded, 0)) : and(eq(kpsKeypairs.projectId, projectId), eq(kpsKeypairs.owner, owner));
    const [r] = await this.db.select({ n: count() }).from(kpsKeypairs).where(where);
    return r?.n ?? 0;
  }

  /** Applies `set` to the key pair if it is still at `revision`; false when another change came first. */
  async updateKeypair(id: number, revision: number, set: Partial<Omit<KeypairRow, 'id' | 'revision'>>): Promise<boolean> {
    try {
      const r = await this.db
        .update(kpsKeypairs)
        .set({ ...set, revision: revision + 1 })
        .where(and(eq(kpsKeypairs.id, id), eq(kpsKeypairs.revision, revision)));
      return rowsAffected(r) === 1;
    } catch (e) {
      // An upgrade whose (project, '*', name) another account key pair took meanwhile.
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async deleteKeypair(id: number): Promise<boolean> {
    return rowsAffected(await this.db.delete(kpsKeypairs).where(eq(kpsKeypairs.id, id))) === 1;
  }

  // ---- hosts ----

  async insertHost(row: HostRow): Promise<boolean> {
    try {
      await this.db.insert(kpsHosts).values(row);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** A host of the project by id or by name. */
  async host(projectId: string, idOrName: string): Promise<HostRow | undefined> {
    const rows = await this.db
      .select()
      .from(kpsHosts)
      .where(and(eq(kpsHosts.projectId, projectId), or(eq(kpsHosts.hostId, idOrName), eq(kpsHosts.name, idOrName))));
    return rows.find((r) => r.hostId === idOrName) ?? rows[0];
  }

  async listHosts(projectId: string, offset: number, limit: number): Promise<{ total: number; hosts: HostRow[] }> {
    const where = eq(kpsHosts.projectId, projectId);
    const [t] = await this.db.select({ n: count() }).from(kpsHosts).where(where);
    const hosts = await this.db.select().from(kpsHosts).where(where).orderBy(asc(kpsHosts.name)).limit(limit).offset(offset);
    return { total: t?.n ?? 0, hosts };
  }

  /** Hosts a key pair is bound to. */
  async hostsBoundTo(keypairId: number): Promise<HostRow[]> {
    return this.db.select().from(kpsHosts).where(eq(kpsHosts.keypairId, keypairId));
  }

  async updateHost(hostId: string, revision: number, set: Partial<Omit<HostRow, 'hostId' | 'revision'>>): Promise<boolean> {
    const r = await this.db
      .update(kpsHosts)
      .set({ ...set, revision: revision + 1 })
      .where(and(eq(kpsHosts.hostId, hostId), eq(kpsHosts.revision, revision)));
    return rowsAffected(r) === 1;
  }

  /** Sets fields whatever the revision (a task's outcome: the host changed, the record follows). */
  async forceUpdateHost(hostId: string, set: Partial<Omit<HostRow, 'hostId' | 'revision'>>): Promise<void> {
    await this.db
      .update(kpsHosts)
      .set({ ...set, revision: sql`${kpsHosts.revision} + 1` })
      .where(eq(kpsHosts.hostId, hostId));
  }

  async deleteHost(hostId: string): Promise<boolean> {
    return rowsAffected(await this.db.delete(kpsHosts).where(eq(kpsHosts.hostId, hostId))) === 1;
  }

  // ---- tasks ----

  async insertTask(row: TaskRow): Promise<void> {
    await this.db.insert(kpsTasks).values(row);
  }

  async task(projectId: string, taskId: string): Promise<TaskRow | undefined> {
    const rows = await this.db.select().from(kpsTasks).where(and(eq(kpsTasks.projectId, projectId), eq(kpsTasks.taskId, taskId)));
    return rows[0];
  }

  async updateTask(taskId: string, set: Partial<Omit<TaskRow, 'taskId'>>): Promise<void> {
    await this.db.update(kpsTasks).set(set).where(eq(kpsTasks.taskId, taskId));
  }

  /** Tasks of a host that are READY or RUNNING with a lease not yet passed. */
  async activeTasksOfHost(hostId: string, now: number): Promise<TaskRow[]> {
    return this.db
      .select()
      .from(kpsTasks)
      .where(and(eq(kpsTasks.hostId, hostId), inArray(kpsTasks.state, ['READY', 'RUNNING']), gt(kpsTasks.leaseUntil, now)));
  }

  /** RUNNING/READY tasks whose lease passed (their daemon stopped): failed, with the reason. */
  async failExpired(projectId: string, now: number, message: string): Promise<void> {
    await this.db
      .update(kpsTasks)
      .set({ state: 'FAILED', errorCode: 'KPS.0017', errorMsg: message, updateTime: now })
      .where(and(eq(kpsTasks.projectId, projectId), inArray(kpsTasks.state, ['READY', 'RUNNING']), lt(kpsTasks.leaseUntil, now)));
  }

  async listTasks(projectId: string, states: readonly string[], offset: number, limit: number): Promise<{ total: number; tasks: TaskRow[] }> {
    const where = and(eq(kpsTasks.projectId, projectId), inArray(kpsTasks.state, [...states]));
    const [t] = await this.db.select({ n: count() }).from(kpsTasks).where(where);
    const tasks = await this.db.select().from(kpsTasks).where(where).orderBy(asc(kpsTasks.taskTime), asc(kpsTasks.taskId)).limit(limit).offset(offset);
    return { total: t?.n ?? 0, tasks };
  }

  /** Deletes failed task records: one (true when it was there) or all of the project's. */
  async deleteFailed(projectId: string, taskId?: string): Promise<number> {
    const where = and(eq(kpsTasks.projectId, projectId), eq(kpsTasks.state, 'FAILED'), taskId === undefined ? undefined : eq(kpsTasks.taskId, taskId));
    return rowsAffected(await this.db.delete(kpsTasks).where(where));
  }
}
