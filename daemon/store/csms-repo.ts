/**
 * Persistence of the secret service: secrets, their versions and stage labels, rotation tasks.
 * CSMS answers from the database on every call (no in-memory copy), so every daemon on the database
 * sees the same secrets. Version numbers come from one atomic increment of `next_version`, and
 * every stage move is one write transaction (`db.batch`) whose statements read the stage holders
 * as they are at commit, so two writers adding versions at once, on one daemon or on several
 * sharing a sqld server, get different numbers and leave exactly one holder of each stage.
 */
import { and, asc, desc, eq, gt, lt, lte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsAffected } from './audit-repo.js';
import { csmsSecrets, csmsStages, csmsTasks, csmsVersions } from './schema.js';

export type SecretRow = typeof csmsSecrets.$inferSelect;
export type VersionRow = typeof csmsVersions.$inferSelect;
export type StageRow = typeof csmsStages.$inferSelect;
export type TaskRow = typeof csmsTasks.$inferSelect;

export const SYSCURRENT = 'SYSCURRENT';
export const SYSPREVIOUS = 'SYSPREVIOUS';
/** At most this many versions a secret keeps: the oldest version with no stage goes first. */
export const MAX_VERSIONS = 20;

const isUniqueViolation = (e: unknown): boolean => /UNIQUE constraint failed/i.test(String((e as Error)?.message ?? e) + String((e as { cause?: Error })?.cause?.message ?? ''));

type Batchable = Parameters<Db['batch']>[0][number];

export class CsmsRepo {
  constructor(private readonly db: Db) {}

  // ---- secrets ----

