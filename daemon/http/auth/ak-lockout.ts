/**
 * Locks an access key after consecutive bad signatures (reference §7, last paragraph: five failures
 * lock the AK for five minutes). Each daemon counts its own failures in memory, exactly as one
 * daemon alone would, and answers without waiting for anything. With a `shared` store (the
 * database) every daemon also adds its failures to a count shared by all (reset by a good
 * signature on any daemon), which locks the AK when it reaches the threshold; a daemon whose own
 * count locks the AK writes that lock too. Each daemon mirrors the shared locks through the change
 * feed (`merge`), so a lock taken anywhere holds everywhere within the sync interval, and a
 * guesser spreading tries over N daemons still gets five in all. Requests never read the database.
 */

export const LOCK_THRESHOLD = 5;
export const LOCK_MS = 5 * 60_000;
/** Bounds the tables against floods of bad signatures for many AKs (only known AKs are counted). */
const MAX_TRACKED = 100_000;

interface Entry {
  failures: number;
  lockedUntil: number;
}

/** The shared state of one AK (store/lockout-repo.ts `LockoutState`). */
export interface SharedState {
  failures: number;
  lockedUntil: number;
  /** Counts the writes of the AK's shared row: an older state never replaces a newer one. */
  version: number;
}

/** Where the counts are shared between daemons (store/lockout-repo.ts). */
export interface SharedLockoutStore {
  /** Adds a failure at `at`; locks until `at + lockMs` when the count reaches `threshold`, or at once when `lock`. */
  recordFailure(ak: string, at: number, threshold: number, lockMs: number, lock: boolean): Promise<SharedState>;
  /** A good signature at `at`: the shared count starts again (a running lock stays). */
  reset(ak: string, at: number): Promise<SharedState | undefined>;
}

export class AkLockout {
  /** This daemon's own count since its last good signature of each AK. */
  private readonly entries = new Map<string, Entry>();
  /** The shared state of AKs with shared failures or a lock, newest version seen. */
  private readonly remote = new Map<string, SharedState>();
  /** Per AK, the shared writes in the order their requests were answered. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly now: () => number,
    private readonly threshold = LOCK_THRESHOLD,
    private readonly lockMs = LOCK_MS,
    private readonly shared?: { store: SharedLockoutStore; onError: (err: Error) => void },
  ) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new TypeError('threshold must be a positive integer');
    if (!(lockMs > 0)) throw new TypeError('lockMs must be positive');
  }

  /** True while `ak` is locked, here or by the shared count; an expired lock is forgotten, with its count. Cheap when nothing failed. */
  isLocked(ak: string): boolean {
    if (this.entries.size === 0 && this.remote.size === 0) return false;
    const e = this.entries.get(ak);
    const r = this.remote.get(ak);
    if (!e?.lockedUntil && !r?.lockedUntil) return false;
    const now = this.now();
    if ((e !== undefined && now < e.lockedUntil) || (r !== undefined && now < r.lockedUntil)) return true;
    if (e?.lockedUntil) this.entries.delete(ak);
    if (r?.lockedUntil) this.remote.delete(ak);
    return false;
  }

  /** Counts a bad signature; returns true when this daemon's own count locked the key. */
  fail(ak: string): boolean {
    let e = this.entries.get(ak);
    if (!e) {
      if (this.entries.size >= MAX_TRACKED) this.entries.clear();
      this.entries.set(ak, (e = { failures: 0, lockedUntil: 0 }));
    }
    e.failures++;
    const at = this.now();
    const locked = e.failures >= this.threshold && e.lockedUntil === 0;
    if (locked) e.lockedUntil = at + this.lockMs;
    if (this.shared) {
      const { store } = this.shared;
      this.write(ak, () => store.recordFailure(ak, at, this.threshold, this.lockMs, locked).then((s) => this.merge(ak, s)));
    }
    return locked;
  }

  /** A correct signature resets the count: here at once, in the shared store after the failures before it. */
  succeed(ak: string): void {
    if (this.entries.size === 0 && this.remote.size === 0) return;
    const hadOwn = this.entries.delete(ak);
    const hadShared = (this.remote.get(ak)?.failures ?? 0) > 0;
    if (this.shared && (hadOwn || hadShared)) {
      const { store } = this.shared;
      const at = this.now();
      this.write(ak, () => store.reset(ak, at).then((s) => this.merge(ak, s)));
    }
  }

  /** Takes a shared state of `ak` (a write of this daemon answered, or the change feed), unless an equal or newer one is known. */
  merge(ak: string, s: SharedState | undefined): void {
    if (!s) return;
    const known = this.remote.get(ak);
    if (known && s.version <= known.version) return;
    if (s.failures === 0 && s.lockedUntil <= this.now()) {
      this.remote.delete(ak);
      return;
    }
    if (!known && this.remote.size >= MAX_TRACKED) this.remote.clear();
    this.remote.set(ak, { failures: s.failures, lockedUntil: s.lockedUntil, version: s.version });
  }

  /** Resolves when every shared write queued so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  private write(ak: string, op: () => Promise<void>): void {
    const run = (this.writes.get(ak) ?? Promise.resolve()).then(op).catch((err: Error) => this.shared?.onError(err));
    this.writes.set(ak, run);
    void run.then(() => {
      if (this.writes.get(ak) === run) this.writes.delete(ak);
    });
  }
}
