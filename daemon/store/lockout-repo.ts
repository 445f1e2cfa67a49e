/**
 * Persistence of the shared AK lockout (schema.ts `akLockouts`): each write is one batch with its
 * change event (kind `ak_lockout`), so every daemon's mirror follows within its sync interval.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { akLockouts, changeEvents } from './schema.js';

export interface LockoutState {
  failures: number;
  /** Epoch ms until which the AK is locked; 0 when it is not. */
  lockedUntil: number;
  /** Counts the writes of this AK's row. */
  version: number;
}

export type LockoutRow = typeof akLockouts.$inferSelect;

function state(r: LockoutRow): LockoutState {
  return { failures: r.failures, lockedUntil: r.lockedUntil, version: r.version };
}

export class LockoutRepo {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  private event(ak: string) {
    return this.db.insert(changeEvents).values({ kind: 'ak_lockout', objectId: ak, at: this.now() });
  }

  /**
   * Counts one bad signature of `ak` at `at`: an expired lock starts a fresh count; reaching
   * `threshold` (or `lock`: a daemon's own count locked it) locks the AK until `at + lockMs`; a
   * running lock is left as it is. One statement, so daemons counting at once never lose a
   * failure. Returns the state after it.
   */
  async recordFailure(ak: string, at: number, threshold: number, lockMs: number, lock = false): Promise<LockoutState> {
    // In an UPDATE every expression reads the row as it was before the update.
    const expired = sql`(${akLockouts.lockedUntil} > 0 AND ${akLockouts.lockedUntil} <= ${at})`;
    const next = sql`(CASE WHEN ${expired} THEN 1 ELSE ${akLockouts.failures} + 1 END)`;
    const results = await this.db.batch([
      this.db.run(sql`INSERT INTO ${akLockouts} (access_key, failures, locked_until, version)
                      VALUES (${ak}, 1, CASE WHEN ${lock ? 1 : 0} = 1 OR 1 >= ${threshold} THEN ${at + lockMs} ELSE 0 END, 1)
                      ON CONFLICT (access_key) DO UPDATE SET
                        failures = ${next},
                        locked_until = CASE WHEN ${akLockouts.lockedUntil} > ${at} THEN ${akLockouts.lockedUntil}
                                            WHEN ${lock ? 1 : 0} = 1 OR ${next} >= ${threshold} THEN ${at + lockMs} ELSE 0 END,
                        version = ${akLockouts.version} + 1`),
      this.event(ak),
      this.db.select().from(akLockouts).where(eq(akLockouts.accessKey, ak)),
    ]);
    return state((results[2] as LockoutRow[])[0]);
  }

  /** A good signature of `ak` at `at`: clears its count, unless a lock is running. Returns the state after it. */
  async reset(ak: string, at: number): Promise<LockoutState | undefined> {
    const results = await this.db.batch([
      this.db.run(sql`UPDATE ${akLockouts} SET failures = 0, locked_until = 0, version = version + 1
                      WHERE access_key = ${ak} AND locked_until <= ${at} AND (failures > 0 OR locked_until > 0)`),
      this.event(ak),
      this.db.select().from(akLockouts).where(eq(akLockouts.accessKey, ak)),
    ]);
    const row = (results[2] as LockoutRow[])[0];
    return row ? state(row) : undefined;
  }

  async load(aks: readonly string[]): Promise<Map<string, LockoutState>> {
    if (aks.length === 0) return new Map();
    const rows = await this.db.select().from(akLockouts).where(inArray(akLockouts.accessKey, [...aks]));
    return new Map(rows.map((r) => [r.accessKey, state(r)]));
  }

  /** The AKs with failures or a lock (a daemon's mirror at start). */
  async loadActive(): Promise<Map<string, LockoutState>> {
    const rows = await this.db.select().from(akLockouts).where(sql`${akLockouts.failures} > 0 OR ${akLockouts.lockedUntil} > 0`);
    return new Map(rows.map((r) => [r.accessKey, state(r)]));
  }
}
