/**
 * The audit hash chain: each record's hash is SHA-256 over the previous record's hash and the
 * record's canonical content (a JSON array of its fields in a fixed order), so altering, removing
 * or reordering any record breaks every hash after it. A chain starts from a hash of its id.
 */
import { createHash } from 'node:crypto';

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
  return createHash('sha256').update(`dew-audit/v1|${chainId}`).digest('hex');
}

export function canonicalContent(r: ChainedContent): string {
  return JSON.stringify([
    r.chainId, r.chainSeq, r.at, r.requestId, r.domainId, r.userId, r.accessKey, r.sourceIp,
    r.operation, r.resourceId, r.outcome, r.status, r.errorCode,
  ]);
}

export function recordHash(prevHash: string, r: ChainedContent): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalContent(r)).digest('hex');
}
