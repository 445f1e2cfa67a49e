/**
 * Locks an access key after consecutive bad signatures (reference §7, last paragraph: five failures
 * lock the AK for five minutes). Per daemon, in memory: with N daemons behind a balancer a guesser
 * gets at most 5·N tries per five minutes, and sharing the count would cost a database write per
 * failure and a read per request.
 */

export const LOCK_THRESHOLD = 5;
export const LOCK_MS = 5 * 60_000;
/** Bounds the table against floods of bad signatures for many AKs (only known AKs are counted). */
const MAX_TRACKED = 100_000;

interface Entry {
  failures: number;
  lockedUntil: number;
}

export class AkLockout {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly threshold = LOCK_THRESHOLD,
    private readonly lockMs = LOCK_MS,
  ) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new TypeError('threshold must be a positive integer');
    if (!(lockMs > 0)) throw new TypeError('lockMs must be positive');
  }

  /** True while `ak` is locked; an expired lock is forgotten, with its count. Cheap when nothing failed. */
  isLocked(ak: string): boolean {
    if (this.entries.size === 0) return false;
    const e = this.entries.get(ak);
    if (!e || e.lockedUntil === 0) return false;
    if (this.now() < e.lockedUntil) return true;
    this.entries.delete(ak);
    return false;
  }

  /** Counts a bad signature; returns true when this one locked the key. */
  fail(ak: string): boolean {
    let e = this.entries.get(ak);
    if (!e) {
      if (this.entries.size >= MAX_TRACKED) this.entries.clear();
      this.entries.set(ak, (e = { failures: 0, lockedUntil: 0 }));
    }
    e.failures++;
    if (e.failures >= this.threshold && e.lockedUntil === 0) {
      e.lockedUntil = this.now() + this.lockMs;
      return true;
    }
    return false;
  }

  /** A correct signature resets the count. */
  succeed(ak: string): void {
    if (this.entries.size !== 0) this.entries.delete(ak);
  }
}
