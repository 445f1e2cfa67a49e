/**
 * Authentication and authorization: an `SDK-HMAC-SHA256` signature (reference section 7) or an
 * `X-Auth-Token`, the AK lockout (per AK and source address), the account's IP allow-list (401 `APIGW.0301`), then the role
 * check against what the declared route needs (403 KMS.0307; services/authorization.ts). No
 * database read. `Authenticator` decides from a framework-neutral request; both HTTP paths (the
 * op lane and the Hono routes, daemon/app.ts) call it with the route's declared `Access`.
 */
import type { IncomingMessage } from 'node:http';
import { DewError, kmsErrors } from '../errors.js';
import type { IdentityService, Principal } from '../services/identity.js';
import type { Caller } from '../services/caller.js';
import { verifySdkSignature, type SdkSignedRequest, type SignatureFailure } from './auth/sdk-signature.js';
import { verifyToken, type TokenFailure, type TokenClaims } from './auth/token.js';
import type { TokenMac } from '../hsm/token-mac.js';
import { AkLockout } from './auth/ak-lockout.js';
import { allows, isGrantable, type Access } from '../services/authorization.js';
import { tokenHash, type TokenRevocations } from '../services/token-revocations.js';

const VERIFIED_TOKENS_MAX = 10_000;

const SIGNATURE_MESSAGES: Record<SignatureFailure, string> = {
  missing: 'Incorrect IAM authentication information: x-auth-token not found',
  malformed: 'Incorrect IAM authentication information: verify aksk signature fail',
  // The same answer as a wrong secret: a refusal never tells whether an AK exists.
  unknown_ak: 'Incorrect IAM authentication information: verify aksk signature fail',
  bad_date: 'Incorrect IAM authentication information: verify aksk signature fail, invalid X-Sdk-Date',
  skew: 'Incorrect IAM authentication information: verify aksk signature fail, X-Sdk-Date is out of the 15-minute window',
  bad_signature: 'Incorrect IAM authentication information: verify aksk signature fail',
};
const TOKEN_MESSAGES: Record<TokenFailure, string> = {
  malformed: 'Incorrect IAM authentication information: decrypt token fail',
  bad_mac: 'Incorrect IAM authentication information: decrypt token fail',
  expired: 'Incorrect IAM authentication information: token expires',
};

const REVOKED_MESSAGE = 'Incorrect IAM authentication information: the token was revoked (signed out)';

const LOCKED_MESSAGE = 'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden';

export function unauthorized(message: string): DewError {
  return new DewError('APIGW.0301', 401, message);
}

export interface AuthDeps {
  identity: IdentityService;
  /** MACs and checks bearer tokens; the key stays in the HSM. */
  tokenKey: TokenMac;
  now: () => number;
  /** The AK lockout (shared with other daemons by the caller); one of this daemon's own when absent. */
  lockout?: AkLockout;
  /** Tokens revoked before their expiry (console sign-out), shared with the other daemons; none when absent. */
  revocations?: TokenRevocations;
}

/** A request as authentication sees it: the signed parts (raw path, raw query, headers, exact body) and where it came from. */
export interface AuthRequest extends SdkSignedRequest {
  /** The `{project_id}` path segment, when the route has one. */
  readonly projectId: string | undefined;
  readonly sourceIp: string;
  /** What the declared route does and needs (never guessed from the path). */
  readonly access: Access;
}

/** Case-insensitive header access over node's parsed headers (duplicates joined as Fetch does). */
export function nodeHeader(req: IncomingMessage): (name: string) => string | undefined {
  const h = req.headers;
  return (name) => {
    const v = h[name];
    return typeof v === 'string' ? v : v === undefined ? undefined : v.join(', ');
  };
}

function toCaller(p: Principal, ip: string, access: Access, grantOnly: boolean, tokenExpiresAtMs: number | undefined): Caller {
  // One object shape for every caller (the field is there, undefined, for signed requests): the
  // data path reads callers everywhere, and two shapes would make those reads polymorphic.
  return { domainId: p.domainId, projectId: p.projectId, userId: p.userId, accessKey: p.accessKey, roles: p.roles, sourceIp: ip, operation: access.operation, grantOnly, tokenExpiresAtMs };
}

export class Authenticator {
  // Tokens already verified (MAC and claims), until they expire: the hot path skips the MAC and JSON.
  // Each with its hash, so a revocation (named by hash) finds and drops it.
  private readonly verified = new Map<string, { claims: TokenClaims; hash: string }>();
  private readonly lockout: AkLockout;

