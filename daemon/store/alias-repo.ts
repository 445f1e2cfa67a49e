/** Persistence of KMS aliases; every change also appends a change event of kind 'alias' (object id `project_id:alias`). */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
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
  async insert(row: AliasRow): Promise<boolean> {
    const [res] = await this.db.batch([
      this.db.insert(kmsAliases).values(row).onConflictDoNothing(),
      this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) SELECT 'alias', ${aliasEventId(row.projectId, row.alias)}, ${this.now()} WHERE changes() = 1`),
    ]);
    return (res as { rowsAffected: number }).rowsAffected === 1;
  }

  /** Deletes the given aliases of one key in one batch. */
  async deleteMany(projectId: string, keyId: string, aliases: string[]): Promise<void> {
    const [first, ...rest] = aliases.flatMap((a) => [
      this.db.delete(kmsAliases).where(and(eq(kmsAliases.projectId, projectId), eq(kmsAliases.alias, a), eq(kmsAliases.keyId, keyId))),
      this.event(projectId, a),
    ]);
    if (first) await this.db.batch([first, ...rest]);
  }

  /** Points an alias at another key; false when it no longer exists. */
  async associate(projectId: string, alias: string, keyId: string, at: number): Promise<boolean> {
    const [res] = await this.db.batch([
      this.db
        .update(kmsAliases)
        .set({ keyId, updateTime: at, revision: sql`${kmsAliases.revision} + 1` })
        .where(and(eq(kmsAliases.projectId, projectId), eq(kmsAliases.alias, alias))),
      this.event(projectId, alias),
    ]);
    return (res as { rowsAffected: number }).rowsAffected === 1;
  }
}
