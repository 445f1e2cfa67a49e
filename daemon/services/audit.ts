/**
 * The audit trail writer. Each writer (a daemon, or a `dew rotate --due` run) appends to its own
 * hash chain, so daemons sharing a database never contend for a chain head; a daemon with several
 * workers is one writer, its primary (cluster/audit-owner.ts). Two write paths:
 * - a state change carries its record inside its own batch (`hook`), so the change and its record
 *   commit or fail together;
 * - every other call (the data path, reads, refusals) is queued in memory and appended as one
 *   segment (one row) every `flushMs` or `maxBatch` records.
 * One writer lock per chain orders both paths, so chain positions are never handed out twice.
 */
import { randomBytes } from 'node:crypto';
import { isAuditGuardFailure, type AuditRepo, type AuditHook, type AuditStatements } from '../store/audit-repo.js';
import { chainSegment, genesisHash, type ChainedContent, type ChainedSegment } from '../audit/chain.js';
import { headAfter, type ChainHead } from '../audit/segment-rows.js';

export { withAudit, type AuditHook, type AuditStatements } from '../store/audit-repo.js';

export type AuditOutcome = 'allowed' | 'refused' | 'failed';

/** What one record says (never request or response bodies: no plaintext, material or secrets). */
export type AuditEntry = Omit<ChainedContent, 'chainId' | 'chainSeq' | 'outcome'> & { outcome: AuditOutcome };

/** A request's record while the request runs; `committed` once a state change wrote it. */
export interface AuditDraft extends AuditEntry {
  committed: boolean;
}

/** What services need from the trail (absent when the trail is off). */
export interface AuditHooks {
  hookFor(caller: object): AuditHook | undefined;
}

/**
 * The trail as the daemon's edge, scheduler and services write to it: `AuditLog` in one process
 * (it owns its chain), `ClusterAuditLog` in a cluster worker (cluster/audit-link.ts: the primary
 * owns the one chain and places every record).
 */
export interface AuditSink extends AuditHooks {
  /** Queues a record for the next batched append. */
  record(entry: AuditEntry): void;
  /** Ties a request's draft record to its caller object, so services can find it (`hookFor`). */
  bind(caller: object, draft: AuditDraft): void;
  /** A hook for an action without a request (the scheduler): `entry` is recorded as allowed. */
  systemHook(entry: SystemEntry): AuditHook;
  /** Appends everything queued so far. */
  flush(): Promise<void>;
  start(): void;
  /** Flushes what is queued and stops (graceful shutdown). */
  close(): Promise<void>;
}

/** What a system action's record says before its resource and outcome are known. */
export type SystemEntry = Omit<AuditEntry, 'at' | 'status' | 'outcome' | 'errorCode' | 'resourceId'>;

/**
 * Writes a placed one-record segment inside the change's own batch; resolves once it committed.
 * `refused(err)` says the batch's guard rolled it back (the change did not happen, so neither did
 * the record); any other failure may hide a commit, and the stored head decides.
 */
export interface Placement<T> {
  write(segment: ChainedSegment, startedAt: number): Promise<T>;
  refused(err: unknown): boolean;
}

export interface AuditLogOptions {
  now: () => number;
  log: (line: string) => void;
  /** Chain id prefix (`daemon`, `cli`); a random suffix makes it unique per writer. */
  writer?: string;
  flushMs?: number;
  maxBatch?: number;
}

/** Outcome vocabulary from an HTTP status. */
export function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'allowed';
  return status === 401 || status === 403 ? 'refused' : 'failed';
}

/** Records a flushed segment holds at most (well under `SEGMENT_SPAN`). */
const MAX_SEGMENT = 2000;

/** Where a request's draft hangs on its caller object (a property, not a WeakMap: cheaper per request). */
const DRAFT = Symbol('dew.auditDraft');

/** Marks an error thrown by a change whose record did commit (a lost connection hid the commit). */
const COMMITTED = Symbol('dew.auditCommitted');

/** Says on `err` that the change's record committed after all: the request is not recorded a second time. */
export function markCommitted(err: unknown): void {
  if (typeof err === 'object' && err !== null && Object.isExtensible(err)) (err as { [COMMITTED]?: true })[COMMITTED] = true;
}

function wasCommitted(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { [COMMITTED]?: true })[COMMITTED] === true;
}

/**
 * The request-facing half of a trail, shared by `AuditLog` and the cluster worker's link: a draft
 * tied to its caller object, and the hooks whose first state change commits it through the
 * writer's `commit` (allowed, about the changed resource) and marks it committed, so the edge
 * does not record it again.
 */
export abstract class DraftHooks {
  protected abstract now(): number;
  protected abstract commit<T>(entry: AuditEntry, exec: (stmts: AuditStatements) => Promise<T>): Promise<T>;

  bind(caller: object, draft: AuditDraft): void {
    if (Object.isExtensible(caller)) (caller as { [DRAFT]?: AuditDraft })[DRAFT] = draft;
  }

