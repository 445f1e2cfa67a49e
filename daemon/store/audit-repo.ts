/**
 * Persistence of the audit trail: multi-row appends with the chain head in one batch, a single
 * guarded record to splice into another repository's batch, queries for listing, usage and verify.
 */
import type { Client, InStatement } from '@libsql/client';
import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { chainEntries, sha256Hex, type ChainedContent, type UnchainedContent } from '../services/audit-chain.js';

/** One stored audit record (wire and verify shape; times in epoch ms). */
export interface AuditRow extends ChainedContent {
  seq?: number;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  chainId: string;
  headSeq: number;
  headHash: string;
  startedAt: number;
}

export interface AuditQuery {
  /** Only records about this key id. */
  resourceId?: string;
  /** Only records of this account, plus records about keys of `projectId`. */
  domainId?: string;
  projectId?: string;
  since?: number;
  /** Records after this global sequence number (paging). */
  afterSeq?: number;
  limit: number;
}

/** Chains entries after a head and appends them, returning the new head (see `AuditRepo.appendEntries`). */
export type AuditAppender = (head: ChainHead, entries: readonly UnchainedContent[]) => Promise<ChainHead>;

/**
 * The statements appending chained `rows` and moving the chain to `head`: one INSERT reading all
 * rows from a single JSON argument (`json_each`), so the statement is short and prepared once per
 * batch whatever the row count (a multi-row VALUES list cost a prepare per 100 rows), then the
 * head upsert. Self-contained, like `chainEntries`: the audit writer thread runs it from its source.
 */
export function appendStatements(rows: readonly AuditRow[], head: ChainHead): InStatement[] {
  const values: (string | number)[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    values.push([r.chainId, r.chainSeq, r.at, r.requestId, r.domainId, r.userId, r.accessKey, r.sourceIp, r.operation, r.resourceId, r.outcome, r.status, r.errorCode, r.prevHash, r.hash]);
  }
  return [
    {
      sql:
        'INSERT INTO audit_log (chain_id, chain_seq, at, request_id, domain_id, user_id, access_key, source_ip, operation, resource_id, outcome, status, error_code, prev_hash, hash) ' +
        'SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10, value->>11, value->>12, value->>13, value->>14 FROM json_each(?) ORDER BY key',
      args: [JSON.stringify(values)],
    },
    {
      sql: 'INSERT INTO audit_chains (chain_id, head_seq, head_hash, started_at) VALUES (?, ?, ?, ?) ON CONFLICT (chain_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash',
      args: [head.chainId, head.headSeq, head.headHash, head.startedAt],
    },
  ];
}

const COLUMNS =
  'chain_id, chain_seq, at, request_id, domain_id, user_id, access_key, source_ip, operation, resource_id, outcome, status, error_code, prev_hash, hash';

function args(r: AuditRow): (string | number)[] {
  return [r.chainId, r.chainSeq, r.at, r.requestId, r.domainId, r.userId, r.accessKey, r.sourceIp, r.operation, r.resourceId, r.outcome, r.status, r.errorCode, r.prevHash, r.hash];
}

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

/** SQLite's NOT NULL failure on audit_log.hash: a guarded record's change did not happen (see `guardedRecord`). */
export function isAuditGuardFailure(err: unknown): boolean {
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (/NOT NULL constraint failed: audit_log\.hash/.test(String(e.message ?? ''))) return true;
  }
  return false;
}

