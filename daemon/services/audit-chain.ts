/**
 * The audit hash chain: each record's hash is SHA-256 over the previous record's hash and the
 * record's canonical content (a JSON array of its fields in a fixed order), so altering, removing
 * or reordering any record breaks every hash after it. A chain starts from a hash of its id.
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

/** A chained record: its content, its link to the previous record and its own hash. */
export interface ChainedRow extends ChainedContent {
  prevHash: string;
  hash: string;
}

/**
 * Chains `entries` after the record at `headSeq` whose hash is `headHash`. Self-contained (no
 * reference outside its parameters, no nested functions): the audit writer thread runs this very
 * function from its source text (store/batch-worker.ts), so the chain has one definition.
 */
export function chainEntries(sha256Hex: (text: string) => string, chainId: string, headSeq: number, headHash: string, entries: readonly UnchainedContent[]): ChainedRow[] {
  const rows: ChainedRow[] = [];
  let seq = headSeq;
  let prev = headHash;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const chainSeq = ++seq;
    const content = JSON.stringify([chainId, chainSeq, e.at, e.requestId, e.domainId, e.userId, e.accessKey, e.sourceIp, e.operation, e.resourceId, e.outcome, e.status, e.errorCode]);
    const h = sha256Hex(prev + '\n' + content);
    rows.push({
      chainId, chainSeq, at: e.at, requestId: e.requestId, domainId: e.domainId, userId: e.userId, accessKey: e.accessKey, sourceIp: e.sourceIp,
      operation: e.operation, resourceId: e.resourceId, outcome: e.outcome, status: e.status, errorCode: e.errorCode, prevHash: prev, hash: h,
    });
    prev = h;
  }
  return rows;
}

export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/** The hash a record must carry, given the previous record's hash. */
export function recordHash(prevHash: string, r: ChainedContent): string {
  return chainEntries(sha256Hex, r.chainId, r.chainSeq - 1, prevHash, [r])[0].hash;
}