  hookFor(caller: object): AuditHook | undefined {
    const d = (caller as { [DRAFT]?: AuditDraft })[DRAFT];
    if (!d) return undefined;
    return async (resourceId, exec) => {
      if (d.committed) return exec([]);
      const entry: AuditEntry = { ...d, resourceId, status: 200, outcome: 'allowed', errorCode: '' };
      delete (entry as Partial<AuditDraft>).committed;
      const done = () => {
        d.committed = true;
        d.resourceId = resourceId;
      };
      try {
        const result = await this.commit(entry, exec);
        done();
        return result;
      } catch (err) {
        if (wasCommitted(err)) done();
        throw err;
      }
    };
  }

  systemHook(entry: SystemEntry): AuditHook {
    return (resourceId, exec) => this.commit({ ...entry, at: this.now(), resourceId, status: 200, outcome: 'allowed', errorCode: '' }, exec);
  }
}

export class AuditLog extends DraftHooks implements AuditSink {
  readonly chainId: string;
  private head: ChainHead;
  private queue: AuditEntry[] = [];
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private flushSoon = false;
  private readonly flushMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly repo: AuditRepo,
    private readonly opts: AuditLogOptions,
  ) {
    super();
    this.chainId = `${opts.writer ?? 'daemon'}-${opts.now()}-${randomBytes(6).toString('hex')}`;
    this.head = { chainId: this.chainId, headSeq: 0, headHash: genesisHash(this.chainId), startedAt: opts.now() };
    this.flushMs = opts.flushMs ?? 50;
    this.maxBatch = opts.maxBatch ?? 1000;
  }

  /** Starts the periodic flush. */
  start(): void {
    this.timer ??= setInterval(() => {
      if (this.queue.length > 0) this.flush().catch(() => undefined);
    }, this.flushMs);
    this.timer.unref();
  }

  /** Flushes what is queued and stops the timer (graceful shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues a record for the next batched append. */
  record(entry: AuditEntry): void {
    this.queue.push(entry);
    if (this.queue.length >= this.maxBatch && !this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        this.flush().catch(() => undefined);
      });
    }
  }

  /** Appends everything queued so far. */
  flush(): Promise<void> {
    return this.exclusive(() => this.drain());
  }

  protected now(): number {
    return this.opts.now();
  }

  /** Commits `entry` inside the batch `exec` runs, at this chain's next position (a cluster worker's own chain uses it too). */
  commit<T>(entry: AuditEntry, exec: (stmts: AuditStatements) => Promise<T>): Promise<T> {
    return this.place(entry, { write: (segment, startedAt) => exec(this.repo.guardedRecord(segment, startedAt)), refused: isAuditGuardFailure });
  }

  /**
   * Gives `entry` the next chain position and has `placement` write it inside the change's batch;
   * the chain moves on once that committed. Nothing else is appended meanwhile. The primary of a
   * cluster places its workers' state changes this way (cluster/audit-owner.ts).
   */
  place<T>(entry: AuditEntry, placement: Placement<T>): Promise<T> {
    return this.exclusive(async () => {
      // Queued records take the chain positions before this one, as they happened before it.
      if (this.queue.length > 0) await this.drain().catch(() => undefined);
      const segment = this.chain([entry]);
      const next = headAfter(this.head, segment);
      try {
        const result = await placement.write(segment, next.startedAt);
        this.head = next;
        return result;
      } catch (err) {
        // A lost connection may hide a commit: the stored head says whether it happened.
        if (!placement.refused(err)) {
          if (await this.committed(next)) {
            this.head = next;
            markCommitted(err);
          } else {
            await this.adoptStored();
          }
        }
        throw err;
      }
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private chain(entries: readonly AuditEntry[]): ChainedSegment {
    return chainSegment(this.chainId, this.head.headSeq, this.head.headHash, entries);
  }

  private async committed(head: ChainHead): Promise<boolean> {
    const stored = await this.repo.loadHead(this.chainId).catch(() => undefined);
    return stored?.headSeq === head.headSeq && stored.headHash === head.headHash;
  }

  /**
   * Goes on after the stored head when it is ahead of this writer's: a placement given up on as
   * unanswered committed after all (cluster/audit-owner.ts). True when the head moved.
   */
  private async adoptStored(): Promise<boolean> {
    const stored = await this.repo.loadHead(this.chainId).catch(() => undefined);
    if (!stored || stored.headSeq <= this.head.headSeq) return false;
    this.head = stored;
    return true;
  }

  /** Appends the queue in batches; on failure the unwritten records go back to its front. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const entries = this.queue.splice(0, MAX_SEGMENT);
      try {
        this.head = await this.repo.appendEntries(this.head, entries);
      } catch (err) {
        // A lost connection may hide a commit: the stored head says whether it happened.
        const next = headAfter(this.head, this.chain(entries));
        if (!(await this.committed(next))) {
          this.queue.unshift(...entries);
          if (await this.adoptStored()) continue;
          this.opts.log(JSON.stringify({ level: 'warn', msg: 'audit flush failed; records kept for the next attempt', pending: this.queue.length, error: (err as Error).message }));
          throw err;
        }
        this.head = next;
      }
    }
  }
}
