/**
 * The op lane: serves the static `POST /{version}/{project_id}/…` routes of the route table (the
 * KMS operations and their kind, http/route-table.ts) straight from node's request and response,
 * with the same authentication, audit trail, body reader, error writer and route runner as the
 * Hono routes, and so the same answers and errors. It exists for speed: the data path skips the
 * Fetch Request/Response objects, the middleware chain and the router (about half of a small
 * encrypt-data's cost), and its answers are written together at the end of each event-loop turn
 * (http/coalesced-writer.ts). A percent-escaped path is decoded here as Hono decodes it
 * (`decodeURI`: `%2F` stays a character of its segment). Every other request goes to `fallback`.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CoalescedWriter } from './coalesced-writer.js';
import { kmsErrors, toErrorBody } from '../errors.js';
import type { AuditDraft } from '../services/audit.js';
import type { Caller } from '../services/caller.js';
import { nodeHeader, type Authenticator } from './authenticate.js';
import { assertDeclaredLength, endAfterAnswer, readBody } from './body-reader.js';
import { errorReply } from './error-reply.js';
import type { AuditTrail } from './audit-trail.js';
import type { CompiledRoute } from './route-table.js';
import { jsonTextOf } from '../modules/json-text.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface OpLaneDeps {
  /** The lane's routes by `{version}/{rest}` (route-table.ts `laneKey`). */
  routes: ReadonlyMap<string, CompiledRoute>;
  authenticator: Authenticator;
  trail?: AuditTrail;
  nextId: () => string;
  logError: (err: unknown, requestId: string) => void;
  fallback: RequestListener;
}

export interface LaneTarget {
  route: CompiledRoute;
  /** The path as sent (the signature covers it). */
  path: string;
  rawQuery: string;
  projectId: string;
}

const JSON_TYPE = 'application/json';
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The lane route a request target names, if any (the path decoded as Hono decodes it). */
export function matchLane(url: string, routes: ReadonlyMap<string, CompiledRoute>): LaneTarget | undefined {
  if (url.charCodeAt(0) !== 47 /* / */) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURI(path);
    } catch {
      return undefined;
    }
  }
  const versionEnd = decoded.indexOf('/', 1);
  if (versionEnd < 0) return undefined;
  const pidEnd = decoded.indexOf('/', versionEnd + 1);
  if (pidEnd <= versionEnd + 1) return undefined;
  const route = routes.get(decoded.slice(1, versionEnd) + decoded.slice(pidEnd));
  if (!route) return undefined;
  return { route, path, rawQuery: q < 0 ? '' : url.slice(q + 1), projectId: decoded.slice(versionEnd + 1, pidEnd) };
}

function headersFor(payload: string | undefined, requestId: string, close: boolean, extra: Record<string, string> | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders =
    payload === undefined
      ? { 'x-request-id': requestId, 'content-length': 0 }
      : { 'content-type': JSON_TYPE, 'x-request-id': requestId, 'content-length': Buffer.byteLength(payload) };
  if (extra) Object.assign(headers, extra);
  if (close) headers.connection = 'close';
  return headers;
}

/** The query of a target without one (every data-path call): one function, not a closure a request. */
const NO_QUERY = (): undefined => undefined;

/** One query-string parameter, parsed on first use. */
function lazyQuery(rawQuery: string): (name: string) => string | undefined {
  if (rawQuery === '') return NO_QUERY;
  let params: URLSearchParams | undefined;
  return (name) => (params ??= new URLSearchParams(rawQuery)).get(name) ?? undefined;
}

export function opLane(d: OpLaneDeps): RequestListener {
  const writer = new CoalescedWriter((err) => d.logError(err, ''));
  // The writer skips answers whose client has gone by the time it writes.
  const send = (res: ServerResponse, status: number, payload: string | undefined, requestId: string, close: boolean, extra?: Record<string, string>): void =>
    writer.write(res, status, headersFor(payload, requestId, close, extra), payload);

  const finish = (req: IncomingMessage, res: ServerResponse, t: LaneTarget, requestId: string, draft: AuditDraft | undefined, caller: Caller | undefined, err: unknown, answer: unknown, extra?: Record<string, string>): void => {
    try {
      let status: number = t.route.status;
      let payload: string | undefined;
      let close = false;
      if (err !== undefined) {
        const e = errorReply(err, requestId, d.logError);
        status = e.status;
        payload = e.payload;
        close = e.close;
      } else if (answer !== undefined && status !== 204) {
        payload = jsonTextOf(answer) ?? JSON.stringify(answer);
      }
      if (close) endAfterAnswer(req);
      send(res, status, payload, requestId, close, err === undefined ? extra : undefined);
      d.trail?.close(draft, caller, req.headers.authorization, req.socket.remoteAddress ?? '', status, err);
    } catch (e) {
      // Never an unhandled rejection: the request is answered 500 if it still can be.
      d.logError(e, requestId);
      send(res, 500, JSON.stringify(toErrorBody(kmsErrors.internal(), requestId)), requestId, true);
    }
  };

  const run = (req: IncomingMessage, res: ServerResponse, t: LaneTarget, requestId: string, draft: AuditDraft | undefined, body: Buffer): void => {
    let caller: Caller | undefined;
    // One header reader for authentication and the route alike.
    const header = nodeHeader(req);
    try {
      caller = d.authenticator.authenticate({
        method: 'POST',
        path: t.path,
        rawQuery: t.rawQuery,
        header,
        body,
        projectId: t.projectId,
        sourceIp: req.socket.remoteAddress ?? '',
        access: t.route.access,
      });
      d.trail?.bindCaller(draft, caller);
      const c = caller;
      let extra: Record<string, string> | undefined;
      t.route
        .run({ caller, raw: body, audit: draft, params: NO_PARAMS, query: lazyQuery(t.rawQuery), setHeader: (name, value) => ((extra ??= {})[name.toLowerCase()] = value), header })
        .then(
          (answer) => finish(req, res, t, requestId, draft, c, undefined, answer, extra),
          (err: unknown) => finish(req, res, t, requestId, draft, c, err, undefined),
        );
    } catch (err) {
      finish(req, res, t, requestId, draft, caller, err, undefined);
    }
  };

  return (req, res) => {
    const t = req.method === 'POST' ? matchLane(req.url ?? '', d.routes) : undefined;
    if (!t) return d.fallback(req, res);
    const requestId = d.nextId();
    const draft = d.trail?.open(t.route.access.operation, requestId);
    try {
      assertDeclaredLength(req.headers['content-length'], t.route.maxBodyBytes);
    } catch (err) {
      // The body is left unread: the connection closes after the answer.
      return finish(req, res, t, requestId, draft, undefined, t.route.bodyError(err), undefined);
    }
    readBody(req, (err, body) => {
      if (err) finish(req, res, t, requestId, draft, undefined, t.route.bodyError(err), undefined);
      else run(req, res, t, requestId, draft, body);
    }, t.route.maxBodyBytes);
  };
}
