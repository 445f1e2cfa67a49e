/**
 * Authentication and authorization middleware: an `SDK-HMAC-SHA256` signature (reference section 7)
 * or an `X-Auth-Token`, the AK lockout, the account's IP allow-list (401 `APIGW.0301`), then the
 * role check (403 KMS.0307; services/authorization.ts). Reads the body once; no database read.
 */
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { DewError, kmsErrors } from '../errors.js';
import type { IdentityService, Principal } from '../services/identity.js';
import type { Caller } from '../services/caller.js';
import { verifySdkSignature, type SignatureFailure } from './auth/sdk-signature.js';
import { toSdkSignedRequest } from './auth/sdk-request.js';
import { verifyToken, type TokenFailure, type TokenClaims } from './auth/token.js';
import type { AppEnv } from './env.js';
import { AkLockout } from './auth/ak-lockout.js';
import { accessFor, allows, isGrantable, type Access } from '../services/authorization.js';

export const MAX_BODY_BYTES = 64 * 1024;
const VERIFIED_TOKENS_MAX = 10_000;
const EMPTY = new Uint8Array(0);

const SIGNATURE_MESSAGES: Record<SignatureFailure, string> = {
  missing: 'Incorrect IAM authentication information: x-auth-token not found',
  malformed: 'Incorrect IAM authentication information: verify aksk signature fail',
  unknown_ak: 'Incorrect IAM authentication information: Get secretKey failed',
  bad_date: 'Incorrect IAM authentication information: verify aksk signature fail, invalid X-Sdk-Date',
  skew: 'Incorrect IAM authentication information: verify aksk signature fail, X-Sdk-Date is out of the 15-minute window',
  bad_signature: 'Incorrect IAM authentication information: verify aksk signature fail',
};
const TOKEN_MESSAGES: Record<TokenFailure, string> = {
  malformed: 'Incorrect IAM authentication information: decrypt token fail',
  bad_mac: 'Incorrect IAM authentication information: decrypt token fail',
  expired: 'Incorrect IAM authentication information: token expires',
};

const LOCKED_MESSAGE = 'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden';

export function unauthorized(message: string): DewError {
  return new DewError('APIGW.0301', 401, message);
}

export interface AuthDeps {
  identity: IdentityService;
  tokenKey: Uint8Array;
  now: () => number;
}

/** Reads the raw body, refusing oversize ones (KMS.0203) before buffering them whole. */
async function readBody(req: Request): Promise<Uint8Array> {
  if (req.method === 'GET' || req.method === 'HEAD') return EMPTY;
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw kmsErrors.tooLarge();
  // Not `req.body`: on @hono/node-server that materialises a full WHATWG stream per request.
  const buf = new Uint8Array(await req.arrayBuffer());
  if (buf.length > MAX_BODY_BYTES) throw kmsErrors.tooLarge();
  return buf;
}

function sourceIp(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return '';
  }
}

function toCaller(p: Principal, ip: string, access: Access, grantOnly: boolean): Caller {
  return { domainId: p.domainId, projectId: p.projectId, userId: p.userId, accessKey: p.accessKey, roles: p.roles, sourceIp: ip, operation: access.operation, grantOnly };
}

export function authenticate(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  if (!deps?.identity || !(deps.tokenKey instanceof Uint8Array)) throw new TypeError('deps: identity and tokenKey are required');
  // Tokens already verified (MAC and claims), until they expire: the hot path skips the MAC and JSON.
  const verified = new Map<string, TokenClaims>();
  const lockout = new AkLockout(deps.now);
  return async (c, next) => {
    const body = await readBody(c.req.raw);
    c.set('rawBody', body);
    const token = c.req.header('x-auth-token');
    let principal: Principal | undefined;
    if (token !== undefined) {
      const now = deps.now();
      let claims = verified.get(token);
      if (!claims || claims.expiresAtMs <= now) {
        const r = verifyToken(deps.tokenKey, token, now);
        if (!r.ok) throw unauthorized(TOKEN_MESSAGES[r.reason]);
        claims = r.claims;
        if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear();
        verified.set(token, claims);
      }
      // The AK behind the token is looked up each time, so deleting it ends the token at once.
      principal = deps.identity.principal(claims.accessKey);
      if (!principal || principal.userId !== claims.userId) throw unauthorized(TOKEN_MESSAGES.malformed);
    } else {
      const r = verifySdkSignature(toSdkSignedRequest(c.req.raw, body), deps.identity.secretFor, deps.now());
      // Reference §7: five bad signatures in a row lock the AK for five minutes, correct ones included.
      if (r.accessKey !== undefined && lockout.isLocked(r.accessKey)) throw unauthorized(LOCKED_MESSAGE);
      if (!r.ok) {
        if (r.reason === 'bad_signature' && r.accessKey !== undefined) lockout.fail(r.accessKey);
        const msg = SIGNATURE_MESSAGES[r.reason];
        throw unauthorized(r.reason === 'unknown_ak' ? `${msg},ak:${r.accessKey ?? ''},err:ak not exist` : msg);
      }
      // An unsigned payload leaves the body open to tampering: accepted only when there is none.
      if (r.unsignedPayload && body.length > 0) throw unauthorized(`${SIGNATURE_MESSAGES.bad_signature}: UNSIGNED-PAYLOAD is not accepted with a body`);
      principal = deps.identity.principal(r.accessKey);
      if (!principal) throw unauthorized(SIGNATURE_MESSAGES.unknown_ak);
      lockout.succeed(r.accessKey);
    }
    const projectId = c.req.param('project_id');
    if (projectId !== undefined && projectId !== principal.projectId) {
      throw unauthorized(`Incorrect IAM authentication information: the credential is not valid for project ${projectId.slice(0, 64)}`);
    }
    const ip = sourceIp(c);
    const acl = deps.identity.ipAllowList(principal.domainId);
    if (acl && !acl.allows(ip)) throw unauthorized(`Incorrect IAM authentication information: current ip:${ip} refused`);
    const access = accessFor(c.req.method, c.req.path);
    const allowed = allows(principal.permissions, access.permission);
    // Without the role, only the grantable operations go on: a grant on the key may still allow them.
    if (!allowed && !isGrantable(access.operation)) throw kmsErrors.noApiPermission();
    c.set('caller', toCaller(principal, ip, access, !allowed));
    await next();
  };
}
