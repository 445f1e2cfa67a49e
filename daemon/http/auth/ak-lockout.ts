/**
 * Locks an access key for one source address after consecutive bad signatures from it (reference
 * §7, last paragraph: five failures lock the AK for five minutes). Counted per (AK, source), so a
 * stranger who knows an AK locks out only their own address; the AK's owner elsewhere keeps
 * working, and every lock raises the alarm (`onLock`: audit record and log line). Unknown AKs are
 * counted the same way, so a lock says nothing about whether an AK exists.
 *
 * Each daemon counts its own failures in memory, exactly as one daemon alone would, and answers
 * without waiting for anything. With a `shared` store (the database) every daemon also adds its
 * failures to a count shared by all (reset by a good signature from that source on any daemon),
 * which locks when it reaches the threshold; a daemon whose own count locks writes that lock too.
 * Each daemon mirrors the shared locks through the change feed (`merge`), so a lock taken anywhere
 * holds everywhere within the sync interval, and a guesser spreading tries over N daemons still
 * gets five in all. A count idle for the lock time starts again. Requests never read the database.
 */

import { lockKey } from '../../store/lockout-key.js';

export const LOCK_THRESHOLD = 5;
export const LOCK_MS = 5 * 60_000;
/** Bounds the tables against floods of bad signatures for many AKs and sources. */
const MAX_TRACKED = 100_000;

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailureAt: number;
}

/** The shared state of one (AK, source) (store/lockout-repo.ts `LockoutState`). */
export interface SharedState {
  failures: number;
  lockedUntil: number;
  /** Counts the writes of the shared row: an older state never replaces a newer one. */
  version: number;
}

/** What `recordFailure` answers: the state after the write, and whether that write started the lock. */
export interface SharedFailure extends SharedState {
  lockedNow: boolean;
}

/** Where the counts are shared between daemons (store/lockout-repo.ts). */
export interface SharedLockoutStore {
  /** Adds a failure at `at`; locks until `at + lockMs` when the count reaches `threshold`, or at once when `lock`. */
  recordFailure(ak: string, source: string, at: number, threshold: number, lockMs: number, lock: boolean): Promise<SharedFailure>;
  /** A good signature at `at`: the shared count starts again (a running lock stays). */
  reset(ak: string, source: string, at: number): Promise<SharedState | undefined>;
}

/** The alarm of one lock: no secret, no signature, only who was locked where and until when. */
export interface LockEvent {
  accessKey: string;
  source: string;
  failures: number;
  at: number;
  lockedUntil: number;
}

export interface AkLockoutOptions {
  threshold?: number;
  lockMs?: number;
  shared?: { store: SharedLockoutStore; onError: (err: Error) => void };
  /** Called once per lock, by the daemon whose failure started it. */
  onLock?: (e: LockEvent) => void;
}

export class AkLockout {
  /** This daemon's own count since its last good signature of each (AK, source). */
  private readonly entries = new Map<string, Entry>();
  /** The shared state of (AK, source) pairs with shared failures or a lock, newest version seen. */
  private readonly remote = new Map<string, SharedState>();
  /** Per (AK, source), the shared writes in the order their requests were answered. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly threshold: number;
  private readonly lockMs: number;

  constructor(
    private readonly now: () => number,
    private readonly opts: AkLockoutOptions = {},
  ) {
    this.threshold = opts.threshold ?? LOCK_THRESHOLD;
    this.lockMs = opts.lockMs ?? LOCK_MS;
    if (!Number.isInteger(this.threshold) || this.threshold < 1) throw new TypeError('threshold must be a positive integer');
    if (!(this.lockMs > 0)) throw new TypeError('lockMs must be positive');
  }

  /** True while `ak` is locked for `source`, here or by the shared count; an expired lock is forgotten, with its count. Cheap when nothing failed. */
  isLocked(ak: string, source: string): boolean {
    if (this.entries.size === 0 && this.remote.size === 0) return false;
    const key = lockKey(ak, source);
    const e = this.entries.get(key);
    const r = this.remote.get(key);
    if (!e?.lockedUntil && !r?.lockedUntil) return false;
    const now = this.now();
    if ((e !== undefined && now < e.lockedUntil) || (r !== undefined && now < r.lockedUntil)) return true;
    if (e?.lockedUntil) this.entries.delete(key);
    if (r?.lockedUntil) this.remote.delete(key);
    return false;
  }

  /** Counts a bad signature of `ak` from `source`; returns true when this daemon's own count locked it. */
  fail(ak: string, source: string): boolean {
    const key = lockKey(ak, source);
    const at = this.now();
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= MAX_TRACKED) this.entries.clear();
      this.entries.set(key, (e = { failures: 0, lockedUntil: 0, lastFailureAt: at }));
    }
    if (e.lockedUntil === 0 && at - e.lastFailureAt >= this.lockMs) e.failures = 0;
    e.failures++;
    e.lastFailureAt = at;
    const locked = e.failures >= this.threshold && e.lockedUntil === 0;
    if (locked) {
      e.lockedUntil = at + this.lockMs;
      this.alarm({ accessKey: ak, source, failures: e.failures, at, lockedUntil: e.lockedUntil });
    }
    const shared = this.opts.shared;
    if (shared) {
      this.write(key, () =>
        shared.store.recordFailure(ak, source, at, this.threshold, this.lockMs, locked).then((s) => {
          // The shared count reached the threshold with this daemon's failure (its own count did not).
          if (s.lockedNow && !locked) this.alarm({ accessKey: ak, source, failures: s.failures, at, lockedUntil: s.lockedUntil });
          this.merge(key, s);
        }),
      );
    }
    return locked;
  }

  /** A correct signature from `source` resets its count: here at once, in the shared store after the failures before it. */
  succeed(ak: string, source: string): void {
    if (this.entries.size === 0 && this.remote.size === 0) return;
    const key = lockKey(ak, source);
    const hadOwn = this.entries.delete(key);
    const hadShared = (this.remote.get(key)?.failures ?? 0) > 0;
    const shared = this.opts.shared;
    if (shared && (hadOwn || hadShared)) {
      const at = this.now();
      this.write(key, () => shared.store.reset(ak, source, at).then((s) => this.merge(key, s)));
    }
  }

  /** Takes a shared state of a `lockKey` (a write of this daemon answered, or the change feed), unless an equal or newer one is known; `undefined`: no row. */
  merge(key: string, s: SharedState | undefined): void {
    // No row: nothing shared counts (never written, or pruned once idle).
    if (!s) {
      this.remote.delete(key);
      return;
    }
    const known = this.remote.get(key);
    if (known && s.version <= known.version) return;
    if (s.failures === 0 && s.lockedUntil <= this.now()) {
      this.remote.delete(key);
      return;
    }
    if (!known && this.remote.size >= MAX_TRACKED) this.remote.clear();
    this.remote.set(key, { failures: s.failures, lockedUntil: s.lockedUntil, version: s.version });
  }

  /** Resolves when every shared write queued so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  private alarm(e: LockEvent): void {
    try {
      this.opts.onLock?.(e);
    } catch {
      // The alarm never fails the request that raised it.
    }
  }

  private write(key: string, op: () => Promise<void>): void {
    const run = (this.writes.get(key) ?? Promise.resolve()).then(op).catch((err: Error) => this.opts.shared?.onError(err));
    this.writes.set(key, run);
    void run.then(() => {
      if (this.writes.get(key) === run) this.writes.delete(key);
    });
  }
}
