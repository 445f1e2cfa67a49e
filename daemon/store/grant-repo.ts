/** Persistence of KMS grants (reference 1d); every write is one batch with its change event. */
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditedBatch, rowsAffected, type AuditHook } from './audit-repo.js';
import { grants, changeEvents } from './schema.js';

export type GrantRow = typeof grants.$inferSelect;

export class GrantRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  async loadAll(): Promise<GrantRow[]> {
    return this.db.select().from(grants);
  }

  async loadMany(ids: string[]): Promise<GrantRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(grants).where(inArray(grants.grantId, ids));
  }

  /**
   * Inserts a grant unless its key already has `quota` grants (checked inside the statement, so
   * two daemons racing cannot pass the quota together). Returns false when over quota.
   */
  async insert(row: GrantRow, quota: number, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, row.keyId, [
      this.db.run(sql`INSERT INTO ${grants} (grant_id, key_id, domain_id, project_id, grantee_principal, grantee_principal_type, operations, issuing_principal, retiring_principal, name, creation_date)
        SELECT ${row.grantId}, ${row.keyId}, ${row.domainId}, ${row.projectId}, ${row.granteePrincipal}, ${row.granteePrincipalType}, ${row.operations}, ${row.issuingPrincipal}, ${row.retiringPrincipal}, ${row.name}, ${row.creationDate}
        WHERE (SELECT count(*) FROM ${grants} WHERE key_id = ${row.keyId}) < ${quota}`),
    ], [
      this.db.run(sql`INSERT INTO ${changeEvents} (kind, object_id, at) SELECT 'grant', ${row.grantId}, ${this.now()} WHERE EXISTS (SELECT 1 FROM ${grants} WHERE grant_id = ${row.grantId})`),
    ]);
    return rowsAffected(results?.[0]) === 1;
  }

  /** Deletes a grant of key `keyId` (revoke or retire); false when it was already gone. */
  async delete(grantId: string, keyId: string, audit?: AuditHook): Promise<boolean> {
    const results = await auditedBatch(this.db, audit, keyId, [this.db.delete(grants).where(eq(grants.grantId, grantId))], [
      this.db.insert(changeEvents).values({ kind: 'grant', objectId: grantId, at: this.now() }),
    ]);
    return rowsAffected(results?.[0]) > 0;
  }
}
