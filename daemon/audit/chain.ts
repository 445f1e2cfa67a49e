/**
 * The audit hash chain and the stored form of its records: each record's hash is SHA-256 over the
 * previous record's hash and the record's canonical content (a JSON array of its fields in a fixed
 * order), so altering, removing or reordering any record breaks every hash after it. A chain
 * starts from a hash of its id.
 *
 * Records are stored in segments: consecutive records of one chain in one row (a flushed batch, or
 * a single state change). The segment keeps each record's fields and hash, the hash it follows, and
 * its index: the records counted by resource, account, operation and outcome. The rows a segment
 * is written as are in segment-rows.ts.
 */
import { hash } from 'node:crypto';

/** The chained fields of a record, in the order they are hashed. */
export interface ChainedContent {
  chainId: string;
  chainSeq: number;
  at: number;
  requestId: string;
  domainId: string;
  userId: string;
  accessKey: string;
  sourceIp: string;
  operation: string;
  resourceId: string;
  outcome: string;
  status: number;
  errorCode: string;
}

export function genesisHash(chainId: string): string {
  if (typeof chainId !== 'string' || chainId.length === 0) throw new TypeError('chainId: a non-empty string is required');
  return hash('sha256', `dew-audit/v1|${chainId}`, 'hex');
}

/** What a record says before it is chained (services/audit.ts `AuditEntry` has this shape). */
export type UnchainedContent = Omit<ChainedContent, 'chainId' | 'chainSeq'>;

/**
 * A stored record inside a segment's `records` JSON array:
 * `[at, request_id, domain_id, user_id, access_key, source_ip, operation, resource_id, outcome, status, error_code, hash]`.
 */
export type StoredRecord = [number, string, string, string, string, string, string, string, string, number, string, string];

/** The named fields of a stored record (values coerced to their types: a listing shows even an altered record). */
export function storedRecordFields(v: StoredRecord): UnchainedContent & { hash: string } {
  return {
    at: Number(v[0]), requestId: String(v[1]), domainId: String(v[2]), userId: String(v[3]), accessKey: String(v[4]), sourceIp: String(v[5]),
    operation: String(v[6]), resourceId: String(v[7]), outcome: String(v[8]), status: Number(v[9]), errorCode: String(v[10]), hash: String(v[11]),
  };
}

/** One index row of a segment: how many of its records have this resource, account, operation and outcome. */
export type IndexRow = [resourceId: string, domainId: string, operation: string, outcome: string, count: number];

/** The chained part of a segment: consecutive records of one chain, as one row stores them. */
export interface ChainedRecords {
  firstSeq: number;
  lastSeq: number;
  /** The hash of the record before the first one (the chain's genesis hash for record 1). */
  prevHash: string;
  /** The last record's hash. */
  hash: string;
  /** JSON array text of `StoredRecord`s. */
  records: string;
}

/** What listings need to know of a segment without reading its records. */
export interface SegmentSummary {
  /** The latest `at` among the records (a `since` filter skips older segments whole). */
  maxAt: number;
  /** The records counted by resource, account, operation and outcome (the segment's index rows). */
  index: IndexRow[];
}

/** A segment as stored: its chain, its records and their summary. */
export interface ChainedSegment extends ChainedRecords, SegmentSummary {
  chainId: string;
}

/**
 * The canonical text of a record's own fields, everything but its chain position:
 * `JSON.stringify([at, request_id, …, error_code])`. A stored record is this array plus its hash.
 */
export function recordFields(e: UnchainedContent): string {
  return JSON.stringify([e.at, e.requestId, e.domainId, e.userId, e.accessKey, e.sourceIp, e.operation, e.resourceId, e.outcome, e.status, e.errorCode]);
}

/**
 * Chains records, given as their `recordFields` texts, after the record at `headSeq` whose hash
 * is `headHash`. A record's hash is SHA-256 over the previous hash, a newline and
 * `JSON.stringify([chainId, chainSeq, at, …, errorCode])`, spliced from the fields text.
 * The daemon's thread and the audit writer thread (store/audit-writer-thread.ts) both import
 * it, so the chain has one definition.
 */
export function chainRecords(sha256Hex: (text: string) => string, chainId: string, headSeq: number, headHash: string, fields: readonly string[]): ChainedRecords {
  if (fields.length === 0) throw new RangeError('fields: at least one record is required');
  const prefix = '[' + JSON.stringify(chainId) + ',';
  const parts: string[] = new Array(fields.length);
  let seq = headSeq;
  let prev = headHash;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    seq++;
    prev = sha256Hex(prev + '\n' + prefix + seq + ',' + f.slice(1));
    parts[i] = f.slice(0, -1) + ',"' + prev + '"]';
  }
  return { firstSeq: headSeq + 1, lastSeq: seq, prevHash: headHash, hash: prev, records: '[' + parts.join(',') + ']' };
}

/** The summary of `entries`: their latest time, and their counts by resource, account, operation and outcome. */
export function summarize(entries: readonly UnchainedContent[]): SegmentSummary {
  // Nested maps, not a joined key: a resource id from a refused request may hold any character.
  const counts = new Map<string, Map<string, Map<string, Map<string, number>>>>();
  let maxAt = -Infinity;
  for (const e of entries) {
    if (e.at > maxAt) maxAt = e.at;
    let byDomain = counts.get(e.resourceId);
    if (!byDomain) counts.set(e.resourceId, (byDomain = new Map()));
    let byOp = byDomain.get(e.domainId);
    if (!byOp) byDomain.set(e.domainId, (byOp = new Map()));
    let byOutcome = byOp.get(e.operation);
    if (!byOutcome) byOp.set(e.operation, (byOutcome = new Map()));
    byOutcome.set(e.outcome, (byOutcome.get(e.outcome) ?? 0) + 1);
  }
  const index: IndexRow[] = [];
  for (const [resourceId, byDomain] of counts)
    for (const [domainId, byOp] of byDomain)
      for (const [operation, byOutcome] of byOp)
        for (const [outcome, n] of byOutcome) index.push([resourceId, domainId, operation, outcome, n]);
  return { maxAt, index };
}

/** Chains `entries` after `headSeq`/`headHash` of chain `chainId` as one segment, on this thread. */
export function chainSegment(chainId: string, headSeq: number, headHash: string, entries: readonly UnchainedContent[]): ChainedSegment {
  return { chainId, ...chainRecords(sha256Hex, chainId, headSeq, headHash, entries.map(recordFields)), ...summarize(entries) };
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

