/** Persistence of KMS aliases; every change also appends a change event of kind 'alias' (object id `project_id:alias`). */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditedBatch, rowsAffected, type AuditHook } from './audit-repo.js';
import { changeEvents, kmsAliases } from './schema.js';

export type AliasRow = typeof kmsAliases.$inferSelect;

/** The change-event object id of an alias: project ids are hex, so the first ':' separates them. */
export function aliasEventId(projectId: string, alias: string): string {
  return `${projectId}:${alias}`;
}

export function parseAliasEventId(id: string): { projectId: string; alias: string } {
  const i = id.indexOf(':');
  return { projectId: id.slice(0, i), alias: id.slice(i + 1) };
}

export class AliasRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  private event(projectId: string, alias: string) {
    return this.db.insert(changeEvents).values({ kind: 'alias', objectId: aliasEventId(projectId, alias), at: this.now() });
  }

  async loadAll(): Promise<AliasRow[]> {
    return this.db.select().from(kmsAliases);
  }

  async loadOne(projectId: string, alias: string): Promise<AliasRow | undefined> {
    const rows = await this.db.select().from(kmsAliases).where(and(eq(kmsAliases.projectId, projectId), eq(kmsAliases.alias, alias)));
    return rows[0];
  }

  /** Inserts a new alias; false when the name is taken (another daemon may have won the race). */
  async insert(row: AliasRow, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, row.keyId, [this.db.insert(kmsAliases).values(row).onConflictDoNothing()], [
      this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) SELECT 'alias', ${aliasEventId(row.projectId, row.alias)}, ${this.now()}
                      WHERE EXISTS (SELECT 1 FROM ${kmsAliases} WHERE project_id = ${row.projectId} AND alias = ${row.alias} AND key_id = ${row.keyId})`),
    ]);
    return rowsAffected(results?.[0]) === 1;
  }

  /** Deletes the given aliases of one key in one batch (those already gone are skipped). */
  async deleteMany(projectId: string, keyId: string, aliases: string[], audit?: AuditHook): Promise<void> {
    if (aliases.length === 0) return;
    const stmts = aliases.flatMap((a) => [
      this.db.delete(kmsAliases).where(and(eq(kmsAliases.projectId, projectId), eq(kmsAliases.alias, a), eq(kmsAliases.keyId, keyId))),
      this.event(projectId, a),
    ]);
    // The record follows the last change event, which always inserts: it commits with the batch.
    await auditedBatch(this.db, audit, keyId, stmts);
  }

  /** Points an alias at another key; false when it no longer exists. */
  async associate(projectId: string, alias: string, keyId: string, at: number, audit?: AuditHook): Promise<boolean> {
    const update = this.db
      .update(kmsAliases)
      .set({ keyId, updateTime: at, revision: sql`${kmsAliases.revision} + 1` })
      .where(and(eq(kmsAliases.projectId, projectId), eq(kmsAliases.alias, alias)));
    const results = await auditedBatch(this.db, audit, keyId, [update], [this.event(projectId, alias)]);
    return rowsAffected(results?.[0]) === 1;
  }
}
