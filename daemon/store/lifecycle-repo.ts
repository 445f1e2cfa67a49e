/**
 * Persistence of key rotation and the scheduler's lifecycle actions. Every action is one batch,
 * guarded by a compare-and-set on the key row, so when several daemons (or a `dew rotate --due`
 * run) race for the same due item exactly one batch changes it and the others change nothing.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { keys, keyVersions, keyTags, changeEvents, rotationPolicies, importTokens, importedMaterialDigests } from './schema.js';
import { isAuditGuardFailure, withAudit, type AuditHook } from './audit-repo.js';
import type { KeyRow } from './key-repo.js';

const DAY_MS = 86_400_000;

/** What a compare-and-set batch did: applied, or nothing because the row was no longer as expected. */
export type CasOutcome = 'applied' | 'lost';

export interface DueKey {
  keyId: string;
  domainId: string;
  projectId: string;
  currentVersion: number;
  keySpec: string;
  partitionId: string;
  /** The time the action became due (epoch ms). */
  dueAt: number;
}

interface DueRow {
  key_id: string;
  domain_id: string;
  project_id: string;
  current_version: number;
  key_spec: string;
  partition_id: string;
  due_at: number;
}

function toDue(r: DueRow): DueKey {
  return {
    keyId: String(r.key_id),
    domainId: String(r.domain_id),
    projectId: String(r.project_id),
    currentVersion: Number(r.current_version),
    keySpec: String(r.key_spec),
    partitionId: String(r.partition_id),
    dueAt: Number(r.due_at),
  };
}

function rowsAffected(r: unknown): number {
  return (r as { rowsAffected: number }).rowsAffected;
}

