/**
 * `dew audit verify`: walks every chain of the trail and checks each record's position, link and
 * hash, and each chain's stored head, reporting the first bad record. Altering a record breaks its
 * hash; removing one breaks the next link (or the head, for the last); reordering breaks the links.
 */
import type { AuditRepo, AuditRow, ChainHead } from '../store/audit-repo.js';
import { genesisHash, recordHash } from './audit-chain.js';

export interface BadRecord {
  chain_id: string;
  chain_seq: number;
  /** The row's global sequence number (0 when the record is missing altogether). */
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

export async function verifyTrail(repo: Pick<AuditRepo, 'loadHeads' | 'allRecords'>): Promise<VerifyReport> {
  const heads = new Map<string, ChainHead>((await repo.loadHeads()).map((h) => [h.chainId, h]));
  const seen = new Set<string>();
  let records = 0;
  let chain: { id: string; seq: number; hash: string; rowSeq: number } | undefined;
  const bad = (r: Pick<AuditRow, 'chainId' | 'chainSeq' | 'requestId'> & { seq?: number }, reason: string): VerifyReport => ({
    ok: false,
    chains: heads.size,
    records,
    first_bad: { chain_id: r.chainId, chain_seq: r.chainSeq, seq: r.seq ?? 0, request_id: r.requestId, reason },
  });
  const endChain = (): VerifyReport | undefined => {
    if (!chain) return undefined;
    const head = heads.get(chain.id)!;
    if (head.headSeq !== chain.seq || head.headHash !== chain.hash) {
      return bad({ chainId: chain.id, chainSeq: chain.seq + 1, requestId: '' }, `the chain ends at record ${chain.seq} but its head says ${head.headSeq}: records were removed from its end, or the head was altered`);
    }
    return undefined;
  };
  for await (const r of repo.allRecords()) {
    if (!chain || chain.id !== r.chainId) {
      const ended = endChain();
      if (ended) return ended;
      if (!heads.has(r.chainId)) return bad(r, 'the record belongs to no known chain (its chain head is missing)');
      seen.add(r.chainId);
      chain = { id: r.chainId, seq: 0, hash: genesisHash(r.chainId), rowSeq: 0 };
    }
    if (r.chainSeq !== chain.seq + 1) {
      return bad(r, r.chainSeq > chain.seq + 1 ? `records ${chain.seq + 1}…${r.chainSeq - 1} of the chain are missing` : 'the record repeats a chain position');
    }
    if (r.prevHash !== chain.hash) return bad(r, 'the record does not follow the one before it (removed or reordered records)');
    if (recordHash(r.prevHash, r) !== r.hash) return bad(r, 'the record was altered: its content does not match its hash');
    if (r.seq !== undefined && r.seq <= chain.rowSeq) return bad(r, 'the record is out of order: it was stored before the record it follows');
    chain.seq = r.chainSeq;
    chain.hash = r.hash;
    chain.rowSeq = r.seq ?? chain.rowSeq;
    records++;
  }
  const ended = endChain();
  if (ended) return ended;
  for (const h of heads.values()) {
    if (!seen.has(h.chainId) && h.headSeq > 0) return bad({ chainId: h.chainId, chainSeq: 1, requestId: '' }, `every record of the chain is missing (its head says ${h.headSeq})`);
  }
  return { ok: true, chains: heads.size, records };
}
