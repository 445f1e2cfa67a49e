/**
 * The one request-body reader of the HTTP edge (op lane and Hono routes alike): reads node's
 * request stream up to MAX_BODY_BYTES and stops buffering there, so no route holds more than the
 * limit in memory, whatever a client streams (issue 10: a 500 MB chunked body to an
 * unauthenticated route used to be buffered whole). Over the limit the caller answers KMS.0203 and
 * the connection ends (`endAfterAnswer`): the rest is discarded, never kept.
 */
import type { IncomingMessage } from 'node:http';
import { kmsErrors, type DewError } from '../errors.js';

/** The largest request body any route accepts (reference: 64 KiB messages). */
export const MAX_BODY_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/** Refuses a declared body over the limit before any of it is read (KMS.0203). */
export function assertDeclaredLength(contentLength: string | undefined, limit = MAX_BODY_BYTES): void {
  if (contentLength !== undefined && Number(contentLength) > limit) throw kmsErrors.tooLarge();
}

/**
 * Reads the whole body, then calls `done` once: with the bytes, or with KMS.0203 as soon as more
 * than MAX_BODY_BYTES arrived (what follows is discarded as it arrives). Plain callbacks: a promise
 * and a third listener per request cost measurably on the data path. An aborted request never
 * calls back (nobody is left to answer).
 */
export function readBody(req: IncomingMessage, done: (err: DewError | undefined, body: Buffer) => void, limit = MAX_BODY_BYTES): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (size < 0) return;
    size += chunk.length;
    if (size > limit) {
      size = -1;
      first = undefined;
      chunks = undefined;
      done(kmsErrors.tooLarge(), EMPTY);
    } else if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (size >= 0) done(undefined, chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
  });
}

/** `readBody` as a promise, for the Hono routes; GET and HEAD carry no body. */
export function readBodyOf(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  if (req.method === 'GET' || req.method === 'HEAD') return Promise.resolve(EMPTY);
  try {
    assertDeclaredLength(req.headers['content-length'], limit);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => readBody(req, (err, body) => (err ? reject(err) : resolve(body)), limit));
}

/** How long a connection refused for its body may go on sending (discarded) before it is cut. */
const GRACE_MS = 2000;

/**
 * Makes the `Connection: close` after this answer graceful: node ends such a connection by
 * destroying the socket as soon as the answer is written, and with the client's unread body still
 * arriving that sends a reset, on which the client's TCP stack may drop the answer before reading
 * it. Here the socket sends its FIN instead, what the client still sends is read and discarded,
 * and it is cut GRACE_MS later at the latest.
 */
export function endAfterAnswer(req: IncomingMessage): void {
  const socket = req.socket as IncomingMessage['socket'] & { destroySoon?: () => void };
  socket.destroySoon = () => {
    if (!socket.writableEnded) socket.end();
    const timer = setTimeout(() => socket.destroy(), GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  req.on('data', () => undefined);
  req.resume();
}
