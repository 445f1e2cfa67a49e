/** Persistence of declarative stacks: serial, lineage, the stack lock, the last applied plan and the objects each stack owns. */
import { and, eq, isNull, asc, sql, count } from 'drizzle-orm';
import type { Db } from './db.js';
import { stacks, stackObjects } from './schema.js';
import { auditedBatch, rowsAffected, type AuditHook } from './audit-repo.js';

export type StackRow = typeof stacks.$inferSelect;
export type StackObjectRow = typeof stackObjects.$inferSelect;

export interface LockInfo {
  id: string;
  who: string;
  operation: string;
  createdAt: number;
}

/** The resource id a stack change is audited under. */
export function stackResource(name: string): string {
  return `stacks/${name}`;
}

export class StackRepo {
  constructor(private readonly db: Db) {}

  private where(projectId: string, name: string) {
    return and(eq(stacks.projectId, projectId), eq(stacks.name, name));
  }

  async get(projectId: string, name: string): Promise<StackRow | undefined> {
    const rows = await this.db.select().from(stacks).where(this.where(projectId, name));
    return rows[0];
  }

  /** A project's stacks by name, each with how many objects it owns; `limit` rows from `offset`. */
  async list(projectId: string, limit: number, offset: number): Promise<(StackRow & { objectCount: number })[]> {
    const rows = await this.db.select().from(stacks).where(eq(stacks.projectId, projectId)).orderBy(asc(stacks.name)).limit(limit).offset(offset);
    if (rows.length === 0) return [];
    const counts = await this.db
      .select({ stack: stackObjects.stack, n: count() })
      .from(stackObjects)
      .where(eq(stackObjects.projectId, projectId))
      .groupBy(stackObjects.stack);
    const byName = new Map(counts.map((c) => [c.stack, c.n]));
    return rows.map((r) => ({ ...r, objectCount: byName.get(r.name) ?? 0 }));
  }

  /** Records the last applied plan (JSON text), only while `lockId` holds the lock; false when it does not. */
  async putLastPlan(projectId: string, name: string, lockId: string, plan: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, stackResource(name), [
      this.db.update(stacks).set({ lastPlan: plan }).where(and(this.where(projectId, name), eq(stacks.lockId, lockId))),
    ]);
    return rowsAffected(results?.[0]) === 1;
  }

  async objects(projectId: string, name: string, limit: number, offset: number): Promise<StackObjectRow[]> {
    return this.db
      .select()
      .from(stackObjects)
      .where(and(eq(stackObjects.projectId, projectId), eq(stackObjects.stack, name)))
      .orderBy(asc(stackObjects.address))
      .limit(limit)
      .offset(offset);
  }

  /** Takes the lock when free; returns undefined when taken, else the lock. Creates the stack on first use. */
  async lock(projectId: string, name: string, lock: LockInfo, lineage: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, stackResource(name), [
      this.db.insert(stacks).values({ projectId, name, serial: 0, lineage }).onConflictDoNothing(),
      this.db
        .update(stacks)
        .set({ lockId: lock.id, lockWho: lock.who, lockOperation: lock.operation, lockCreatedAt: lock.createdAt })
        .where(and(this.where(projectId, name), isNull(stacks.lockId))),
    ]);
    return rowsAffected(results?.[1]) === 1;
  }

  /** Releases the lock held under `lockId`; false when it is not held under that id. */
  async unlock(projectId: string, name: string, lockId: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, stackResource(name), [
      this.db
        .update(stacks)
        .set({ lockId: null, lockWho: null, lockOperation: null, lockCreatedAt: null })
        .where(and(this.where(projectId, name), eq(stacks.lockId, lockId))),
    ]);
    return rowsAffected(results?.[0]) === 1;
  }

  /** Records an object (insert or replace) and bumps the serial, only while `lockId` holds the lock. */
  async putObject(obj: StackObjectRow, lockId: string, audit?: AuditHook): Promise<number | undefined> {
    const held = and(this.where(obj.projectId, obj.stack), eq(stacks.lockId, lockId));
    const results = await auditedBatch(this.db, audit, stackResource(obj.stack), [this.db.update(stacks).set({ serial: sql`${stacks.serial} + 1` }).where(held)], [
      this.db.run(
        sql`INSERT INTO ${stackObjects} (project_id, stack, address, type, object_id, attributes, dependencies, updated_at)
            SELECT ${obj.projectId}, ${obj.stack}, ${obj.address}, ${obj.type}, ${obj.objectId}, ${obj.attributes}, ${obj.dependencies}, ${obj.updatedAt}
            WHERE EXISTS (SELECT 1 FROM ${stacks} WHERE project_id = ${obj.projectId} AND name = ${obj.stack} AND lock_id = ${lockId})
            ON CONFLICT (project_id, stack, address) DO UPDATE SET type = excluded.type, object_id = excluded.object_id,
              attributes = excluded.attributes, dependencies = excluded.dependencies, updated_at = excluded.updated_at`,
      ),
    ]);
    if (rowsAffected(results?.[0]) !== 1) return undefined;
    return (await this.get(obj.projectId, obj.stack))?.serial;
  }

  async deleteObject(projectId: string, name: string, address: string, lockId: string, audit?: AuditHook): Promise<number | undefined> {
    const held = and(this.where(projectId, name), eq(stacks.lockId, lockId));
    const results = await auditedBatch(this.db, audit, stackResource(name), [this.db.update(stacks).set({ serial: sql`${stacks.serial} + 1` }).where(held)], [
      this.db.run(
        sql`DELETE FROM ${stackObjects} WHERE project_id = ${projectId} AND stack = ${name} AND address = ${address}
            AND EXISTS (SELECT 1 FROM ${stacks} WHERE project_id = ${projectId} AND name = ${name} AND lock_id = ${lockId})`,
      ),
    ]);
    if (rowsAffected(results?.[0]) !== 1) return undefined;
    return (await this.get(projectId, name))?.serial;
  }
}
