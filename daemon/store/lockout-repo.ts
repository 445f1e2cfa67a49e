/**
 * Persistence of the shared AK lockout (schema.ts `akLockouts`), one row per (AK, source): each
 * write is one batch with its change event (kind `ak_lockout`, object id `lockKey(ak, source)`), so
 * every daemon's mirror follows within its sync interval.
 */
import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { akLockouts, changeEvents } from './schema.js';
import { lockKey, splitLockKey } from './lockout-key.js';

export interface LockoutState {
  failures: number;
  /** Epoch ms until which the AK is locked for the source; 0 when it is not. */
  lockedUntil: number;
  /**
   * Grows with every write of this row: the write's time, or one more than the last version when
   * that is later. So a row pruned and written again still counts on from above what mirrors hold.
   */
  version: number;
}

export type LockoutRow = typeof akLockouts.$inferSelect;

function state(r: LockoutRow): LockoutState {
  return { failures: r.failures, lockedUntil: r.lockedUntil, version: r.version };
}

const row = (ak: string, source: string) => and(eq(akLockouts.accessKey, ak), eq(akLockouts.source, source));

export class LockoutRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  private event(ak: string, source: string) {
    return this.db.insert(changeEvents).values({ kind: 'ak_lockout', objectId: lockKey(ak, source), at: this.now() });
  }

  /**
   * Counts one bad signature of `ak` from `source` at `at`: an expired lock, or a count idle for
   * `lockMs`, starts a fresh count; reaching `threshold` (or `lock`: a daemon's own count locked
   * it) locks until `at + lockMs`; a running lock is left as it is. One statement, so daemons
   * counting at once never lose a failure. Returns the state after it, and whether this write
   * started the lock (exactly one write does: the alarm is raised once).
   */
  async recordFailure(ak: string, source: string, at: number, threshold: number, lockMs: number, lock = false): Promise<LockoutState & { lockedNow: boolean }> {
    // In an UPDATE every expression reads the row as it was before the update.
    const running = sql`(${akLockouts.lockedUntil} > ${at})`;
    const fresh = sql`((${akLockouts.lockedUntil} > 0 AND ${akLockouts.lockedUntil} <= ${at}) OR ${akLockouts.lastFailureAt} <= ${at - lockMs})`;
    const next = sql`(CASE WHEN ${fresh} THEN 1 ELSE ${akLockouts.failures} + 1 END)`;
    const locks = sql`(${lock ? 1 : 0} = 1 OR ${next} >= ${threshold})`;
    const first = lock || threshold <= 1;
    const nextVersion = sql`MAX(${akLockouts.version} + 1, ${at})`;
    const results = await this.db.batch([
      this.db.run(sql`INSERT INTO ${akLockouts} (access_key, source, failures, locked_until, locked_version, last_failure_at, version)
                      VALUES (${ak}, ${source}, 1, ${first ? at + lockMs : 0}, ${first ? at : 0}, ${at}, ${at})
                      ON CONFLICT (access_key, source) DO UPDATE SET
                        failures = CASE WHEN ${running} THEN ${akLockouts.failures} + 1 ELSE ${next} END,
                        locked_until = CASE WHEN ${running} THEN ${akLockouts.lockedUntil} WHEN ${locks} THEN ${at + lockMs} ELSE 0 END,
                        locked_version = CASE WHEN ${running} THEN ${akLockouts.lockedVersion} WHEN ${locks} THEN ${nextVersion} ELSE 0 END,
                        last_failure_at = ${at},
                        version = ${nextVersion}`),
      this.event(ak, source),
      this.db.select().from(akLockouts).where(row(ak, source)),
    ]);
    const r = (results[2] as LockoutRow[])[0];
    return { ...state(r), lockedNow: r.lockedUntil > 0 && r.lockedVersion === r.version };
  }

  /** A good signature of `ak` from `source` at `at`: clears its count, unless a lock is running. Returns the state after it. */
  async reset(ak: string, source: string, at: number): Promise<LockoutState | undefined> {
    const results = await this.db.batch([
      this.db.run(sql`UPDATE ${akLockouts} SET failures = 0, locked_until = 0, locked_version = 0, version = MAX(version + 1, ${at})
                      WHERE access_key = ${ak} AND source = ${source} AND locked_until <= ${at} AND (failures > 0 OR locked_until > 0)`),
      this.event(ak, source),
      this.db.select().from(akLockouts).where(row(ak, source)),
    ]);
    const r = (results[2] as LockoutRow[])[0];
    return r ? state(r) : undefined;
  }

  /** The states of the given `lockKey`s (those without a row are absent). */
  async load(keys: readonly string[]): Promise<Map<string, LockoutState>> {
    if (keys.length === 0) return new Map();
    const wanted = new Set(keys);
    const aks = [...new Set(keys.map((k) => splitLockKey(k).ak))];
    const rows = await this.db.select().from(akLockouts).where(inArray(akLockouts.accessKey, aks));
    const out = new Map<string, LockoutState>();
    for (const r of rows) {
      const key = lockKey(r.accessKey, r.source);
      if (wanted.has(key)) out.set(key, state(r));
    }
    return out;
  }

  /** The (AK, source) pairs with failures or a lock, by `lockKey` (a daemon's mirror at start). */
  async loadActive(): Promise<Map<string, LockoutState>> {
    const rows = await this.db.select().from(akLockouts).where(sql`${akLockouts.failures} > 0 OR ${akLockouts.lockedUntil} > 0`);
    return new Map(rows.map((r) => [lockKey(r.accessKey, r.source), state(r)]));
  }

  /** Deletes the rows that no longer count at `at` (no running lock, last failure `lockMs` ago): strangers' tries do not pile up. */
  async prune(at: number, lockMs: number): Promise<void> {
    await this.db.delete(akLockouts).where(and(lte(akLockouts.lockedUntil, at), lte(akLockouts.lastFailureAt, at - lockMs)));
  }
}
