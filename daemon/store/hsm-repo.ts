/**
 * Persistence of dedicated HSM instances, their jobs and keystores. Every write also appends a
 * change event (`hsm` or `keystore`), in the same batch, so other daemons on the database open or
 * close the instance's partition and refresh their keystore map (services/hsm/registry.ts) on
 * their next feed poll. Uniqueness (instance names, keystore aliases, one keystore per instance)
 * is the database's, through unique indexes, so two daemons racing get one winner.
 */
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsAffected } from './audit-repo.js';
import { changeEvents, hsmInstances, hsmJobs, keys, keystores, partitions } from './schema.js';

export type HsmRow = typeof hsmInstances.$inferSelect;
export type HsmJobRow = typeof hsmJobs.$inferSelect;
export type KeystoreRow = typeof keystores.$inferSelect;

type Batchable = Parameters<Db['batch']>[0][number];

const isUniqueViolation = (e: unknown): boolean => /UNIQUE constraint failed/i.test(String((e as Error)?.message ?? e) + String((e as { cause?: Error })?.cause?.message ?? ''));

export class HsmRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  private event(kind: 'hsm' | 'keystore', objectId: string): Batchable {
    return this.db.insert(changeEvents).values({ kind, objectId, at: this.now() });
  }

  // ---- instances ----

  /** Inserts an instance with its CREATE job; false when the name is taken in the project. */
  async insertInstance(row: HsmRow, job: HsmJobRow): Promise<boolean> {
    try {
      await this.db.batch([this.db.insert(hsmInstances).values(row), this.db.insert(hsmJobs).values(job), this.event('hsm', row.hsmId)]);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async instance(hsmId: string): Promise<HsmRow | undefined> {
    const rows = await this.db.select().from(hsmInstances).where(eq(hsmInstances.hsmId, hsmId));
    return rows[0];
  }

  /** One page of a project's instances, oldest first, and the total. */
  async listInstances(projectId: string, limit: number, offset: number): Promise<{ rows: HsmRow[]; total: number }> {
    const where = eq(hsmInstances.projectId, projectId);
    const rows = await this.db.select().from(hsmInstances).where(where).orderBy(asc(hsmInstances.createTime), asc(hsmInstances.hsmId)).limit(limit).offset(offset);
    const [{ n }] = await this.db.select({ n: count() }).from(hsmInstances).where(where);
    return { rows, total: n };
  }

  async countInstances(projectId: string): Promise<number> {
    const [{ n }] = await this.db.select({ n: count() }).from(hsmInstances).where(eq(hsmInstances.projectId, projectId));
    return n;
  }

  /** Every instance of every project (each daemon opens the partitions of the live ones at start). */
  async allInstances(): Promise<HsmRow[]> {
    return this.db.select().from(hsmInstances);
  }

  async instancesById(ids: readonly string[]): Promise<HsmRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(hsmInstances).where(inArray(hsmInstances.hsmId, [...ids]));
  }

  /**
   * Changes an instance if its status is one of `fromStatuses` (compare-and-set, so two daemons
   * freezing and deleting at once do not both win); false when it is not (or is gone).
   */
  async updateInstance(hsmId: string, patch: Partial<HsmRow>, fromStatuses: readonly string[], job?: HsmJobRow): Promise<boolean> {
    const stmts: Batchable[] = [
      this.db.update(hsmInstances).set({ ...patch, updateTime: this.now() }).where(and(eq(hsmInstances.hsmId, hsmId), inArray(hsmInstances.status, [...fromStatuses]))),
    ];
    if (job) stmts.push(this.db.run(sql`INSERT INTO ${hsmJobs} SELECT ${job.jobId}, ${job.projectId}, ${job.hsmId}, ${job.jobType}, ${job.status}, ${job.failReason}, ${job.beginTime}, ${job.endTime} WHERE changes() > 0`));
    stmts.push(this.event('hsm', hsmId));
    try {
      const out = await this.db.batch(stmts as [Batchable, ...Batchable[]]);
      return rowsAffected(out[0]) > 0;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** Removes an instance and (software instances) its partition root: its keys can never open again. */
  async deleteInstance(hsmId: string, partitionId: string): Promise<void> {
    await this.db.batch([
      this.db.delete(hsmInstances).where(eq(hsmInstances.hsmId, hsmId)),
      this.db.delete(partitions).where(eq(partitions.partitionId, partitionId)),
      this.event('hsm', hsmId),
    ]);
  }

  // ---- jobs ----

  async job(jobId: string): Promise<HsmJobRow | undefined> {
    const rows = await this.db.select().from(hsmJobs).where(eq(hsmJobs.jobId, jobId));
    return rows[0];
  }

  async finishJob(jobId: string, status: 'SUCCESS' | 'FAIL', failReason: string | null): Promise<void> {
    await this.db.update(hsmJobs).set({ status, failReason, endTime: this.now() }).where(eq(hsmJobs.jobId, jobId));
  }

  // ---- keystores ----

  /**
   * Inserts a keystore if its instance is still RUNNING and has none (one statement, so an
   * instance frozen or deleted meanwhile is not given one); 'alias' or 'taken' when refused.
   */
  async insertKeystore(row: KeystoreRow): Promise<'ok' | 'alias' | 'taken' | 'instance'> {
    try {
      const out = await this.db.batch([
        this.db.run(sql`INSERT INTO ${keystores} (keystore_id, project_id, domain_id, keystore_alias, keystore_type, hsm_id, state, create_time)
          SELECT ${row.keystoreId}, ${row.projectId}, ${row.domainId}, ${row.keystoreAlias}, ${row.keystoreType}, ${row.hsmId}, ${row.state}, ${row.createTime}
          WHERE EXISTS (SELECT 1 FROM ${hsmInstances} WHERE hsm_id = ${row.hsmId} AND status = 'RUNNING')`),
        this.event('keystore', row.keystoreId),
      ]);
      return rowsAffected(out[0]) > 0 ? 'ok' : 'instance';
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const msg = String((e as Error)?.message ?? '') + String((e as { cause?: Error })?.cause?.message ?? '');
      return /keystore_alias/.test(msg) ? 'alias' : 'taken';
    }
  }

  async keystore(keystoreId: string): Promise<KeystoreRow | undefined> {
    const rows = await this.db.select().from(keystores).where(eq(keystores.keystoreId, keystoreId));
    return rows[0];
  }

  async keystoreOfInstance(hsmId: string): Promise<KeystoreRow | undefined> {
    const rows = await this.db.select().from(keystores).where(eq(keystores.hsmId, hsmId));
    return rows[0];
  }

  async listKeystores(projectId: string, limit: number, offset: number): Promise<{ rows: KeystoreRow[]; total: number }> {
    const where = eq(keystores.projectId, projectId);
    const rows = await this.db.select().from(keystores).where(where).orderBy(asc(keystores.createTime), asc(keystores.keystoreId)).limit(limit).offset(offset);
    const [{ n }] = await this.db.select({ n: count() }).from(keystores).where(where);
    return { rows, total: n };
  }

  async allKeystores(): Promise<KeystoreRow[]> {
    return this.db.select().from(keystores);
  }

  async keystoresById(ids: readonly string[]): Promise<KeystoreRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(keystores).where(inArray(keystores.keystoreId, [...ids]));
  }

  async setKeystoreState(keystoreId: string, state: 'ENABLED' | 'DISABLED'): Promise<boolean> {
    const out = await this.db.batch([this.db.update(keystores).set({ state }).where(eq(keystores.keystoreId, keystoreId)), this.event('keystore', keystoreId)]);
    return rowsAffected(out[0]) > 0;
  }

  /** Deletes a keystore that holds no key (any state); the count of its keys when it still holds some. */
  async deleteKeystore(keystoreId: string): Promise<{ deleted: boolean; keys: number }> {
    const out = await this.db.batch([
      this.db.run(sql`DELETE FROM ${keystores} WHERE keystore_id = ${keystoreId} AND NOT EXISTS (SELECT 1 FROM ${keys} WHERE keystore_id = ${keystoreId})`),
      this.event('keystore', keystoreId),
    ]);
    if (rowsAffected(out[0]) > 0) return { deleted: true, keys: 0 };
    return { deleted: false, keys: (await this.keysIn(keystoreId)).length };
  }

  /** The ids of the keys (any state) created in a keystore. */
  async keysIn(keystoreId: string): Promise<string[]> {
    const rows = await this.db.select({ keyId: keys.keyId }).from(keys).where(eq(keys.keystoreId, keystoreId)).orderBy(asc(keys.creationDate));
    return rows.map((r) => r.keyId);
  }
}