  /** Inserts a secret with its first version holding `stages`; false when the name is taken in the project. */
  async insertSecret(row: SecretRow, first: VersionRow | undefined, stages: readonly string[]): Promise<boolean> {
    const stmts: Batchable[] = [this.db.insert(csmsSecrets).values(row)];
    if (first) {
      stmts.push(this.db.insert(csmsVersions).values(first));
      for (const name of stages) stmts.push(this.db.insert(csmsStages).values({ secretId: row.secretId, name, version: first.version, updateTime: row.createTime }));
    }
    try {
      await this.db.batch(stmts as [Batchable, ...Batchable[]]);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async secretByName(projectId: string, name: string): Promise<SecretRow | undefined> {
    const rows = await this.db.select().from(csmsSecrets).where(and(eq(csmsSecrets.projectId, projectId), eq(csmsSecrets.name, name)));
    return rows[0];
  }

  async secretById(projectId: string, secretId: string): Promise<SecretRow | undefined> {
    const rows = await this.db.select().from(csmsSecrets).where(and(eq(csmsSecrets.projectId, projectId), eq(csmsSecrets.secretId, secretId)));
    return rows[0];
  }

  /** Every secret of the project, by name (tag queries, resource instances, event subscriptions). */
  async projectSecrets(projectId: string): Promise<SecretRow[]> {
    return this.db.select().from(csmsSecrets).where(eq(csmsSecrets.projectId, projectId)).orderBy(asc(csmsSecrets.name));
  }

  /** One page by name after `marker` (exclusive), `limit + 1` rows so the caller knows whether more follow. */
  async listSecrets(projectId: string, marker: string | undefined, limit: number): Promise<SecretRow[]> {
    const inProject = eq(csmsSecrets.projectId, projectId);
    return this.db
      .select()
      .from(csmsSecrets)
      .where(marker === undefined ? inProject : and(inProject, gt(csmsSecrets.name, marker)))
      .orderBy(asc(csmsSecrets.name))
      .limit(limit + 1);
  }

  async countSecrets(projectId: string): Promise<number> {
    const [r] = await this.db.select({ n: sql<number>`count(*)` }).from(csmsSecrets).where(eq(csmsSecrets.projectId, projectId));
    return Number(r?.n ?? 0);
  }

  /** Applies `set` if the secret is still at `revision`; false when another change came first. */
  async updateSecret(secretId: string, revision: number, set: Partial<Omit<SecretRow, 'secretId' | 'revision'>>): Promise<boolean> {
    const r = await this.db
      .update(csmsSecrets)
      .set({ ...set, revision: revision + 1 })
      .where(and(eq(csmsSecrets.secretId, secretId), eq(csmsSecrets.revision, revision)));
    return rowsAffected(r) === 1;
  }

  /** Deletes a secret with its versions, stages and tasks in one transaction; false when it was gone. */
  async deleteSecret(secretId: string, expectState?: string): Promise<boolean> {
    const [r] = await this.db.batch([
      this.db.delete(csmsSecrets).where(expectState === undefined ? eq(csmsSecrets.secretId, secretId) : and(eq(csmsSecrets.secretId, secretId), eq(csmsSecrets.state, expectState))),
      this.db.run(sql`DELETE FROM csms_versions WHERE secret_id = ${secretId} AND NOT EXISTS (SELECT 1 FROM csms_secrets WHERE secret_id = ${secretId})`),
      this.db.run(sql`DELETE FROM csms_stages WHERE secret_id = ${secretId} AND NOT EXISTS (SELECT 1 FROM csms_secrets WHERE secret_id = ${secretId})`),
    ]);
    return rowsAffected(r) === 1;
  }

  /** Secrets whose scheduled deletion day has come. */
  async dueDeletions(now: number): Promise<SecretRow[]> {
    return this.db.select().from(csmsSecrets).where(and(eq(csmsSecrets.state, 'PENDING_DELETE'), isNotNull(csmsSecrets.scheduledDeleteTime), lte(csmsSecrets.scheduledDeleteTime, now)));
  }

  /** ENABLED secrets with automatic rotation whose next rotation time has come. */
  async dueRotations(now: number): Promise<SecretRow[]> {
    return this.db
      .select()
      .from(csmsSecrets)
      .where(and(eq(csmsSecrets.state, 'ENABLED'), eq(csmsSecrets.autoRotation, 1), isNotNull(csmsSecrets.nextRotationTime), lte(csmsSecrets.nextRotationTime, now)));
  }

  /**
   * Claims a due rotation: moves `next_rotation_time` from what the caller read to `next`. Exactly
   * one daemon wins the claim for one due time; the others see false.
   */
  async claimRotation(secretId: string, dueAt: number, next: number): Promise<boolean> {
    const r = await this.db
      .update(csmsSecrets)
      .set({ nextRotationTime: next, revision: sql`${csmsSecrets.revision} + 1` })
      .where(and(eq(csmsSecrets.secretId, secretId), eq(csmsSecrets.nextRotationTime, dueAt), eq(csmsSecrets.autoRotation, 1)));
    return rowsAffected(r) === 1;
  }

  // ---- versions ----

  /**
   * Reserves the next version number of an ENABLED secret (one atomic increment: two writers never
   * get the same number); undefined when the secret is gone or not ENABLED.
   */
  async reserveVersion(secretId: string, now: number): Promise<number | undefined> {
    const rows = await this.db.all<{ v: number }>(
      sql`UPDATE csms_secrets SET next_version = next_version + 1, update_time = ${now}, revision = revision + 1 WHERE secret_id = ${secretId} AND state = 'ENABLED' RETURNING next_version - 1 AS v`,
    );
    return rows[0]?.v;
  }

  /** Gives back reserved number `n` if it is still the last one reserved; true when it did. */
  async releaseVersion(secretId: string, n: number): Promise<boolean> {
    const r = await this.db.update(csmsSecrets).set({ nextVersion: n }).where(and(eq(csmsSecrets.secretId, secretId), eq(csmsSecrets.nextVersion, n + 1)));
    return rowsAffected(r) === 1;
  }

  /**
   * Commits a new version and its stages in one transaction. SYSCURRENT goes to the new version
   * unless a newer one holds it already (a writer that committed first with a higher number); the
   * holder it replaces becomes SYSPREVIOUS; a version that does not get SYSCURRENT takes
   * SYSPREVIOUS when it is newer than its holder. Other stages move to it. Then the oldest versions
   * with no stage are pruned down to MAX_VERSIONS. False when the secret was deleted meanwhile.
   */
  async commitVersion(row: VersionRow, stages: readonly string[]): Promise<boolean> {
    const s = row.secretId;
    const v = row.version;
    const t = row.createTime;
    const stmts: Batchable[] = [
      this.db.run(sql`INSERT INTO csms_versions (secret_id, version, project_id, kms_key_id, sealed, value_kind, create_time, expire_time, expired_notified)
        SELECT ${s}, ${v}, ${row.projectId}, ${row.kmsKeyId}, ${row.sealed}, ${row.valueKind}, ${t}, ${row.expireTime}, 0 WHERE EXISTS (SELECT 1 FROM csms_secrets WHERE secret_id = ${s})`),
    ];
    for (const name of stages) {
      if (name === SYSCURRENT) {
        stmts.push(
          this.db.run(sql`INSERT INTO csms_stages (secret_id, name, version, update_time)
            SELECT secret_id, ${SYSPREVIOUS}, version, ${t} FROM csms_stages WHERE secret_id = ${s} AND name = ${SYSCURRENT} AND version < ${v}
            ON CONFLICT (secret_id, name) DO UPDATE SET version = excluded.version, update_time = excluded.update_time`),
          this.db.run(sql`INSERT INTO csms_stages (secret_id, name, version, update_time) SELECT ${s}, ${SYSCURRENT}, ${v}, ${t} WHERE EXISTS (SELECT 1 FROM csms_versions WHERE secret_id = ${s} AND version = ${v})
            ON CONFLICT (secret_id, name) DO UPDATE SET version = excluded.version, update_time = excluded.update_time WHERE csms_stages.version < excluded.version`),
          this.db.run(sql`INSERT INTO csms_stages (secret_id, name, version, update_time)
            SELECT ${s}, ${SYSPREVIOUS}, ${v}, ${t} WHERE EXISTS (SELECT 1 FROM csms_versions WHERE secret_id = ${s} AND version = ${v})
              AND NOT EXISTS (SELECT 1 FROM csms_stages WHERE secret_id = ${s} AND name = ${SYSCURRENT} AND version = ${v})
            ON CONFLICT (secret_id, name) DO UPDATE SET version = excluded.version, update_time = excluded.update_time WHERE csms_stages.version < excluded.version`),
        );
      } else {
        stmts.push(
          this.db.run(sql`INSERT INTO csms_stages (secret_id, name, version, update_time) SELECT ${s}, ${name}, ${v}, ${t} WHERE EXISTS (SELECT 1 FROM csms_versions WHERE secret_id = ${s} AND version = ${v})
            ON CONFLICT (secret_id, name) DO UPDATE SET version = excluded.version, update_time = excluded.update_time`),
        );
      }
    }
    stmts.push(this.pruneStatement(s));
    const [inserted] = await this.db.batch(stmts as [Batchable, ...Batchable[]]);
    return rowsAffected(inserted) === 1;
  }

  /** Deletes the oldest versions holding no stage while the secret has more than MAX_VERSIONS. */
  private pruneStatement(secretId: string): Batchable {
    return this.db.run(sql`DELETE FROM csms_versions WHERE secret_id = ${secretId} AND version IN (
      SELECT v.version FROM csms_versions v WHERE v.secret_id = ${secretId}
        AND NOT EXISTS (SELECT 1 FROM csms_stages st WHERE st.secret_id = v.secret_id AND st.version = v.version)
      ORDER BY v.version ASC
      LIMIT max(0, (SELECT count(*) FROM csms_versions WHERE secret_id = ${secretId}) - ${MAX_VERSIONS}))`);
  }

  async version(secretId: string, version: number): Promise<VersionRow | undefined> {
    const rows = await this.db.select().from(csmsVersions).where(and(eq(csmsVersions.secretId, secretId), eq(csmsVersions.version, version)));
    return rows[0];
  }

  /** Versions newest first, after `marker` (a version number, exclusive), `limit + 1` rows. */
  async listVersions(secretId: string, marker: number | undefined, limit: number): Promise<VersionRow[]> {
    const of = eq(csmsVersions.secretId, secretId);
    return this.db
      .select()
      .from(csmsVersions)
      .where(marker === undefined ? of : and(of, lt(csmsVersions.version, marker)))
      .orderBy(desc(csmsVersions.version))
      .limit(limit + 1);
  }

  /** Every version of a secret, oldest first (backup). */
  async allVersions(secretId: string): Promise<VersionRow[]> {
    return this.db.select().from(csmsVersions).where(eq(csmsVersions.secretId, secretId)).orderBy(asc(csmsVersions.version));
  }

  async versionCount(secretId: string): Promise<number> {
    const [r] = await this.db.select({ n: sql<number>`count(*)` }).from(csmsVersions).where(eq(csmsVersions.secretId, secretId));
    return Number(r?.n ?? 0);
  }

  async setExpireTime(secretId: string, version: number, expireTime: number | null, now: number): Promise<boolean> {
    const [r] = await this.db.batch([
      this.db.update(csmsVersions).set({ expireTime, expiredNotified: 0 }).where(and(eq(csmsVersions.secretId, secretId), eq(csmsVersions.version, version))),
      this.touch(secretId, now),
    ]);
    return rowsAffected(r) === 1;
  }

  /** Moves the secret's revision on (a change to its versions or stages is a change of the secret: saved plans go stale). */
  private touch(secretId: string, now: number) {
    return this.db.update(csmsSecrets).set({ updateTime: now, revision: sql`${csmsSecrets.revision} + 1` }).where(eq(csmsSecrets.secretId, secretId));
  }

  /** Versions whose expiry passed and that were not yet reported. */
  async newlyExpired(now: number): Promise<(VersionRow & { name: string; eventSubscriptions: string })[]> {
    const rows = await this.db
      .select({ v: csmsVersions, name: csmsSecrets.name, eventSubscriptions: csmsSecrets.eventSubscriptions })
      .from(csmsVersions)
      .innerJoin(csmsSecrets, eq(csmsSecrets.secretId, csmsVersions.secretId))
      .where(and(eq(csmsVersions.expiredNotified, 0), isNotNull(csmsVersions.expireTime), lte(csmsVersions.expireTime, now)));
    return rows.map((r) => ({ ...r.v, name: r.name, eventSubscriptions: r.eventSubscriptions }));
  }

  /** Marks an expiry reported; true for the one writer that did it. */
  async markExpiryNotified(secretId: string, version: number): Promise<boolean> {
    const r = await this.db.update(csmsVersions).set({ expiredNotified: 1 }).where(and(eq(csmsVersions.secretId, secretId), eq(csmsVersions.version, version), eq(csmsVersions.expiredNotified, 0)));
    return rowsAffected(r) === 1;
  }

  // ---- stages ----

  async stages(secretId: string): Promise<StageRow[]> {
    return this.db.select().from(csmsStages).where(eq(csmsStages.secretId, secretId)).orderBy(asc(csmsStages.name));
  }

  async stage(secretId: string, name: string): Promise<StageRow | undefined> {
    const rows = await this.db.select().from(csmsStages).where(and(eq(csmsStages.secretId, secretId), eq(csmsStages.name, name)));
    return rows[0];
  }

  /**
   * Puts stage `name` on `version` (moving it if another version held it). Moving SYSCURRENT makes
   * its previous holder SYSPREVIOUS. False when the version is gone.
   */
  async moveStage(secretId: string, name: string, version: number, now: number): Promise<boolean> {
    const stmts: Batchable[] = [];
    if (name === SYSCURRENT) {
      stmts.push(this.db.run(sql`INSERT INTO csms_stages (secret_id, name, version, update_time)
        SELECT secret_id, ${SYSPREVIOUS}, version, ${now} FROM csms_stages WHERE secret_id = ${secretId} AND name = ${SYSCURRENT} AND version <> ${version}
          AND EXISTS (SELECT 1 FROM csms_versions WHERE secret_id = ${secretId} AND version = ${version})
        ON CONFLICT (secret_id, name) DO UPDATE SET version = excluded.version, update_time = excluded.update_time`));
    }
    stmts.push(this.db.run(sql`INSERT INTO csms_stages (secret_id, name, version, update_time)
      SELECT ${secretId}, ${name}, ${version}, ${now} WHERE EXISTS (SELECT 1 FROM csms_versions WHERE secret_id = ${secretId} AND version = ${version})
      ON CONFLICT (secret_id, name) DO UPDATE SET version = excluded.version, update_time = excluded.update_time`));
    stmts.push(this.pruneStatement(secretId), this.touch(secretId, now));
    const results = await this.db.batch(stmts as [Batchable, ...Batchable[]]);
    return rowsAffected(results[stmts.length - 3]) === 1;
  }

  async deleteStage(secretId: string, name: string, now: number): Promise<boolean> {
    const [r] = await this.db.batch([this.db.delete(csmsStages).where(and(eq(csmsStages.secretId, secretId), eq(csmsStages.name, name))), this.touch(secretId, now)]);
    return rowsAffected(r) === 1;
  }

  /** Stage labels by version, for a set of versions. */
  async stagesByVersion(secretId: string, versions?: readonly number[]): Promise<Map<number, string[]>> {
    const rows = await this.db
      .select()
      .from(csmsStages)
      .where(versions ? and(eq(csmsStages.secretId, secretId), inArray(csmsStages.version, [...versions])) : eq(csmsStages.secretId, secretId))
      .orderBy(asc(csmsStages.name));
    const out = new Map<number, string[]>();
    for (const r of rows) out.set(r.version, [...(out.get(r.version) ?? []), r.name]);
    return out;
  }

  // ---- restore ----

  /** Inserts a restored secret with all its versions and stages at once; false when the name or id is taken. */
  async restore(row: SecretRow, versions: VersionRow[], stages: StageRow[]): Promise<boolean> {
    const stmts: Batchable[] = [this.db.insert(csmsSecrets).values(row)];
    for (const v of versions) stmts.push(this.db.insert(csmsVersions).values(v));
    for (const s of stages) stmts.push(this.db.insert(csmsStages).values(s));
    try {
      await this.db.batch(stmts as [Batchable, ...Batchable[]]);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  // ---- rotation tasks ----

  async insertTask(row: TaskRow): Promise<void> {
    await this.db.insert(csmsTasks).values(row);
  }

  async updateTask(taskId: string, set: Partial<Omit<TaskRow, 'taskId'>>): Promise<void> {
    await this.db.update(csmsTasks).set(set).where(eq(csmsTasks.taskId, taskId));
  }

  async listTasks(projectId: string, q: { secretName?: string; status?: string; taskId?: string }, offset: number, limit: number): Promise<{ total: number; tasks: TaskRow[] }> {
    const where = and(
      eq(csmsTasks.projectId, projectId),
      q.secretName === undefined ? undefined : eq(csmsTasks.secretName, q.secretName),
      q.status === undefined ? undefined : eq(csmsTasks.taskStatus, q.status),
      q.taskId === undefined ? undefined : eq(csmsTasks.taskId, q.taskId),
    );
    const [t] = await this.db.select({ n: sql<number>`count(*)` }).from(csmsTasks).where(where);
    const tasks = await this.db.select().from(csmsTasks).where(where).orderBy(desc(csmsTasks.taskTime), asc(csmsTasks.taskId)).limit(limit).offset(offset);
    return { total: Number(t?.n ?? 0), tasks };
  }
}
