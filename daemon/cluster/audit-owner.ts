/**
 * The one audit writer of a cluster, in the primary: it owns the daemon's chain (an `AuditLog` on
 * its own database connection and writer thread) and every worker's records go on it.
 * - Records of calls that changed nothing arrive in batches (`dew:audit`) and are queued and
 *   appended as segments, as one process does with its own.
 * - A state change's record must commit in the change's own batch, in the worker. The worker asks
 *   for a position (`dew:audit-place`); the primary answers the chained one-record segment
 *   (`dew:audit-segment`) and appends nothing else until the worker says what became of its batch
 *   (`dew:audit-written`). A worker that dies or stays silent for `writtenTimeoutMs` leaves the
 *   answer to the stored chain head (audit.ts `place`); a commit later than that is adopted before
 *   the next append.
 * - `dew:audit-flush` appends what is queued and answers (an audit listing follows it).
 */
import { auditEntry, type AuditPlaceMessage, type PrimaryAuditMessage, type WorkerAuditMessage } from './messages.js';
import type { AuditLog } from '../services/audit.js';
import type { ChainedSegment } from '../audit/chain.js';

export interface AuditOwnerDeps {
  log: AuditLog;
  /** Sends to a worker; false when it is gone. */
  send(workerId: number, m: PrimaryAuditMessage): boolean;
  /** How long a worker may take to say what became of a placed record's batch (ms). */
  writtenTimeoutMs: number;
  warn(line: string): void;
}

type Written = 'committed' | 'refused' | 'unknown';

/** A placed record's batch rolled back by its guard: the change did not happen, nor did the record. */
class PlacementRefused extends Error {}

export class AuditOwner {
  /** Placements waiting for their batch's outcome, by worker, then by the worker's id. */
  private readonly waiting = new Map<number, Map<number, (w: Written) => void>>();

  constructor(private readonly d: AuditOwnerDeps) {}

  /** Handles one audit message of worker `workerId`. */
  received(workerId: number, m: WorkerAuditMessage): void {
    switch (m.type) {
      case 'dew:audit':
        for (const r of m.records) this.d.log.record(auditEntry(r));
        return;
      case 'dew:audit-place':
        this.place(workerId, m);
        return;
      case 'dew:audit-written':
        this.waiting.get(workerId)?.get(m.id)?.(m.outcome);
        return;
      case 'dew:audit-flush':
        this.d.log.flush().then(
          () => this.d.send(workerId, { type: 'dew:audit-flushed', id: m.id }),
          (err: Error) => this.d.send(workerId, { type: 'dew:audit-flushed', id: m.id, error: err.message }),
        );
        return;
    }
  }

  /** A worker exited: its placements still waiting are settled by the stored head. */
  gone(workerId: number): void {
    const mine = this.waiting.get(workerId);
    this.waiting.delete(workerId);
    for (const settle of mine?.values() ?? []) settle('unknown');
  }

  /** Appends what is queued (every worker has exited) and stops the writer. */
  close(): Promise<void> {
    return this.d.log.close();
  }

  private place(workerId: number, m: AuditPlaceMessage): void {
    const id = m.id;
    const write = (segment: ChainedSegment, startedAt: number) =>
      new Promise<void>((resolve, reject) => {
        let mine = this.waiting.get(workerId);
        if (!mine) this.waiting.set(workerId, (mine = new Map()));
        const timer = setTimeout(() => settle('unknown'), this.d.writtenTimeoutMs);
        timer.unref();
        const settle = (w: Written) => {
          clearTimeout(timer);
          this.waiting.get(workerId)?.delete(id);
          if (w === 'committed') resolve();
          else reject(w === 'refused' ? new PlacementRefused() : new Error('the worker did not say whether the change committed'));
        };
        mine.set(id, settle);
        if (!this.d.send(workerId, { type: 'dew:audit-segment', id, segment, startedAt })) settle('unknown');
      });
    this.d.log.place(auditEntry(m.record), { write, refused: (err) => err instanceof PlacementRefused }).catch((err: Error) => {
      if (!(err instanceof PlacementRefused)) this.d.warn(JSON.stringify({ level: 'warn', msg: 'an audited change did not say whether it committed; the stored chain head decides', worker: workerId, error: err.message }));
    });
  }
}