function toRow(r: Record<string, unknown>): AuditRow {
  return {
    seq: Number(r.seq),
    chainId: String(r.chain_id),
    chainSeq: Number(r.chain_seq),
    at: Number(r.at),
    requestId: String(r.request_id),
    domainId: String(r.domain_id),
    userId: String(r.user_id),
    accessKey: String(r.access_key),
    sourceIp: String(r.source_ip),
    operation: String(r.operation),
    resourceId: String(r.resource_id),
    outcome: String(r.outcome),
    status: Number(r.status),
    errorCode: String(r.error_code),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

export class AuditRepo {
  constructor(
    private readonly db: Db,
    private readonly client: Client,
    /** Where bulk appends run (the audit writer thread of an embedded database); the daemon's connection by default. */
    private readonly appender?: AuditAppender,
  ) {}

  /**
   * Chains `entries` after `head` and appends them with the new chain head, in one transaction;
   * returns the new head. With an `appender` (the audit writer thread of an embedded database) the
   * chaining and the statements happen there, off the event loop.
   */
  async appendEntries(head: ChainHead, entries: readonly UnchainedContent[]): Promise<ChainHead> {
    if (entries.length === 0) return head;
    if (this.appender) return this.appender(head, entries);
    const rows = chainEntries(sha256Hex, head.chainId, head.headSeq, head.headHash, entries);
    const last = rows[rows.length - 1];
    const next = { chainId: head.chainId, headSeq: last.chainSeq, headHash: last.hash, startedAt: head.startedAt };
    await this.client.batch(appendStatements(rows, next), 'write');
    return next;
  }

  /**
   * The two statements to splice into another batch right after the statement that makes the
   * change: the record, whose hash is NULL (violating NOT NULL, so the whole batch rolls back) when
   * that statement changed no row, then the chain head.
   */
  guardedRecord(row: AuditRow, head: ChainHead) {
    const v = args(row).slice(0, -1).map((x) => sql`${x}`);
    const insert = this.db.run(
      sql`INSERT INTO audit_log (${sql.raw(COLUMNS)}) VALUES (${sql.join(v, sql`, `)}, CASE WHEN changes() > 0 THEN ${row.hash} ELSE NULL END)`,
    );
    const upsert = this.db.run(
      sql`INSERT INTO audit_chains (chain_id, head_seq, head_hash, started_at) VALUES (${head.chainId}, ${head.headSeq}, ${head.headHash}, ${head.startedAt})
          ON CONFLICT (chain_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash`,
    );
    return [insert, upsert] as const;
  }

  async loadHead(chainId: string): Promise<ChainHead | undefined> {
    const rs = await this.client.execute({ sql: 'SELECT chain_id, head_seq, head_hash, started_at FROM audit_chains WHERE chain_id = ?', args: [chainId] });
    const r = rs.rows[0];
    return r ? { chainId: String(r.chain_id), headSeq: Number(r.head_seq), headHash: String(r.head_hash), startedAt: Number(r.started_at) } : undefined;
  }

  async loadHeads(): Promise<ChainHead[]> {
    const rs = await this.client.execute('SELECT chain_id, head_seq, head_hash, started_at FROM audit_chains ORDER BY started_at, chain_id');
    return rs.rows.map((r) => ({ chainId: String(r.chain_id), headSeq: Number(r.head_seq), headHash: String(r.head_hash), startedAt: Number(r.started_at) }));
  }

  /** Every record of every chain in chain order, read in pages (for verify). */
  async *allRecords(pageSize = 5000): AsyncGenerator<AuditRow> {
    let lastChain = '';
    let lastSeq = 0;
    for (;;) {
      const rs = await this.client.execute({
        sql: `SELECT seq, ${COLUMNS} FROM audit_log WHERE chain_id > ? OR (chain_id = ? AND chain_seq > ?)
              ORDER BY chain_id, chain_seq LIMIT ?`,
        args: [lastChain, lastChain, lastSeq, pageSize],
      });
      for (const r of rs.rows) yield toRow(r as unknown as Record<string, unknown>);
      if (rs.rows.length < pageSize) return;
      const last = rs.rows[rs.rows.length - 1];
      lastChain = String(last.chain_id);
      lastSeq = Number(last.chain_seq);
    }
  }

  async list(q: AuditQuery): Promise<AuditRow[]> {
    const where: string[] = [];
    const a: (string | number)[] = [];
    if (q.resourceId !== undefined) {
      where.push('resource_id = ?');
      a.push(q.resourceId);
    }
    if (q.domainId !== undefined) {
      where.push('(domain_id = ? OR resource_id IN (SELECT key_id FROM keys WHERE project_id = ?))');
      a.push(q.domainId, q.projectId ?? '');
    }
    if (q.since !== undefined) {
      where.push('at >= ?');
      a.push(q.since);
    }
    if (q.afterSeq !== undefined) {
      where.push('seq > ?');
      a.push(q.afterSeq);
    }
    const rs = await this.client.execute({
      sql: `SELECT seq, ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`,
      args: [...a, q.limit],
    });
    return rs.rows.map((r) => toRow(r as unknown as Record<string, unknown>));
  }

  /** Requests about one key, counted by operation and outcome. */
  async usage(resourceId: string): Promise<{ operation: string; outcome: string; count: number }[]> {
    const rs = await this.client.execute({
      sql: 'SELECT operation, outcome, count(*) AS n FROM audit_log WHERE resource_id = ? GROUP BY operation, outcome ORDER BY operation, outcome',
      args: [resourceId],
    });
    return rs.rows.map((r) => ({ operation: String(r.operation), outcome: String(r.outcome), count: Number(r.n) }));
  }
}

