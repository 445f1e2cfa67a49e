/**
 * The HTTP edge that serves every service module (modules/contract.ts): the route table built from
 * their declarations, the op lane for the static POST routes (http/op-lane.ts) and Hono for the
 * rest, each route behind authentication, the IP allow-list, the role check for its declared
 * permission, body validation against its schema and an audit record. Only the health and
 * discovery documents are served outside a module. No I/O on import.
 */
import { Hono, type Context } from 'hono';
import { getRequestListener } from '@hono/node-server';
import type { IncomingMessage } from 'node:http';
import { kmsErrors, toErrorBody } from './errors.js';
import { Authenticator, nodeHeader } from './http/authenticate.js';
import { opLane, type RequestListener } from './http/op-lane.js';
import { createAjv } from './http/validate.js';
import { buildRouteTable, type CompiledRoute, type RouteTable } from './http/route-table.js';
import { readBodyOf, assertDeclaredLength, endAfterAnswer, MAX_BODY_BYTES } from './http/body-reader.js';
import { errorReply, requestIds } from './http/error-reply.js';
import { splitRequestUrl } from './http/auth/sdk-request.js';
import { buildOpenApi } from './http/openapi.js';
import type { AkLockout } from './http/auth/ak-lockout.js';
import type { AppEnv } from './http/env.js';
import type { TokenMac } from './hsm/token-mac.js';
import { auditTrail, AuditTrail } from './http/audit-trail.js';
import type { AuditSink } from './services/audit.js';
import type { IdentityService } from './services/identity.js';
import type { ServiceModule } from './modules/contract.js';
import type { Caller } from './services/caller.js';
import type { TokenRevocations } from './services/token-revocations.js';
import { mountConsole } from './console/serve.js';
import type { JsonSchema } from '../schemas/index.js';

export interface AppDeps {
  /** The service modules to serve (KMS, IAM, stacks, audit, tokens, …). */
  modules: readonly ServiceModule[];
  identity: IdentityService;
  tokenKey: TokenMac;
  schemas: ReadonlyMap<string, JsonSchema>;
  now: () => number;
  version: string;
  /** The worker count of the cluster this process serves in (`/healthz` says it; absent: left out). */
  workers?: number;
  /** A cluster worker's write barrier: write routes await it before they answer (absent: one process). */
  afterWrite?: () => Promise<void>;
  /** The audit trail (absent with `--audit off`). */
  audit?: AuditSink;
  /** Reports unexpected errors (never with request bodies). */
  logError: (err: unknown, requestId: string) => void;
  /** The AK lockout, shared with the other daemons on the database (one of the app's own when absent). */
  lockout?: AkLockout;
  /** Tokens revoked before their expiry (console sign-out), mirrored from the database; none when absent. */
  revocations?: TokenRevocations;
}

/** The Hono app, the node request listener that serves it behind the op lane, and the route table. */
export interface HttpFront {
  app: Hono<AppEnv>;
  listener: RequestListener;
  routes: RouteTable;
}

const EMPTY = new Uint8Array(0);

/** The body of a request Hono got without node's message (`app.request()` in unit tests), within the same limit. */
async function fetchBody(req: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  if (req.method === 'GET' || req.method === 'HEAD') return EMPTY;
  assertDeclaredLength(req.headers.get('content-length') ?? undefined, limit);
  const buf = new Uint8Array(await req.arrayBuffer());
  if (buf.length > limit) throw kmsErrors.tooLarge();
  return buf;
}

