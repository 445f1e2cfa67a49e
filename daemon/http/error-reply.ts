/**
 * The one error writer of the HTTP edge (op lane and Hono alike): a thrown error becomes the
 * reference error body (errors.ts) with its status; anything but a DewError is reported and
 * answered KMS.0101. An oversize body (KMS.0203) also closes the connection: the rest of it is
 * never read.
 */
import { randomBytes } from 'node:crypto';
import { toClientError, toErrorBody, type DewError } from '../errors.js';

export interface ErrorReply {
  readonly error: DewError;
  readonly status: number;
  /** The JSON body. */
  readonly payload: string;
  /** True when the connection must end after this answer (http/body-reader.ts `endAfterAnswer`). */
  readonly close: boolean;
}

export function errorReply(err: unknown, requestId: string, logError: (err: unknown, requestId: string) => void): ErrorReply {
  const e = toClientError(err, (x) => logError(x, requestId));
  return { error: e, status: e.status, payload: JSON.stringify(toErrorBody(e, requestId)), close: e.closesConnection };
}

/** Request ids: a per-process random prefix and a counter (cheap, unique, 32 hex chars). */
export function requestIds(): () => string {
  const prefix = randomBytes(8).toString('hex');
  let n = 0;
  return () => prefix + (n++).toString(16).padStart(16, '0');
}
