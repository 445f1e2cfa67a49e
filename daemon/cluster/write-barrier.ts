/**
 * Read-your-writes across the workers of one cluster. A worker that served a write asks the
 * primary for a barrier before it answers: the primary tells every other worker to apply the
 * change log at once and says when all have. So an answered write is seen by the next request,
 * whichever worker takes it (a plan read right after an apply, a key disabled and then used),
 * not only within --sync-interval as across separate daemons.
 *
 * Barriers coalesce: one in flight covers every write committed before it was asked for; a write
 * committed while one is in flight waits for the next, which then covers every such write. A
 * primary that does not answer (gone, or a worker stuck) never blocks a write for longer than
 * `timeoutMs`: the changes still reach every worker within the sync interval.
 */
import type { ChangedMessage } from './messages.js';

export interface WriteBarrierDeps {
  send(m: ChangedMessage): void;
  /** How long a write waits for the primary at most (ms). */
  timeoutMs: number;
}

export class WriteBarrier {
  private nextId = 1;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private readonly waiting = new Map<number, () => void>();

  constructor(private readonly d: WriteBarrierDeps) {}

  /** Resolves once every other worker has applied the changes this worker committed before the call. Never rejects. */
  wait(): Promise<void> {
    if (!this.inFlight) return this.start();
    // The one in flight may have been asked for before this write committed: the next one covers it.
    return (this.queued ??= this.inFlight.then(() => {
      this.queued = undefined;
      return this.start();
    }));
  }

  /** The primary's `dew:barrier` answer. */
  answered(id: number): void {
    this.waiting.get(id)?.();
  }

  private start(): Promise<void> {
    const id = this.nextId++;
    const done = new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(finish, this.d.timeoutMs);
      timer.unref();
      this.waiting.set(id, finish);
      try {
        this.d.send({ type: 'dew:changed', id });
      } catch {
        finish(); // no channel to the primary: nothing to wait for
      }
    });
    const current = done.then(() => {
      if (this.inFlight === current) this.inFlight = undefined;
    });
    this.inFlight = current;
    return current;
  }
}
