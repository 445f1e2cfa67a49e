/**
 * `dew audit verify`: walks every chain of the trail segment by segment and checks each record's
 * position, link and hash, each segment's own fields and index, and each chain's stored head,
 * reporting the first bad record. Altering a record breaks its hash; removing one breaks the next
 * link (or the head, for the last); reordering breaks the links; an index or time range that no
 * longer matches its records (which would hide them from `--key` or `--since` listings) shows too.
 */
import type { AuditRepo, StoredSegment } from '../store/audit-repo.js';
import { chainRecords, genesisHash, recordFields, sha256Hex, storedRecordFields, summarize, type IndexRow, type StoredRecord, type UnchainedContent } from '../audit/chain.js';
import { SEGMENT_SPAN, type ChainHead } from '../audit/segment-rows.js';

export interface BadRecord {
  chain_id: string;
  chain_seq: number;
  /** The record's trail position (0 when the record is missing altogether). */
  seq: number;
  request_id: string;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  chains: number;
  records: number;
  first_bad?: BadRecord;
}

/** A stored record's fields, or undefined when it is not a well-formed record. */
function parseRecord(v: unknown): (UnchainedContent & { hash: string }) | undefined {
  if (!Array.isArray(v) || v.length !== 12) return undefined;
  const r = v as StoredRecord;
  const strings = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11].every((i) => typeof r[i] === 'string');
  if (!strings || !Number.isInteger(r[0]) || !Number.isInteger(r[9])) return undefined;
  return storedRecordFields(r);
}

/** Index rows in one canonical order, for comparing a stored index with a recomputed one. */
const canonical = (rows: readonly IndexRow[]): string => JSON.stringify(rows.map((r) => JSON.stringify(r)).sort());

export async function verifyTrail(repo: Pick<AuditRepo, 'loadHeads' | 'allSegments'>): Promise<VerifyReport> {
  const heads = new Map<string, ChainHead>((await repo.loadHeads()).map((h) => [h.chainId, h]));
  const seen = new Set<string>();
  let records = 0;
  let chain: { id: string; seq: number; hash: string; segment: number } | undefined;
  const bad = (chainId: string, chainSeq: number, seq: number, requestId: string, reason: string): VerifyReport => ({
    ok: false,
    chains: heads.size,
    records,
    first_bad: { chain_id: chainId, chain_seq: chainSeq, seq, request_id: requestId, reason },
  });
  const endChain = (): VerifyReport | undefined => {
    if (!chain) return undefined;
    const head = heads.get(chain.id)!;
    if (head.headSeq !== chain.seq || head.headHash !== chain.hash) {
      return bad(chain.id, chain.seq + 1, 0, '', `the chain ends at record ${chain.seq} but its head says ${head.headSeq}: records were removed from its end, or the head was altered`);
    }
    return undefined;
  };
  const checkSegment = (s: StoredSegment, c: NonNullable<typeof chain>): VerifyReport | undefined => {
    let stored: unknown;
    try {
      stored = JSON.parse(s.records);
    } catch {
      stored = undefined;
    }
    const firstRequestId = Array.isArray(stored) ? (parseRecord(stored[0])?.requestId ?? '') : '';
    const first = (reason: string) => bad(s.chainId, s.firstSeq, s.seq * SEGMENT_SPAN, firstRequestId, reason);
    if (s.firstSeq !== c.seq + 1) {
      return s.firstSeq > c.seq + 1
        ? bad(s.chainId, c.seq + 1, 0, '', `records ${c.seq + 1}…${s.firstSeq - 1} of the chain are missing`)
        : first('the record repeats a chain position');
    }
    if (s.seq <= c.segment) return first('the record is out of order: it was stored before the record it follows');
    if (s.prevHash !== c.hash) return first('the record does not follow the one before it (removed or reordered records)');
    if (!Array.isArray(stored)) return first('the segment was altered: its records are not a JSON list');
    const expected = s.lastSeq - s.firstSeq + 1;
    const short = stored.length !== expected ? ` (the segment holds ${stored.length} records for chain positions ${s.firstSeq}…${s.lastSeq}: records were removed or added)` : '';
    const entries: UnchainedContent[] = [];
    let prev = s.prevHash;
    for (let k = 0; k < stored.length; k++) {
      const r = parseRecord(stored[k]);
      if (!r) return bad(s.chainId, s.firstSeq + k, s.seq * SEGMENT_SPAN + k, '', `the record was altered: it is not a well-formed record${short}`);
      const h = chainRecords(sha256Hex, s.chainId, s.firstSeq + k - 1, prev, [recordFields(r)]).hash;
      if (h !== r.hash) {
        return bad(s.chainId, s.firstSeq + k, s.seq * SEGMENT_SPAN + k, r.requestId, `the record was altered: its content does not match its hash, or it does not follow the one before it${short}`);
      }
      prev = h;
      entries.push(r);
    }
    const lastSeq = s.firstSeq + stored.length - 1;
    if (short) return bad(s.chainId, lastSeq + 1, 0, '', `records of the segment are missing or extra${short}`);
    if (s.hash !== prev) return bad(s.chainId, s.lastSeq, s.seq * SEGMENT_SPAN + stored.length - 1, '', "the segment was altered: its hash is not its last record's");
    const recomputed = summarize(entries);
    if (s.maxAt !== recomputed.maxAt) return first("the segment was altered: its time range is not its records' (records would hide from --since listings)");
    if (canonical(s.index) !== canonical(recomputed.index)) {
      return first('the index of the segment does not match its records (records would hide from key, account or usage listings)');
    }
    c.seq = s.lastSeq;
    c.hash = s.hash;
    c.segment = s.seq;
    records += stored.length;
    return undefined;
  };
  for await (const s of repo.allSegments()) {
    if (!chain || chain.id !== s.chainId) {
      const ended = endChain();
      if (ended) return ended;
      if (!heads.has(s.chainId)) return bad(s.chainId, s.firstSeq, s.seq * SEGMENT_SPAN, '', 'the record belongs to no known chain (its chain head is missing)');
      seen.add(s.chainId);
      chain = { id: s.chainId, seq: 0, hash: genesisHash(s.chainId), segment: 0 };
    }
    const failed = checkSegment(s, chain);
    if (failed) return failed;
  }
  const ended = endChain();
  if (ended) return ended;
  for (const h of heads.values()) {
    if (!seen.has(h.chainId) && h.headSeq > 0) return bad(h.chainId, 1, 0, '', `every record of the chain is missing (its head says ${h.headSeq})`);
  }
  return { ok: true, chains: heads.size, records };
}