  constructor(private readonly deps: AuthDeps) {
    if (!deps?.identity || typeof deps.tokenKey?.verifyTokenMac !== 'function') throw new TypeError('deps: identity and tokenKey are required');
    this.lockout = deps.lockout ?? new AkLockout(deps.now);
    deps.revocations?.onRevoke((hash) => {
      for (const [token, v] of this.verified) if (v.hash === hash) this.verified.delete(token);
    });
  }

  /**
   * The caller a route proved itself (the console's sign-in token, for a route that takes no
   * credential): the access key's principal, still the same user, through the IP allow-list.
   */
  identify(accessKey: string, userId: string, sourceIp: string, access: Access): Caller {
    const principal = this.deps.identity.principal(accessKey);
    if (!principal || principal.userId !== userId) throw unauthorized(TOKEN_MESSAGES.malformed);
    const acl = this.deps.identity.ipAllowList(principal.domainId);
    if (acl && !acl.allows(sourceIp)) throw unauthorized(`Incorrect IAM authentication information: current ip:${sourceIp} refused`);
    return toCaller(principal, sourceIp, access, !allows(principal.permissions, access.permission), undefined);
  }

  /** The caller the request proves it is, allowed to attempt the operation; throws the 401/403 otherwise. */
  authenticate(req: AuthRequest): Caller {
    const token = req.header('x-auth-token');
    const claims = token !== undefined ? this.tokenClaims(token) : undefined;
    const principal = claims !== undefined ? this.byToken(claims) : this.bySignature(req);
    const projectId = req.projectId;
    if (projectId !== undefined && projectId !== principal.projectId) {
      throw unauthorized(`Incorrect IAM authentication information: the credential is not valid for project ${projectId.slice(0, 64)}`);
    }
    const ip = req.sourceIp;
    const acl = this.deps.identity.ipAllowList(principal.domainId);
    if (acl && !acl.allows(ip)) throw unauthorized(`Incorrect IAM authentication information: current ip:${ip} refused`);
    const access = req.access;
    const allowed = allows(principal.permissions, access.permission);
    // Without the role, only the grantable operations go on: a grant on the key may still allow them.
    if (!allowed && !isGrantable(access.operation)) throw kmsErrors.noApiPermission();
    return toCaller(principal, ip, access, !allowed, claims?.expiresAtMs);
  }

  private tokenClaims(token: string): TokenClaims {
    const now = this.deps.now();
    const cached = this.verified.get(token);
    if (cached && cached.claims.expiresAtMs > now) return cached.claims;
    const r = verifyToken(this.deps.tokenKey, token, now);
    if (!r.ok) throw unauthorized(TOKEN_MESSAGES[r.reason]);
    const hash = tokenHash(token);
    if (this.deps.revocations?.isRevoked(hash)) throw unauthorized(REVOKED_MESSAGE);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.clear();
    this.verified.set(token, { claims: r.claims, hash });
    return r.claims;
  }

  private byToken(claims: TokenClaims): Principal {
    // The AK behind the token is looked up each time, so deleting it ends the token at once.
    const principal = this.deps.identity.principal(claims.accessKey);
    if (!principal || principal.userId !== claims.userId) throw unauthorized(TOKEN_MESSAGES.malformed);
    return principal;
  }

  private bySignature(req: AuthRequest): Principal {
    const r = verifySdkSignature(req, this.deps.identity.secretFor, this.deps.now());
    // Reference §7: five bad signatures in a row lock the AK for five minutes, correct ones
    // included; counted per source address, so a stranger locks out only themselves.
    const source = req.sourceIp;
    if (r.accessKey !== undefined && this.lockout.isLocked(r.accessKey, source)) throw unauthorized(LOCKED_MESSAGE);
    if (!r.ok) {
      // Unknown AKs count as wrong secrets do: their lock, like their answer, is the same.
      if ((r.reason === 'bad_signature' || r.reason === 'unknown_ak') && r.accessKey !== undefined) this.lockout.fail(r.accessKey, source);
      throw unauthorized(SIGNATURE_MESSAGES[r.reason]);
    }
    // An unsigned payload leaves the body open to tampering: accepted only when there is none.
    if (r.unsignedPayload && req.body.length > 0) throw unauthorized(`${SIGNATURE_MESSAGES.bad_signature}: UNSIGNED-PAYLOAD is not accepted with a body`);
    const principal = this.deps.identity.principal(r.accessKey);
    if (!principal) throw unauthorized(SIGNATURE_MESSAGES.unknown_ak);
    this.lockout.succeed(r.accessKey, source);
    return principal;
  }
}