/** One declared route as a Hono handler: body, authentication for its access, the run, the answer. */
function honoHandler(route: CompiledRoute, authenticator: Authenticator, trail: AuditTrail | undefined) {
  return async (c: Context<AppEnv>) => {
    const draft = c.get('audit');
    if (draft) draft.operation = route.access.operation;
    const incoming = incomingOf(c);
    let raw: Uint8Array;
    try {
      raw = incoming ? await readBodyOf(incoming, route.maxBodyBytes) : await fetchBody(c.req.raw, route.maxBodyBytes);
    } catch (err) {
      throw route.bodyError(err);
    }
    // The request target exactly as sent (the signature covers it), not a normalised URL.
    const { path, rawQuery } = splitRequestUrl(incoming?.url ?? c.req.url);
    const sourceIp = incoming?.socket.remoteAddress ?? '';
    if (route.public) {
      // The route proves its caller from the body and names it through identify().
      const identify = (accessKey: string, userId: string) => {
        const proved = authenticator.identify(accessKey, userId, sourceIp, route.access);
        c.set('caller', proved);
        trail?.bindCaller(draft, proved);
        return proved;
      };
      const anonymous: Caller = { domainId: '', projectId: '', userId: '', accessKey: '', roles: [], sourceIp, operation: route.access.operation, grantOnly: true };
      const answer = await route.run({ caller: anonymous, raw, audit: draft, params: c.req.param(), query: (name) => c.req.query(name), setHeader: (name, value) => c.header(name, value), header: (name) => c.req.header(name), identify });
      if (answer === undefined || route.status === 204) return c.body(null, route.status);
      return c.json(answer, route.status);
    }
    const caller = authenticator.authenticate({
      method: c.req.method,
      path,
      rawQuery,
      header: incoming ? nodeHeader(incoming) : (name: string) => c.req.header(name),
      body: raw,
      projectId: c.req.param('project_id'),
      sourceIp,
      access: route.access,
    });
    c.set('caller', caller);
    trail?.bindCaller(draft, caller);
    const answer = await route.run({ caller, raw, audit: draft, params: c.req.param(), query: (name) => c.req.query(name), setHeader: (name, value) => c.header(name, value), header: (name) => c.req.header(name) });
    if (answer === undefined || route.status === 204) return c.body(null, route.status);
    return c.json(answer, route.status);
  };
}

/** node's request behind a Hono context (@hono/node-server puts it in env). */
function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/** The answer says Connection: close and the connection ends gracefully after it, whatever the client still sends. */
function closeAfterAnswer(c: Context): void {
  c.header('Connection', 'close');
  const incoming = incomingOf(c);
  if (incoming) endAfterAnswer(incoming);
}

export function createApp(d: AppDeps): HttpFront {
  const routes = buildRouteTable(d.modules, createAjv(), d.schemas, d.afterWrite);
  const app = new Hono<AppEnv>();
  const nextId = requestIds();
  const openapi = buildOpenApi(routes, d.schemas, d.version);

  app.use(async (c, next) => {
    const id = nextId();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  });
  // The audit trail wraps routing and authentication, so refused and unknown calls are recorded too.
  const trail = d.audit && new AuditTrail({ audit: d.audit, now: d.now, ownerOf: (ak) => d.identity.principal(ak) });
  if (trail) app.use(auditTrail(trail, routes.prefixes));

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? '';
    const e = errorReply(err, requestId, d.logError);
    c.header('X-Request-Id', requestId);
    if (e.close) closeAfterAnswer(c);
    return c.body(e.payload, e.status as 400, { 'Content-Type': 'application/json' });
  });
  app.notFound((c) => {
    // No route reads the body: a client still sending one gets the answer, then the connection ends
    // gracefully (an abrupt reset could reach it before the 404 does).
    const incoming = incomingOf(c);
    if (incoming && !incoming.complete) closeAfterAnswer(c);
    return c.json(toErrorBody(kmsErrors.unknownApi(), c.get('requestId') ?? ''), 404);
  });

  const health = d.workers === undefined ? { status: 'ok' } : { status: 'ok', workers: d.workers };
  app.get('/healthz', (c) => c.json(health));
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/', (c) => c.json({ versions: [versionDetail(c.req.url)] }));
  app.get('/v1.0', (c) => c.json({ version: versionDetail(c.req.url) }));
  // The web console's static files (daemon/console/serve.ts): no credential, nothing but files.
  mountConsole(app);

  const authenticator = new Authenticator({ identity: d.identity, tokenKey: d.tokenKey, now: d.now, lockout: d.lockout, revocations: d.revocations });
  for (const route of routes.hono) app.on(route.method, route.pattern, honoHandler(route, authenticator, trail));

  const listener = opLane({ routes: routes.lane, authenticator, trail, nextId, logError: d.logError, fallback: getRequestListener(app.fetch) });
  return { app, listener, routes };
}

function versionDetail(url: string) {
  const base = new URL(url);
  return {
    id: 'v1.0',
    links: [{ href: `${base.origin}/v1.0/`, rel: 'self' }],
    version: '',
    status: 'CURRENT',
    updated: '2026-11-28T00:00:00Z',
    min_version: '',
  };
}
