/** Persistence of keys, their versions and tags; every change also appends a change event. */
import { and, eq, gt, inArray, sql, asc } from 'drizzle-orm';
import type { Db } from './db.js';
import { keys, keyVersions, keyTags, changeEvents, importTokens, importedMaterialDigests } from './schema.js';
import { auditedBatch, isAuditGuardFailure, rowsAffected, withAudit, type AuditHook } from './audit-repo.js';

export type KeyRow = typeof keys.$inferSelect;
export type TagRow = typeof keyTags.$inferSelect;
export type ImportTokenRow = typeof importTokens.$inferSelect;

/** What committing an import did: stored, or nothing because the token or the key state no longer allowed it. */
export type ImportOutcome = 'ok' | 'refused';

export type InsertOutcome = 'ok' | 'quota' | 'alias';

export interface ChangeEvent {
  seq: number;
  kind: string;
  objectId: string;
}

function isUniqueViolation(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ''} ${((err as { cause?: Error })?.cause)?.message ?? ''}`;
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/.test(text);
}

export class KeyRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  private event(kind: string, objectId: string) {
    return this.db.insert(changeEvents).values({ kind, objectId, at: this.now() });
  }

  async loadAll(): Promise<{ rows: KeyRow[]; tags: TagRow[] }> {
    const [rows, tags] = await this.db.batch([this.db.select().from(keys), this.db.select().from(keyTags)]);
    return { rows, tags };
  }

  async loadMany(keyIds: string[]): Promise<{ rows: KeyRow[]; tags: TagRow[] }> {
    if (keyIds.length === 0) return { rows: [], tags: [] };
    const [rows, tags] = await this.db.batch([
      this.db.select().from(keys).where(inArray(keys.keyId, keyIds)),
      this.db.select().from(keyTags).where(inArray(keyTags.keyId, keyIds)),
    ]);
    return { rows, tags };
  }

  async loadMaterial(keyId: string, version: number): Promise<Buffer | undefined> {
    const rows = await this.db
      .select({ m: keyVersions.materialWrapped })
      .from(keyVersions)
      .where(and(eq(keyVersions.keyId, keyId), eq(keyVersions.version, version)));
    return rows[0]?.m;
  }

  /**
   * Inserts a key and its first material version in one transaction. The quota is checked by
   * the INSERT itself, so racing daemons cannot exceed it; a duplicate alias fails the batch whole.
   */
  async insertKey(row: KeyRow, material: Buffer | null, quota: number | null, audit?: AuditHook): Promise<InsertOutcome> {
    const quotaCond =
      quota === null
        ? sql`1`
        : sql`(SELECT count(*) FROM ${keys} WHERE ${keys.projectId} = ${row.projectId} AND ${keys.defaultKeyFlag} = 0) < ${quota}`;
    const cols = sql.join(
      [
        sql.identifier('key_id'), sql.identifier('domain_id'), sql.identifier('project_id'), sql.identifier('key_alias'),
        sql.identifier('key_description'), sql.identifier('key_spec'), sql.identifier('key_usage'), sql.identifier('origin'),
        sql.identifier('key_state'), sql.identifier('default_key_flag'), sql.identifier('creation_date'),
        sql.identifier('scheduled_deletion_date'), sql.identifier('expiration_time'), sql.identifier('keystore_id'),
        sql.identifier('partition_id'), sql.identifier('rotation_enabled'), sql.identifier('rotation_interval'),
        sql.identifier('last_rotation_time'), sql.identifier('number_of_rotations'), sql.identifier('current_version'),
        sql.identifier('revision'),
      ],
      sql`, `,
    );
    const vals = sql.join(
      [
        row.keyId, row.domainId, row.projectId, row.keyAlias, row.keyDescription, row.keySpec, row.keyUsage, row.origin,
        row.keyState, row.defaultKeyFlag, row.creationDate, row.scheduledDeletionDate, row.expirationTime, row.keystoreId,
        row.partitionId, row.rotationEnabled, row.rotationInterval, row.lastRotationTime, row.numberOfRotations,
        row.currentVersion, row.revision,
      ].map((v) => sql`${v}`),
      sql`, `,
    );
    const insert = this.db.run(sql`INSERT INTO ${keys} (${cols}) SELECT ${vals} WHERE ${quotaCond}`);
    const stmts = [insert] as [typeof insert, ...(typeof insert)[]];
    const auditAt = stmts.length;
    if (material) {
      stmts.push(
        this.db.run(
          sql`INSERT INTO ${keyVersions} (key_id, version, material_wrapped, created_at)
              SELECT ${row.keyId}, ${row.currentVersion}, ${material}, ${row.creationDate}
              WHERE EXISTS (SELECT 1 FROM ${keys} WHERE ${keys.keyId} = ${row.keyId})`,
        ),
      );
    }
    stmts.push(this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) VALUES ('key', ${row.keyId}, ${this.now()})`));
    try {
      // The audit record goes right after the INSERT it guards (audit-repo.ts, guardedRecord).
      const results = await withAudit(audit, row.keyId, (a) => this.db.batch([...stmts.slice(0, auditAt), ...a, ...stmts.slice(auditAt)] as typeof stmts));
      return (results[0] as { rowsAffected: number }).rowsAffected === 1 ? 'ok' : 'quota';
    } catch (err) {
      // First: a guard failure is also an SQLITE_CONSTRAINT (NOT NULL on the audit record).
      if (isAuditGuardFailure(err)) return 'quota';
      if (isUniqueViolation(err)) return 'alias';
      throw err;
    }
  }

  /**
   * Applies `patch` to a key when its state is one of `fromStates`, bumping its revision.
   * Returns false when the key is gone or in another state (the caller re-reads and reports).
   */
  async updateKey(keyId: string, patch: Partial<KeyRow>, fromStates?: readonly string[], audit?: AuditHook): Promise<boolean> {
    const cond = fromStates ? and(eq(keys.keyId, keyId), inArray(keys.keyState, [...fromStates])) : eq(keys.keyId, keyId);
    try {
      const [res] = await withAudit(audit, keyId, (a) =>
        this.db.batch([this.db.update(keys).set({ ...patch, revision: sql`${keys.revision} + 1` }).where(cond), ...a, this.event('key', keyId)]),
      );
      return (res as { rowsAffected: number }).rowsAffected === 1;
    } catch (err) {
      if (isAuditGuardFailure(err)) return false;
      if (isUniqueViolation(err)) throw new AliasTakenError();
      throw err;
    }
  }

  /** Replaces or removes tags of a key, bumping its revision. */
  async changeTags(keyId: string, upserts: { key: string; value: string }[], removals: string[], audit?: AuditHook): Promise<void> {
    const bump = this.db.update(keys).set({ revision: sql`${keys.revision} + 1` }).where(eq(keys.keyId, keyId));
    const more = [
      ...removals.map((k) => this.db.delete(keyTags).where(and(eq(keyTags.keyId, keyId), eq(keyTags.tagKey, k)))),
      ...upserts.map((t) =>
        this.db.insert(keyTags).values({ keyId, tagKey: t.key, tagValue: t.value })
          .onConflictDoUpdate({ target: [keyTags.keyId, keyTags.tagKey], set: { tagValue: t.value } }),
      ),
    ];
    await withAudit(audit, keyId, (a) => this.db.batch([bump, ...a, this.event('key', keyId), ...more] as unknown as Parameters<Db['batch']>[0]));
  }

  async insertImportToken(row: ImportTokenRow): Promise<void> {
    await this.db.insert(importTokens).values(row);
  }

  async loadImportToken(tokenId: string): Promise<ImportTokenRow | undefined> {
    const rows = await this.db.select().from(importTokens).where(eq(importTokens.tokenId, tokenId));
    return rows[0];
  }

  async loadImportDigest(keyId: string): Promise<Buffer | undefined> {
    const rows = await this.db.select({ d: importedMaterialDigests.digest }).from(importedMaterialDigests).where(eq(importedMaterialDigests.keyId, keyId));
    return rows[0]?.d;
  }

  /**
   * Imports material in one transaction: consumes the token (unused, unexpired), moves the key from
   * pending import (5) to enabled with version 1, stores the sealed material and the first digest.
   * Each step runs only when the one before changed a row (SQLite `changes()`), so a reused token or a
   * key that left state 5 changes nothing.
   */
  async commitImport(p: { keyId: string; tokenId: string; now: number; sealed: Buffer; digest: Buffer; expirationTime: number | null }, audit?: AuditHook): Promise<ImportOutcome> {
    // The record follows the material's INSERT, the statement that happens only when all before it did.
    const results = await auditedBatch(this.db, audit, p.keyId, [
      this.db.run(sql`UPDATE ${importTokens} SET used_at = ${p.now}
                      WHERE token_id = ${p.tokenId} AND key_id = ${p.keyId} AND used_at IS NULL AND expires_at > ${p.now}`),
      this.db.run(sql`UPDATE ${keys} SET key_state = '2', current_version = 1, expiration_time = ${p.expirationTime}, revision = revision + 1
                      WHERE key_id = ${p.keyId} AND key_state = '5' AND changes() = 1`),
      this.db.run(sql`INSERT INTO ${keyVersions} (key_id, version, material_wrapped, created_at)
                      SELECT ${p.keyId}, 1, ${p.sealed}, ${p.now} WHERE changes() = 1`),
    ], [
      this.db.run(sql`INSERT INTO ${importedMaterialDigests} (key_id, digest, created_at)
                      SELECT ${p.keyId}, ${p.digest}, ${p.now}
                      WHERE EXISTS (SELECT 1 FROM ${keyVersions} WHERE key_id = ${p.keyId} AND version = 1 AND created_at = ${p.now})
                      ON CONFLICT (key_id) DO NOTHING`),
      this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) VALUES ('key', ${p.keyId}, ${this.now()})`),
    ]);
    return rowsAffected(results?.[2]) === 1 ? 'ok' : 'refused';
  }

  /** delete-imported-key-material: from Enabled/Disabled back to pending import, removing every material version. */
  async deleteImportedMaterial(keyId: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, keyId, [
      this.db.run(sql`UPDATE ${keys} SET key_state = '5', current_version = 0, expiration_time = NULL, revision = revision + 1
                      WHERE key_id = ${keyId} AND key_state IN ('2', '3') AND origin = 'external'`),
    ], [
      this.db.run(sql`DELETE FROM ${keyVersions} WHERE key_id = ${keyId}
                      AND EXISTS (SELECT 1 FROM ${keys} WHERE key_id = ${keyId} AND key_state = '5' AND current_version = 0)`),
      this.event('key', keyId),
    ]);
    return rowsAffected(results?.[0]) === 1;
  }

  /** The change events after `seq`, oldest first. */
  async changesSince(seq: number, limit = 5000): Promise<ChangeEvent[]> {
    return this.db
      .select({ seq: changeEvents.seq, kind: changeEvents.kind, objectId: changeEvents.objectId })
      .from(changeEvents)
      .where(gt(changeEvents.seq, seq))
      .orderBy(asc(changeEvents.seq))
      .limit(limit);
  }

  async lastChangeSeq(): Promise<number> {
    const rows = await this.db.select({ m: sql<number>`coalesce(max(${changeEvents.seq}), 0)` }).from(changeEvents);
    return Number(rows[0]?.m ?? 0);
  }
}

export class AliasTakenError extends Error {
  constructor() {
    super('alias taken');
    this.name = 'AliasTakenError';
  }
}
