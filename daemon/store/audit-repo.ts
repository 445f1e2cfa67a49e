/**
 * Persistence of the audit trail, in segments (their rows: audit/segment-rows.ts): a batch of records and
 * the chain head in one transaction, a single guarded record to splice into another repository's
 * batch, and queries for listing, usage and verify that read the records back out of the segments.
 */
import type { Client, InStatement } from '@libsql/client';
import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { chainSegment, storedRecordFields, type ChainedContent, type ChainedSegment, type IndexRow, type StoredRecord, type UnchainedContent } from '../audit/chain.js';
import { headAfter, SEGMENT_SPAN, segmentStatements, type ChainHead } from '../audit/segment-rows.js';

/** One record as listed (wire shape in services/audit-queries.ts; times in epoch ms). */
export interface AuditRow extends ChainedContent {
  /** The record's position in the whole trail: its segment's seq × 10,000 + its index there. */
  seq: number;
  hash: string;
}

/** A stored segment as verify reads it: the row as stored, its records unparsed, its index rows. */
export interface StoredSegment {
  seq: number;
  chainId: string;
  firstSeq: number;
  lastSeq: number;
  maxAt: number;
  prevHash: string;
  hash: string;
  records: string;
  index: IndexRow[];
}

export interface AuditQuery {
  /** Only records about this key id. */
  resourceId?: string;
  /** Only records made by this account (no more than that: see `domainId`). */
  strictDomainId?: string;
  /** Only records of this account, plus records about keys of `projectId`. */
  domainId?: string;
  projectId?: string;
  since?: number;
  /** Records after this trail position (paging oldest first). */
  afterSeq?: number;
  /** Records before this trail position (paging newest first). */
  beforeSeq?: number;
  /** Trail order (the default) or newest first. */
  newestFirst?: boolean;
  /** Only records of these operations. */
  operations?: readonly string[];
  limit: number;
}

/** Chains entries after a head and appends them, returning the new head (see `AuditRepo.appendEntries`). */
export type AuditAppender = (head: ChainHead, entries: readonly UnchainedContent[]) => Promise<ChainHead>;

/** The statements a repository splices in right after the statement making the change (empty when none). */
export type AuditStatements = readonly ReturnType<Db['run']>[];

/**
 * Runs `exec` with the audit statements for a change to `resourceId`; they commit with its batch.
 * When the guarding statement changes no row the batch fails with a guard failure
 * (`isAuditGuardFailure`), which the repository reports as a lost race.
 */
export type AuditHook = <T>(resourceId: string, exec: (stmts: AuditStatements) => Promise<T>) => Promise<T>;

/** Runs a batch with the audit statements of `hook`, or with none when there is no hook. */
export function withAudit<T>(hook: AuditHook | undefined, resourceId: string, exec: (stmts: AuditStatements) => Promise<T>): Promise<T> {
  return hook ? hook(resourceId, exec) : exec([]);
}

type BatchItem = Parameters<Db['batch']>[0][number];

/**
 * One batch: `before`, then the audit statements of `hook` right after the last of them (guarded by
 * it: when that statement changes no row the record is not written and the batch rolls back whole),
 * then `after`. Returns the batch's results, or undefined when the guard rolled it back. For a
 * batch that always commits, end `before` with a statement that always changes a row.
 */
export async function auditedBatch(db: Db, hook: AuditHook | undefined, resourceId: string, before: readonly BatchItem[], after: readonly BatchItem[] = []): Promise<readonly unknown[] | undefined> {
  try {
    return (await withAudit(hook, resourceId, (a) => db.batch([...before, ...a, ...after] as unknown as Parameters<Db['batch']>[0]))) as readonly unknown[];
  } catch (err) {
    if (isAuditGuardFailure(err)) return undefined;
    throw err;
  }
}

/** Rows changed by a batch statement's result. */
export function rowsAffected(result: unknown): number {
  return (result as { rowsAffected?: number } | undefined)?.rowsAffected ?? 0;
}

/** SQLite's NOT NULL failure on audit_segments.hash: a guarded record's change did not happen (see `guardedRecord`). */
export function isAuditGuardFailure(err: unknown): boolean {
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (/NOT NULL constraint failed: audit_segments\.hash/.test(String(e.message ?? ''))) return true;
  }
  return false;
}

/** The columns of one record read out of its segment with `json_each` (aliases `s` and `j`). */
const RECORD_COLUMNS =
  `s.seq * ${SEGMENT_SPAN} + j.key AS seq, s.chain_id, s.first_seq + j.key AS chain_seq, j.value AS record`;

function toRow(r: Record<string, unknown>): AuditRow {
  return { seq: Number(r.seq), chainId: String(r.chain_id), chainSeq: Number(r.chain_seq), ...storedRecordFields(JSON.parse(String(r.record)) as StoredRecord) };
}

export class AuditRepo {
  constructor(
    private readonly db: Db,
    private readonly client: Client,
    /** Where bulk appends run (the audit writer thread of an embedded database); the daemon's connection by default. */
    private readonly appender?: AuditAppender,
  ) {}

