/**
 * Persistence of the console's sign-in links and of revoked bearer tokens (schema.ts
 * `consoleSignIns`, `revokedTokens`). A link is consumed by one conditional UPDATE, so of two
 * exchanges racing on any daemons exactly one wins; a revocation is one batch with its change event
 * (kind `revoked_token`), so every daemon's mirror follows within its sync interval.
 */
import { and, eq, gt, inArray, isNull, lte } from 'drizzle-orm';
import type { Db } from './db.js';
import { changeEvents, consoleSignIns, revokedTokens } from './schema.js';

export type SignInRow = typeof consoleSignIns.$inferSelect;

export const REVOKED_TOKEN_KIND = 'revoked_token';

export class ConsoleRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  async addSignIn(row: Omit<SignInRow, 'usedAt'>): Promise<void> {
    await this.db.insert(consoleSignIns).values({ ...row, usedAt: null });
  }

  /** Marks the link used and returns it, when it exists, is unused and has not expired at `at`; undefined otherwise. */
  async consumeSignIn(tokenHash: string, at: number): Promise<SignInRow | undefined> {
    const rows = await this.db
      .update(consoleSignIns)
      .set({ usedAt: at })
      .where(and(eq(consoleSignIns.tokenHash, tokenHash), isNull(consoleSignIns.usedAt), gt(consoleSignIns.expiresAt, at)))
      .returning();
    return rows[0];
  }

  /** Deletes links that expired before `before`. */
  async pruneSignIns(before: number): Promise<void> {
    await this.db.delete(consoleSignIns).where(lte(consoleSignIns.expiresAt, before));
  }

  /** Records the revocation of a token (by hash) valid until `expiresAt`, with its change event. */
  async revoke(tokenHash: string, expiresAt: number): Promise<void> {
    const at = this.now();
    await this.db.batch([
      this.db.insert(revokedTokens).values({ tokenHash, expiresAt, revokedAt: at }).onConflictDoNothing(),
      this.db.insert(changeEvents).values({ kind: REVOKED_TOKEN_KIND, objectId: tokenHash, at }),
    ]);
  }

  /** The revocations of tokens not yet expired at `at` (hash → expiry), or only those named. */
  async loadRevoked(at: number, hashes?: readonly string[]): Promise<Map<string, number>> {
    const where = hashes ? and(gt(revokedTokens.expiresAt, at), inArray(revokedTokens.tokenHash, [...hashes])) : gt(revokedTokens.expiresAt, at);
    const rows = await this.db.select().from(revokedTokens).where(where);
    return new Map(rows.map((r) => [r.tokenHash, r.expiresAt]));
  }

  /** Deletes revocations of tokens expired before `before` (they are refused as expired anyway). */
  async pruneRevoked(before: number): Promise<void> {
    await this.db.delete(revokedTokens).where(lte(revokedTokens.expiresAt, before));
  }
}
