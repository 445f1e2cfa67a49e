/**
 * The primary's half of the write barrier (daemon/cluster/write-barrier.ts): a worker says it
 * committed changes; the primary asks every other serving worker to apply the change log and
 * answers the writer once each has said so, or once `timeoutMs` passed (a stuck worker catches up
 * within the sync interval), or at once when it is the only one. A worker that exits leaves the
 * rounds it was part of. Workers are named by node:cluster's worker id.
 */
export interface BarrierRoundsDeps {
  /** Asks `worker` to apply the change log (`dew:sync`). */
  sendSync(worker: number, id: number): void;
  /** Tells the writer its barrier holds (`dew:barrier`, with the writer's own number). */
  sendDone(worker: number, originId: number): void;
  timeoutMs: number;
}

interface Round {
  origin: number;
  originId: number;
  left: Set<number>;
  timer: NodeJS.Timeout;
}

export class BarrierRounds {
  private nextId = 1;
  private readonly rounds = new Map<number, Round>();

  constructor(private readonly d: BarrierRoundsDeps) {}

  /** `origin` committed changes (its barrier `originId`); `others` are the workers serving beside it. */
  changed(origin: number, originId: number, others: readonly number[]): void {
    const left = new Set(others.filter((w) => w !== origin));
    if (left.size === 0) {
      this.d.sendDone(origin, originId);
      return;
    }
    const id = this.nextId++;
    const timer = setTimeout(() => this.finish(id), this.d.timeoutMs);
    timer.unref();
    this.rounds.set(id, { origin, originId, left, timer });
    for (const w of left) {
      try {
        this.d.sendSync(w, id);
      } catch {
        this.synced(w, id); // its channel is closing: it will not answer
      }
    }
  }

  /** `worker` applied the change log for round `id`. */
  synced(worker: number, id: number): void {
    const r = this.rounds.get(id);
    if (!r) return;
    r.left.delete(worker);
    if (r.left.size === 0) this.finish(id);
  }

  /** `worker` exited: no round waits for it, and nobody is left to answer for the rounds it asked for. */
  gone(worker: number): void {
    for (const [id, r] of [...this.rounds]) {
      if (r.origin === worker) {
        clearTimeout(r.timer);
        this.rounds.delete(id);
      } else this.synced(worker, id);
    }
  }

  /** Rounds still waiting (tests). */
  get pending(): number {
    return this.rounds.size;
  }

  private finish(id: number): void {
    const r = this.rounds.get(id);
    if (!r) return;
    clearTimeout(r.timer);
    this.rounds.delete(id);
    try {
      this.d.sendDone(r.origin, r.originId);
    } catch {
      // the writer is going: its request goes with it
    }
  }
}
