/**
 * The op lane: serves `POST /v1.0/{project_id}/kms/{operation}` straight from node's request and
 * response, with the same authentication, audit trail and operation table as the Hono routes
 * (`Authenticator`, `AuditTrail`, kms-op.ts), and the same answers and errors. It exists for speed:
 * the data path skips the Fetch Request/Response objects, the middleware chain and the router
 * (about half of a small encrypt-data's cost), and its answers are written together at the end of
 * each event-loop turn (http/coalesced-writer.ts). Everything else, and any operation path in an
 * unusual form (percent-escapes, extra segments), goes to `fallback` (Hono) unchanged.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CoalescedWriter } from './coalesced-writer.js';
import { kmsErrors, toClientError, toErrorBody, type DewError } from '../errors.js';
import type { AuditDraft } from '../services/audit.js';
import type { Access } from '../services/authorization.js';
import type { Caller } from '../services/caller.js';
import { assertDeclaredLength, MAX_BODY_BYTES, nodeHeader, type Authenticator } from './authenticate.js';
import type { AuditTrail } from './audit-trail.js';
import type { OpRoute, OpTable } from './kms-op.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface OpLaneDeps {
  ops: OpTable;
  authenticator: Authenticator;
  trail?: AuditTrail;
  nextId: () => string;
  logError: (err: unknown, requestId: string) => void;
  fallback: RequestListener;
}

interface Target {
  route: OpRoute;
  access: Access;
  path: string;
  rawQuery: string;
  projectId: string;
}

const PREFIX = '/v1.0/';
const KMS = '/kms/';
const EMPTY = Buffer.alloc(0);
const JSON_TYPE = 'application/json';

/** The operation a request target names, when it is one of `ops` in canonical form. */
export function matchOp(url: string, ops: OpTable): Target | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // Hono decodes escapes before routing; such paths are left to it.
  if (path.includes('%')) return undefined;
  const pidEnd = path.indexOf('/', PREFIX.length);
  if (pidEnd <= PREFIX.length || !path.startsWith(KMS, pidEnd)) return undefined;
  const name = path.slice(pidEnd + KMS.length);
  const op = name.includes('/') ? undefined : ops.get(name);
  if (!op) return undefined;
  return { route: op.run, access: op.access, path, rawQuery: q < 0 ? '' : url.slice(q + 1), projectId: path.slice(PREFIX.length, pidEnd) };
}

/**
 * Reads the whole body, then calls `done` once: with the bytes, or with KMS.0203 as soon as more
 * than MAX_BODY_BYTES arrive (the rest is not buffered). Plain callbacks: a promise and a third
 * listener per request cost measurably on this path. An aborted request never calls back (nobody
 * is left to answer).
 */
function readBody(req: IncomingMessage, done: (err: DewError | undefined, body: Buffer) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (size < 0) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      size = -1;
      req.resume();
      done(kmsErrors.tooLarge(), EMPTY);
    } else if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (size >= 0) done(undefined, chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
  });
}

function headersFor(payload: string | undefined, requestId: string, close: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders =
    payload === undefined
      ? { 'x-request-id': requestId, 'content-length': 0 }
      : { 'content-type': JSON_TYPE, 'x-request-id': requestId, 'content-length': Buffer.byteLength(payload) };
  if (close) headers.connection = 'close';
  return headers;
}

export function opLane(d: OpLaneDeps): RequestListener {
  const writer = new CoalescedWriter((err) => d.logError(err, ''));
  // The writer skips answers whose client has gone by the time it writes.
  const send = (res: ServerResponse, status: number, payload: string | undefined, requestId: string, close: boolean): void =>
    writer.write(res, status, headersFor(payload, requestId, close), payload);
  const finish = (res: ServerResponse, requestId: string, draft: AuditDraft | undefined, caller: Caller | undefined, req: IncomingMessage, err: unknown, answer: unknown, close: boolean): void => {
    try {
      let status = 200;
      let payload: string | undefined;
      if (err !== undefined) {
        const e = toClientError(err, (x) => d.logError(x, requestId));
        status = e.status;
        payload = JSON.stringify(toErrorBody(e, requestId));
      } else if (answer !== undefined) {
        payload = JSON.stringify(answer);
      }
      send(res, status, payload, requestId, close);
      d.trail?.close(draft, caller, req.headers.authorization, req.socket.remoteAddress ?? '', status, err);
    } catch (e) {
      // Never an unhandled rejection: the request is answered 500 if it still can be.
      d.logError(e, requestId);
      send(res, 500, JSON.stringify(toErrorBody(kmsErrors.internal(), requestId)), requestId, true);
    }
  };

  const run = (req: IncomingMessage, res: ServerResponse, t: Target, requestId: string, draft: AuditDraft | undefined, body: Buffer): void => {
    let caller: Caller | undefined;
    try {
      caller = d.authenticator.authenticate({
        method: 'POST',
        path: t.path,
        rawQuery: t.rawQuery,
        header: nodeHeader(req),
        body,
        decodedPath: t.path,
        projectId: t.projectId,
        sourceIp: req.socket.remoteAddress ?? '',
        access: t.access,
      });
      d.trail?.bindCaller(draft, caller);
      const c = caller;
      t.route(caller, body, draft).then(
        (answer) => finish(res, requestId, draft, c, req, undefined, answer, false),
        (err: unknown) => finish(res, requestId, draft, c, req, err, undefined, false),
      );
    } catch (err) {
      finish(res, requestId, draft, caller, req, err, undefined, false);
    }
  };

  return (req, res) => {
    const t = req.method === 'POST' ? matchOp(req.url ?? '', d.ops) : undefined;
    if (!t) return d.fallback(req, res);
    const requestId = d.nextId();
    const draft = d.trail?.openOp(t.access.operation, requestId);
    try {
      assertDeclaredLength(req.headers['content-length']);
    } catch (err) {
      // The body is left unread: the connection closes after the answer.
      return finish(res, requestId, draft, undefined, req, err, undefined, true);
    }
    readBody(req, (err, body) => {
      if (err) finish(res, requestId, draft, undefined, req, err, undefined, true);
      else run(req, res, t, requestId, draft, body);
    });
  };
}