  /**
   * Chains `entries` after `head` and appends them as one segment with the new chain head, in one
   * transaction; returns the new head. With an `appender` (the audit writer thread of an embedded
   * database) the chaining and the statements happen there, off the event loop.
   */
  async appendEntries(head: ChainHead, entries: readonly UnchainedContent[]): Promise<ChainHead> {
    if (entries.length === 0) return head;
    if (entries.length > SEGMENT_SPAN) throw new RangeError(`entries: at most ${SEGMENT_SPAN} records a segment`);
    if (this.appender) return this.appender(head, entries);
    const s = chainSegment(head.chainId, head.headSeq, head.headHash, entries);
    await this.client.batch(segmentStatements(s, head.startedAt), 'write');
    return headAfter(head, s);
  }

  /**
   * The statements to splice into another batch right after the statement that makes the change:
   * the one-record segment `s`, whose hash is NULL (violating NOT NULL, so the whole batch rolls
   * back) when that statement changed no row, its index row, then the chain head.
   */
  guardedRecord(s: ChainedSegment, startedAt: number): AuditStatements {
    return segmentStatements(s, startedAt, true).map((st) => this.query(st));
  }

  /** A raw statement as a query of the repositories' batches (its `?` placeholders bound in order). */
  private query(st: InStatement) {
    const { sql: text, args = [] } = st as { sql: string; args?: unknown[] };
    const parts = text.split('?');
    return this.db.run(sql.join(parts.flatMap((p, i) => (i === 0 ? [sql.raw(p)] : [sql`${args[i - 1]}`, sql.raw(p)]))));
  }

  async loadHead(chainId: string): Promise<ChainHead | undefined> {
    const rs = await this.client.execute({ sql: 'SELECT chain_id, head_seq, head_hash, started_at FROM audit_chains WHERE chain_id = ?', args: [chainId] });
    const r = rs.rows[0];
    return r ? { chainId: String(r.chain_id), headSeq: Number(r.head_seq), headHash: String(r.head_hash), startedAt: Number(r.started_at) } : undefined;
  }

  /** Whether segment `s` is stored as it was chained (its chain, position and hash). */
  async hasSegment(s: Pick<ChainedSegment, 'chainId' | 'firstSeq' | 'hash'>): Promise<boolean> {
    const rs = await this.client.execute({ sql: 'SELECT 1 FROM audit_segments WHERE chain_id = ? AND first_seq = ? AND hash = ?', args: [s.chainId, s.firstSeq, s.hash] });
    return rs.rows.length > 0;
  }

  async loadHeads(): Promise<ChainHead[]> {
    const rs = await this.client.execute('SELECT chain_id, head_seq, head_hash, started_at FROM audit_chains ORDER BY started_at, chain_id');
    return rs.rows.map((r) => ({ chainId: String(r.chain_id), headSeq: Number(r.head_seq), headHash: String(r.head_hash), startedAt: Number(r.started_at) }));
  }

  /** Every segment of every chain in chain order, with its index rows, read in pages (for verify). */
  async *allSegments(pageSize = 200): AsyncGenerator<StoredSegment> {
    let lastChain = '';
    let lastSeq = 0;
    for (;;) {
      const rs = await this.client.execute({
        sql: `SELECT seq, chain_id, first_seq, last_seq, max_at, prev_hash, hash, records FROM audit_segments
              WHERE chain_id > ? OR (chain_id = ? AND first_seq > ?) ORDER BY chain_id, first_seq LIMIT ?`,
        args: [lastChain, lastChain, lastSeq, pageSize],
      });
      const index = new Map<number, IndexRow[]>();
      if (rs.rows.length > 0) {
        const ix = await this.client.execute({
          sql: `SELECT segment, resource_id, domain_id, operation, outcome, count FROM audit_index WHERE segment IN (SELECT value FROM json_each(?))`,
          args: [JSON.stringify(rs.rows.map((r) => Number(r.seq)))],
        });
        for (const r of ix.rows) {
          const list = index.get(Number(r.segment)) ?? [];
          list.push([String(r.resource_id), String(r.domain_id), String(r.operation), String(r.outcome), Number(r.count)]);
          index.set(Number(r.segment), list);
        }
      }
      for (const r of rs.rows) {
        const seq = Number(r.seq);
        yield {
          seq,
          chainId: String(r.chain_id),
          firstSeq: Number(r.first_seq),
          lastSeq: Number(r.last_seq),
          maxAt: Number(r.max_at),
          prevHash: String(r.prev_hash),
          hash: r.hash === null ? '' : String(r.hash),
          records: String(r.records),
          index: index.get(seq) ?? [],
        };
      }
      if (rs.rows.length < pageSize) return;
      const last = rs.rows[rs.rows.length - 1];
      lastChain = String(last.chain_id);
      lastSeq = Number(last.first_seq);
    }
  }

