/**
 * A cluster worker's audit trail: the primary owns the daemon's one chain (cluster/audit-owner.ts)
 * and this worker hands it every record.
 * - Records of calls that changed nothing are sent in batches every `sendMs` (or at `maxBatch`).
 * - A state change asks the primary for its record's chain position, writes the one-record segment
 *   it gets inside the change's own batch (so both commit or neither does, as in one process), and
 *   says what became of the batch.
 * - When the primary is gone (killed: this worker drains and exits) what is left goes on a chain of
 *   this worker's own (`local`), so no record is lost; `dew audit verify` checks every chain.
 */
import { auditEntry, auditTuple, type AuditTuple, type PrimaryAuditMessage, type WorkerAuditMessage } from './messages.js';
import { DraftHooks, markCommitted, type AuditEntry, type AuditSink, type AuditStatements } from '../services/audit.js';
import { isAuditGuardFailure, type AuditRepo } from '../store/audit-repo.js';
import type { AuditLog } from '../services/audit.js';
import type { ChainedSegment } from '../audit/chain.js';

/** The worker's end of the IPC channel, as the audit trail uses it. */
export interface AuditChannel {
  /** Sends to the primary; false when the channel is closed. `sent` runs once the message is handed over (`delivered` false: it closed meanwhile). */
  send(m: WorkerAuditMessage, sent?: (delivered: boolean) => void): boolean;
  connected(): boolean;
  /** Where the primary's audit answers go, and the channel's end. */
  serve(handler: { received(m: PrimaryAuditMessage): void; disconnected(): void }): void;
}

export interface ClusterAuditOptions {
  now: () => number;
  /** A chain of this worker's own, made when the primary is gone. */
  local: () => AuditLog;
  sendMs?: number;
  maxBatch?: number;
}

/** How often queued records cross to the primary (ms), and at most how many a message. */
const SEND_MS = 10;
const MAX_BATCH = 500;

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: Error): void;
}

/** The primary went away before it answered: the caller goes on with the worker's own chain. */
class PrimaryGone extends Error {}

export class ClusterAuditLog extends DraftHooks implements AuditSink {
  private buffer: AuditTuple[] = [];
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly placing = new Map<number, Waiter<{ segment: ChainedSegment; startedAt: number }>>();
  private readonly flushing = new Map<number, Waiter<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private own: AuditLog | undefined;
  private readonly sendMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly channel: AuditChannel,
    private readonly repo: AuditRepo,
    private readonly opts: ClusterAuditOptions,
  ) {
    super();
    this.sendMs = opts.sendMs ?? SEND_MS;
    this.maxBatch = opts.maxBatch ?? MAX_BATCH;
    channel.serve({ received: (m) => this.received(m), disconnected: () => this.disconnected() });
  }

  start(): void {
    this.timer ??= setInterval(() => this.send(), this.sendMs);
    this.timer.unref();
  }

  record(entry: AuditEntry): void {
    if (!this.channel.connected()) return this.local().record(entry);
    this.buffer.push(auditTuple(entry));
    if (this.buffer.length >= this.maxBatch) this.send();
  }

  protected now(): number {
    return this.opts.now();
  }

  /** Sends what is queued and has the primary append it (and everything queued there). */
  async flush(): Promise<void> {
    this.send();
    const id = this.next++;
    try {
      await this.ask(this.flushing, id, { type: 'dew:audit-flush', id });
    } catch (err) {
      if (!(err instanceof PrimaryGone)) throw err;
    }
    await this.own?.flush();
  }

  /** Sends what is queued, waits for the state changes in progress, and closes the worker's own chain if it has one. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await new Promise<void>((r) => this.send(r));
    await Promise.allSettled([...this.inFlight]);
    await this.own?.close();
  }

  protected commit<T>(entry: AuditEntry, exec: (stmts: AuditStatements) => Promise<T>): Promise<T> {
    const run = this.commitOnce(entry, exec);
    this.inFlight.add(run);
    const forget = () => this.inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  private async commitOnce<T>(entry: AuditEntry, exec: (stmts: AuditStatements) => Promise<T>): Promise<T> {
    // The records queued before this change take the chain positions before it, as they happened before it.
    this.send();
    const id = this.next++;
    let placed: { segment: ChainedSegment; startedAt: number };
    try {
      placed = await this.ask(this.placing, id, { type: 'dew:audit-place', id, record: auditTuple(entry) });
    } catch (err) {
      if (!(err instanceof PrimaryGone)) throw err;
      return this.local().commit(entry, exec);
    }
    try {
      const result = await exec(this.repo.guardedRecord(placed.segment, placed.startedAt));
      this.channel.send({ type: 'dew:audit-written', id, outcome: 'committed' });
      return result;
    } catch (err) {
      const refused = isAuditGuardFailure(err);
      this.channel.send({ type: 'dew:audit-written', id, outcome: refused ? 'refused' : 'unknown' });
      // A lost connection may hide a commit: the stored segment says whether the record is there.
      if (!refused && (await this.repo.hasSegment(placed.segment).catch(() => false))) markCommitted(err);
      throw err;
    }
  }

  private ask<T>(waiters: Map<number, Waiter<T>>, id: number, m: WorkerAuditMessage): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      waiters.set(id, { resolve, reject });
      if (!this.channel.send(m)) {
        waiters.delete(id);
        reject(new PrimaryGone());
      }
    });
  }

  private send(sent?: () => void): void {
    if (this.buffer.length === 0) return sent?.();
    const records = this.buffer;
    this.buffer = [];
    const keep = () => {
      const own = this.local();
      for (const r of records) own.record(auditEntry(r));
    };
    const handed = this.channel.send({ type: 'dew:audit', records }, (delivered) => {
      if (!delivered) keep();
      sent?.();
    });
    if (!handed) {
      keep();
      sent?.();
    }
  }

  private received(m: PrimaryAuditMessage): void {
    if (m.type === 'dew:audit-segment') {
      const w = this.placing.get(m.id);
      this.placing.delete(m.id);
      w?.resolve({ segment: m.segment, startedAt: m.startedAt });
    } else {
      const w = this.flushing.get(m.id);
      this.flushing.delete(m.id);
      if (m.error === undefined) w?.resolve();
      else w?.reject(new Error(`audit flush failed: ${m.error}`));
    }
  }

  private disconnected(): void {
    const gone = new PrimaryGone('the cluster primary is gone');
    for (const w of [...this.placing.values(), ...this.flushing.values()]) w.reject(gone);
    this.placing.clear();
    this.flushing.clear();
    this.send();
  }

  private local(): AuditLog {
    if (!this.own) {
      this.own = this.opts.local();
      this.own.start();
    }
    return this.own;
  }
}