export class LifecycleRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  private event(keyId: string) {
    return this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) VALUES ('key', ${keyId}, ${this.now()})`);
  }

  /**
   * Adds version `fromVersion + 1` with its sealed material and makes it current, only when the key
   * still has `fromVersion` as current and is enabled: the compare-and-set that makes two racing
   * rotations of one key commit exactly once. Nothing is half done: one batch, one transaction.
   */
  async rotate(keyId: string, fromVersion: number, sealed: Buffer, at: number, audit?: AuditHook): Promise<CasOutcome> {
    const next = fromVersion + 1;
    try {
      const results = await withAudit(audit, keyId, (a) =>
        this.db.batch([
          this.db.run(sql`UPDATE ${keys} SET current_version = ${next}, number_of_rotations = number_of_rotations + 1,
                          last_rotation_time = ${at}, revision = revision + 1
                          WHERE key_id = ${keyId} AND current_version = ${fromVersion} AND key_state = '2'`),
          this.db.run(sql`INSERT INTO ${keyVersions} (key_id, version, material_wrapped, created_at)
                          SELECT ${keyId}, ${next}, ${sealed}, ${at} WHERE changes() = 1`),
          ...a,
          this.event(keyId),
        ]),
      );
      return rowsAffected(results[1]) === 1 ? 'applied' : 'lost';
    } catch (err) {
      if (isAuditGuardFailure(err)) return 'lost';
      throw err;
    }
  }

  /** Switches automatic rotation on (recording when) or off, and sets the interval when given. */
  async setRotation(keyId: string, patch: { enabled?: boolean; intervalDays?: number }, at: number, audit?: AuditHook): Promise<boolean> {
    const sets = [sql`revision = revision + 1`];
    if (patch.enabled !== undefined) sets.push(sql`rotation_enabled = ${patch.enabled ? 1 : 0}`);
    if (patch.intervalDays !== undefined) sets.push(sql`rotation_interval = ${patch.intervalDays}`);
    const policy =
      patch.enabled === true
        ? // Switching on counts from now; switching on again while on keeps the first time.
          [this.db.run(sql`INSERT INTO ${rotationPolicies} (key_id, enabled_at) VALUES (${keyId}, ${at})
                           ON CONFLICT (key_id) DO UPDATE SET enabled_at = CASE WHEN (SELECT rotation_enabled FROM ${keys} WHERE key_id = ${keyId}) = 1
                           THEN enabled_at ELSE excluded.enabled_at END`)]
        : patch.enabled === false
          ? [this.db.run(sql`DELETE FROM ${rotationPolicies} WHERE key_id = ${keyId}`)]
          : [];
    try {
      const results = await withAudit(audit, keyId, (a) =>
        this.db.batch([
          // The policy row first: its CASE reads rotation_enabled before the update below changes it.
          policy[0] ?? this.db.run(sql`SELECT 1`),
          this.db.run(sql`UPDATE ${keys} SET ${sql.join(sets, sql`, `)} WHERE key_id = ${keyId} AND key_state IN ('2', '3')`),
          ...a,
          this.event(keyId),
        ]),
      );
      return rowsAffected(results[1]) === 1;
    } catch (err) {
      if (isAuditGuardFailure(err)) return false;
      throw err;
    }
  }

  /** Keys whose automatic rotation is due at `now`: enabled, rotation on, interval passed since the later of switch-on and last rotation. */
  async dueRotations(now: number): Promise<DueKey[]> {
    const rows = await this.db.all<DueRow>(sql`
      SELECT k.key_id, k.domain_id, k.project_id, k.current_version, k.key_spec, k.partition_id,
             max(coalesce(k.last_rotation_time, 0), coalesce(p.enabled_at, k.creation_date)) + k.rotation_interval * ${DAY_MS} AS due_at
      FROM ${keys} k LEFT JOIN ${rotationPolicies} p ON p.key_id = k.key_id
      WHERE k.rotation_enabled = 1 AND k.key_state = '2' AND k.origin = 'kms' AND k.key_spec IN ('AES_256', 'SM4')
        AND max(coalesce(k.last_rotation_time, 0), coalesce(p.enabled_at, k.creation_date)) + k.rotation_interval * ${DAY_MS} <= ${now}
      ORDER BY due_at, k.key_id`);
    return rows.map(toDue);
  }

  /** Keys pending deletion whose day has come. */
  async dueDeletions(now: number): Promise<DueKey[]> {
    const rows = await this.db.all<DueRow>(sql`
      SELECT key_id, domain_id, project_id, current_version, key_spec, partition_id, scheduled_deletion_date AS due_at FROM ${keys}
      WHERE key_state = '4' AND scheduled_deletion_date IS NOT NULL AND scheduled_deletion_date <= ${now}
      ORDER BY scheduled_deletion_date, key_id`);
    return rows.map(toDue);
  }

  /** Imported material past its expiration time (keys Enabled or Disabled). */
  async expiredMaterial(now: number): Promise<DueKey[]> {
    const rows = await this.db.all<DueRow>(sql`
      SELECT key_id, domain_id, project_id, current_version, key_spec, partition_id, expiration_time AS due_at FROM ${keys}
      WHERE origin = 'external' AND key_state IN ('2', '3') AND expiration_time IS NOT NULL AND expiration_time <= ${now}
      ORDER BY expiration_time, key_id`);
    return rows.map(toDue);
  }

  /**
   * Destroys a key for good: the key row (only while still pending deletion and due), then every
   * version, tag, grant, rotation policy, import token and material digest of it, in one batch.
   */
  async destroy(keyId: string, now: number, audit?: AuditHook): Promise<CasOutcome> {
    const gone = sql`NOT EXISTS (SELECT 1 FROM ${keys} WHERE key_id = ${keyId})`;
    try {
      const results = await withAudit(audit, keyId, (a) =>
        this.db.batch([
          this.db.run(sql`DELETE FROM ${keys} WHERE key_id = ${keyId} AND key_state = '4'
                          AND scheduled_deletion_date IS NOT NULL AND scheduled_deletion_date <= ${now}`),
          ...a,
          this.db.run(sql`DELETE FROM ${keyVersions} WHERE key_id = ${keyId} AND ${gone}`),
          this.db.run(sql`DELETE FROM ${keyTags} WHERE key_id = ${keyId} AND ${gone}`),
          this.db.run(sql`DELETE FROM ${rotationPolicies} WHERE key_id = ${keyId} AND ${gone}`),
          this.db.run(sql`DELETE FROM ${importTokens} WHERE key_id = ${keyId} AND ${gone}`),
          this.db.run(sql`DELETE FROM ${importedMaterialDigests} WHERE key_id = ${keyId} AND ${gone}`),
          ...this.extraCleanup(keyId, gone),
          this.event(keyId),
        ]),
      );
      return rowsAffected(results[0]) === 1 ? 'applied' : 'lost';
    } catch (err) {
      if (isAuditGuardFailure(err)) return 'lost';
      throw err;
    }
  }

  /** Tables other services keep per key (grants, aliases), removed with the key when they exist. */
  private extraCleanup(keyId: string, gone: ReturnType<typeof sql>) {
    return this.cleanupTables.map((t) => this.db.run(sql`DELETE FROM ${sql.identifier(t)} WHERE key_id = ${keyId} AND ${gone}`));
  }

  private cleanupTables: string[] = [];

  /** Finds which optional per-key tables exist in this database (call once at start). */
  async detectCleanupTables(): Promise<void> {
    const rows = await this.db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('grants', 'kms_aliases')`);
    this.cleanupTables = rows.map((r) => r.name);
  }

  /** Deletes expired imported material: the key returns to pending import (5) and loses every version. */
  async expireMaterial(keyId: string, now: number, audit?: AuditHook): Promise<CasOutcome> {
    try {
      const results = await withAudit(audit, keyId, (a) =>
        this.db.batch([
          this.db.run(sql`UPDATE ${keys} SET key_state = '5', current_version = 0, expiration_time = NULL, revision = revision + 1
                          WHERE key_id = ${keyId} AND origin = 'external' AND key_state IN ('2', '3')
                          AND expiration_time IS NOT NULL AND expiration_time <= ${now}`),
          ...a,
          this.db.run(sql`DELETE FROM ${keyVersions} WHERE key_id = ${keyId}
                          AND EXISTS (SELECT 1 FROM ${keys} WHERE key_id = ${keyId} AND key_state = '5' AND current_version = 0)`),
          this.event(keyId),
        ]),
      );
      return rowsAffected(results[0]) === 1 ? 'applied' : 'lost';
    } catch (err) {
      if (isAuditGuardFailure(err)) return 'lost';
      throw err;
    }
  }

  /** One key row straight from the database (the rotation retry path). */
  async loadKey(keyId: string): Promise<KeyRow | undefined> {
    const rows = await this.db.select().from(keys).where(sql`${keys.keyId} = ${keyId}`);
    return rows[0];
  }
}
