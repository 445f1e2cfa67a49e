/** Which daemon calls the client retries and how long it waits: idempotent calls only, at most three tries. */

export const MAX_TRIES = 3;

/** `idempotent`: GET/HEAD, retried on network errors and 429/502/503/504; `read_only`: a read-only POST operation, retried on network errors before a response; `none`: never retried. */
export type RetryKind = 'idempotent' | 'read_only' | 'none';

const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

/** KMS reads are POSTs (reference §0); they are known by name: describe-*, list-*, get-*. */
export function isReadOnlyOperation(operation: string): boolean {
  if (typeof operation !== 'string') throw new TypeError('operation must be a string');
  return operation.startsWith('describe-') || operation.startsWith('list-') || operation.startsWith('get-');
}

/** Classifies a call by method and, for POSTs, by the operation named in the last path segment. */
export function retryKind(method: string, path: string): RetryKind {
  if (typeof method !== 'string' || typeof path !== 'string') throw new TypeError('method and path must be strings');
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'idempotent';
  if (m !== 'POST') return 'none';
  const clean = path.split('?')[0].replace(/\/+$/, '');
  return isReadOnlyOperation(clean.slice(clean.lastIndexOf('/') + 1)) ? 'read_only' : 'none';
}

/** Whether attempt number `attempt` (1-based) may be followed by another. */
export function shouldRetry(
  kind: RetryKind,
  attempt: number,
  outcome: { readonly status: number } | { readonly networkError: true; readonly afterResponse: boolean },
): boolean {
  if (attempt >= MAX_TRIES) return false;
  switch (kind) {
    case 'none':
      return false;
    case 'idempotent':
      return 'status' in outcome ? RETRY_STATUSES.has(outcome.status) : true;
    case 'read_only':
      return !('status' in outcome) && !outcome.afterResponse;
  }
}

/** Exponential backoff with jitter: ~100 ms, ~200 ms, … capped at 2 s. `random` returns [0, 1). */
export function backoffMs(attempt: number, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new TypeError('attempt must be a positive integer');
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
