/**
 * The rows a segment is stored as (store/schema.ts `auditSegments`, `auditIndex`, `auditChains`):
 * the statements that append one and move its chain head. The repository on the daemon's
 * connection and the audit writer thread on its own (store/audit-writer-thread.ts) both run these.
 */
import type { InStatement } from '@libsql/client';
import type { ChainedRecords, ChainedSegment } from './chain.js';

/** Where a chain ends: its last record's position and hash, and when its writer started it. */
export interface ChainHead {
  chainId: string;
  headSeq: number;
  headHash: string;
  startedAt: number;
}

/** The head of `head`'s chain once `s` is appended after it. */
export function headAfter(head: ChainHead, s: ChainedRecords): ChainHead {
  return { chainId: head.chainId, headSeq: s.lastSeq, headHash: s.hash, startedAt: head.startedAt };
}

/** Records per segment at most: a record's trail position is its segment's seq × this + its index. */
export const SEGMENT_SPAN = 10_000;

/**
 * The statements appending segment `s` and moving its chain head (started at `startedAt`): the
 * segment row, its index rows read from one JSON argument, the head upsert. `guarded`: the
 * segment's hash is NULL (violating NOT NULL, so the whole batch rolls back) when the statement
 * before it changed no row (see store/audit-repo.ts `guardedRecord`).
 */
export function segmentStatements(s: ChainedSegment, startedAt: number, guarded = false): InStatement[] {
  const hash = guarded ? 'CASE WHEN changes() > 0 THEN ? ELSE NULL END' : '?';
  return [
    {
      sql: `INSERT INTO audit_segments (chain_id, first_seq, last_seq, max_at, prev_hash, hash, records) VALUES (?, ?, ?, ?, ?, ${hash}, ?)`,
      args: [s.chainId, s.firstSeq, s.lastSeq, s.maxAt, s.prevHash, s.hash, s.records],
    },
    {
      sql:
        'INSERT INTO audit_index (segment, resource_id, domain_id, operation, outcome, count) ' +
        'SELECT (SELECT seq FROM audit_segments WHERE chain_id = ? AND first_seq = ?), value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?)',
      args: [s.chainId, s.firstSeq, JSON.stringify(s.index)],
    },
    {
      sql: 'INSERT INTO audit_chains (chain_id, head_seq, head_hash, started_at) VALUES (?, ?, ?, ?) ON CONFLICT (chain_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash',
      args: [s.chainId, s.lastSeq, s.hash, startedAt],
    },
  ];
}
