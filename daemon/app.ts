/**
 * The HTTP front: the Hono app (middleware, one onError, mounted routes) behind the op lane, which
 * serves the KMS operations directly (http/op-lane.ts). No I/O on import.
 */
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { kmsErrors, toClientError, toErrorBody } from './errors.js';
import { authenticate, Authenticator } from './http/authenticate.js';
import { opLane, type RequestListener } from './http/op-lane.js';
import type { OpTable } from './http/kms-op.js';
import { createAjv } from './http/validate.js';
import { kmsRoutes } from './http/kms-routes.js';
import { stackRoutes } from './http/stack-routes.js';
import { aliasRoutes } from './http/alias-routes.js';
import type { AliasService } from './services/aliases.js';
import { kmsAsymRoutes } from './http/kms-asym-routes.js';
import { grantRoutes } from './http/grant-routes.js';
import { adminRoutes } from './http/admin-routes.js';
import type { GrantService } from './services/grants.js';
import type { IamAdmin } from './services/iam-admin.js';
import { buildOpenApi } from './http/openapi.js';
import { issueToken } from './http/auth/token.js';
import type { AkLockout } from './http/auth/ak-lockout.js';
import type { AppEnv } from './http/env.js';
import type { TokenMac } from './hsm/token-mac.js';
import { auditTrail, AuditTrail } from './http/audit-trail.js';
import { rotationRoutes } from './http/rotation-routes.js';
import { auditRoutes } from './http/audit-routes.js';
import type { RotationService } from './services/rotation.js';
import type { AuditLog } from './services/audit.js';
import type { AuditQueries } from './services/audit-queries.js';
import type { KeyService } from './services/keys.js';
import type { DataPlane } from './services/data-plane.js';
import type { TagService } from './services/tags.js';
import type { StackService } from './services/stacks.js';
import type { AsymmetricService } from './services/asymmetric.js';
import type { KeyImportService } from './services/key-import.js';
import type { IdentityService } from './services/identity.js';
import type { JsonSchema } from '../schemas/index.js';

export interface AppDeps {
  keys: KeyService;
  data: DataPlane;
  tags: TagService;
  /** Asymmetric keys and imported material (optional so partial test wirings still build). */
  asym?: AsymmetricService;
  imports?: KeyImportService;
  stacks: StackService;
  /** KMS aliases (reference 1g); optional so partial test wirings still build. */
  aliases?: AliasService;
  /** Grants (reference 1d) and IAM administration; optional so partial test wirings still build. */
  grants?: GrantService;
  iam?: IamAdmin;
  identity: IdentityService;
  tokenKey: TokenMac;
  schemas: Map<string, JsonSchema>;
  now: () => number;
  version: string;
  /** Key rotation (reference 1e), the audit trail and its queries; optional so partial test wirings still build. */
  rotation?: RotationService;
  audit?: AuditLog;
  auditQueries?: AuditQueries;
  /** Reports unexpected errors (never with request bodies). */
  logError: (err: unknown, requestId: string) => void;
  /** Token lifetime (default 24 h). */
  tokenTtlMs?: number;
  /** The AK lockout, shared with the other daemons on the database (one of the app's own when absent). */
  lockout?: AkLockout;
}

/** Request ids: a per-process random prefix and a counter (cheap, unique, 32 hex chars). */
function requestIds(): () => string {
  const prefix = randomBytes(8).toString('hex');
  let n = 0;
  return () => prefix + (n++).toString(16).padStart(16, '0');
}

/** The Hono app and the node request listener that serves it behind the op lane. */
export interface HttpFront {
  app: Hono<AppEnv>;
  listener: RequestListener;
}

export function createApp(d: AppDeps): HttpFront {
  const app = new Hono<AppEnv>();
  const nextId = requestIds();
  const ops: OpTable = new Map();
  const openapi = buildOpenApi(d.schemas, d.version);

  app.use(async (c, next) => {
    const id = nextId();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  });
  // The audit trail wraps authentication, so refused calls (401, 403) are recorded too.
  const trail = d.audit && new AuditTrail({ audit: d.audit, now: d.now, ownerOf: (ak) => d.identity.principal(ak), keyIdOf: (caller, id) => d.keys.find(caller, id)?.keyId });
  const audit = trail && auditTrail(trail);
  if (audit) app.use(audit.trail);

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? '';
    const e = toClientError(err, (x) => d.logError(x, requestId));
    c.header('X-Request-Id', requestId);
    return c.json(toErrorBody(e, requestId), e.status as 400);
  });
  app.notFound((c) => c.json(toErrorBody(kmsErrors.unknownApi(), c.get('requestId') ?? ''), 404));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/', (c) => c.json({ versions: [versionDetail(c.req.url)] }));
  app.get('/v1.0', (c) => c.json({ version: versionDetail(c.req.url) }));

  const authenticator = new Authenticator({ identity: d.identity, tokenKey: d.tokenKey, now: d.now, lockout: d.lockout });
  const auth = authenticate(authenticator);
  app.use('/v1.0/:project_id/*', auth);
  app.use('/v3/auth/*', auth);
  if (audit) app.use('/v1.0/:project_id/*', audit.bindCaller);

  const ajv = createAjv();
  if (d.aliases) app.route('/v1.0/:project_id/kms', aliasRoutes({ aliases: d.aliases, ajv, schemas: d.schemas }));
  if (d.grants) app.route('/v1.0/:project_id/kms', grantRoutes({ grants: d.grants, ajv, schemas: d.schemas, ops }));
  const grants = d.grants;
  app.route('/v1.0/:project_id/kms', kmsRoutes({ keys: d.keys, data: d.data, tags: d.tags, asym: d.asym, ajv, schemas: d.schemas, ops, grantsPerKeyUsed: grants && ((caller) => grants.mostGrantsPerKey(caller.projectId)) }));
  if (d.iam) app.route('/v1.0/:project_id/dew/iam', adminRoutes({ iam: d.iam }));
  if (d.asym && d.imports) app.route('/v1.0/:project_id/kms', kmsAsymRoutes({ asym: d.asym, imports: d.imports, ajv, schemas: d.schemas, ops }));
  app.route('/v1.0/:project_id/dew/stacks', stackRoutes({ stacks: d.stacks, ajv, schemas: d.schemas }));
  if (d.rotation) app.route('/v1.0/:project_id/kms', rotationRoutes({ rotation: d.rotation, ajv, schemas: d.schemas, ops }));
  if (d.auditQueries) app.route('/v1.0/:project_id/dew/audit', auditRoutes({ queries: d.auditQueries }));

  // Tokens for X-Auth-Token (IAM-shaped): a signed request gets a 24-hour bearer token.
  app.post('/v3/auth/tokens', (c) => {
    const caller = c.get('caller');
    const expiresAtMs = d.now() + (d.tokenTtlMs ?? 86_400_000);
    const token = issueToken(d.tokenKey, { userId: caller.userId, domainId: caller.domainId, projectId: caller.projectId, accessKey: caller.accessKey, expiresAtMs });
    c.header('X-Subject-Token', token);
    return c.json(
      {
        token: {
          expires_at: new Date(expiresAtMs).toISOString(),
          user: { id: caller.userId, domain: { id: caller.domainId } },
          project: { id: caller.projectId },
        },
      },
      201,
    );
  });
  const listener = opLane({ ops, authenticator, trail, nextId, logError: d.logError, fallback: getRequestListener(app.fetch) });
  return { app, listener };
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