  /**
   * Records matching `q` in trail order (or newest first). The index picks the segments holding a key's or an
   * account's records (others are not read); the records inside are then filtered one by one.
   */
  async list(q: AuditQuery): Promise<AuditRow[]> {
    const segmentWhere: string[] = [];
    const recordWhere: string[] = [];
    const a: (string | number)[] = [];
    const b: (string | number)[] = [];
    if (q.resourceId !== undefined) {
      segmentWhere.push('s.seq IN (SELECT segment FROM audit_index WHERE resource_id = ?)');
      a.push(q.resourceId);
      recordWhere.push("j.value->>7 = ?");
      b.push(q.resourceId);
    }
    if (q.strictDomainId !== undefined) {
      segmentWhere.push('s.seq IN (SELECT segment FROM audit_index WHERE domain_id = ?)');
      a.push(q.strictDomainId);
      recordWhere.push('j.value->>2 = ?');
      b.push(q.strictDomainId);
    }
    if (q.domainId !== undefined) {
      const projectKeys = 'SELECT key_id FROM keys WHERE project_id = ?';
      segmentWhere.push(`s.seq IN (SELECT segment FROM audit_index WHERE domain_id = ? OR resource_id IN (${projectKeys}))`);
      a.push(q.domainId, q.projectId ?? '');
      recordWhere.push(`(j.value->>2 = ? OR j.value->>7 IN (${projectKeys}))`);
      b.push(q.domainId, q.projectId ?? '');
    }
    if (q.since !== undefined) {
      segmentWhere.push('s.max_at >= ?');
      a.push(q.since);
      recordWhere.push('j.value->>0 >= ?');
      b.push(q.since);
    }
    if (q.afterSeq !== undefined) {
      segmentWhere.push('s.seq >= ?');
      a.push(Math.floor(q.afterSeq / SEGMENT_SPAN));
      recordWhere.push(`s.seq * ${SEGMENT_SPAN} + j.key > ?`);
      b.push(q.afterSeq);
    }
    if (q.operations !== undefined && q.operations.length > 0) {
      const ops = JSON.stringify(q.operations);
      segmentWhere.push('s.seq IN (SELECT segment FROM audit_index WHERE operation IN (SELECT value FROM json_each(?)))');
      a.push(ops);
      recordWhere.push('j.value->>6 IN (SELECT value FROM json_each(?))');
      b.push(ops);
    }
    if (q.beforeSeq !== undefined) {
      segmentWhere.push('s.seq <= ?');
      a.push(Math.floor(q.beforeSeq / SEGMENT_SPAN));
      recordWhere.push(`s.seq * ${SEGMENT_SPAN} + j.key < ?`);
      b.push(q.beforeSeq);
    }
    const where = [...segmentWhere, ...recordWhere];
    const order = q.newestFirst ? 's.seq DESC, j.key DESC' : 's.seq, j.key';
    const rs = await this.client.execute({
      sql: `SELECT ${RECORD_COLUMNS} FROM audit_segments s, json_each(s.records) j
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`,
      args: [...a, ...b, q.limit],
    });
    return rs.rows.map((r) => toRow(r as unknown as Record<string, unknown>));
  }

  /**
   * Requests about one key (made by one account, when `domainId` is given) since `since`, counted by
   * UTC day (days since the epoch) and outcome. A segment's records are counted on the day of its
   * latest record: a segment spans one flush interval (50 ms by default), so only records within
   * that much of midnight can land on the next day.
   */
  async usagePerDay(resourceId: string, since: number, domainId?: string): Promise<{ day: number; outcome: string; count: number }[]> {
    const rs = await this.client.execute({
      sql: `SELECT CAST(s.max_at / 86400000 AS INTEGER) AS day, i.outcome, sum(i.count) AS n
            FROM audit_index i JOIN audit_segments s ON s.seq = i.segment
            WHERE i.resource_id = ? ${domainId === undefined ? '' : 'AND i.domain_id = ?'} AND s.max_at >= ?
            GROUP BY day, i.outcome ORDER BY day`,
      args: domainId === undefined ? [resourceId, since] : [resourceId, domainId, since],
    });
    return rs.rows.map((r) => ({ day: Number(r.day), outcome: String(r.outcome), count: Number(r.n) }));
  }

  /** Requests about one key (made by one account, when `domainId` is given), counted by operation and outcome. */
  async usage(resourceId: string, domainId?: string): Promise<{ operation: string; outcome: string; count: number }[]> {
    const rs = await this.client.execute({
      sql: `SELECT operation, outcome, sum(count) AS n FROM audit_index WHERE resource_id = ? ${domainId === undefined ? '' : 'AND domain_id = ?'}
            GROUP BY operation, outcome ORDER BY operation, outcome`,
      args: domainId === undefined ? [resourceId] : [resourceId, domainId],
    });
    return rs.rows.map((r) => ({ operation: String(r.operation), outcome: String(r.outcome), count: Number(r.n) }));
  }
}
