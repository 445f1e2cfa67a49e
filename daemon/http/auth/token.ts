/**
 * Stateless `X-Auth-Token` bearer tokens: `dewt1.` + base64url(JSON claims) + `.` + base64url(HMAC-SHA256(key, `dewt1.` + payload)).
 * The key never reaches this module: it MACs and checks through a TokenMac the HSM provides.
 */
import type { TokenMac } from '../../hsm/token-mac.js';

/** Who the token speaks for and until when (epoch ms, exclusive). */
export interface TokenClaims {
  readonly userId: string;
  readonly domainId: string;
  readonly projectId: string;
  readonly accessKey: string;
  readonly expiresAtMs: number;
}

export type TokenFailure = 'malformed' | 'bad_mac' | 'expired';

export type TokenResult = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: TokenFailure };

const PREFIX = 'dewt1.';
const MAC_B64_LENGTH = 43;
const MAX_TOKEN_LENGTH = 4096;
/** 32 bytes in unpadded base64url: 42 chars, then one whose low 2 bits are zero. */
const CANONICAL_MAC = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const MALFORMED: TokenResult = Object.freeze({ ok: false, reason: 'malformed' });
const BAD_MAC: TokenResult = Object.freeze({ ok: false, reason: 'bad_mac' });
const EXPIRED: TokenResult = Object.freeze({ ok: false, reason: 'expired' });

/** Issues a token MACed by `mac`. Wire claims are snake_case. */
export function issueToken(mac: TokenMac, claims: TokenClaims): string {
  assertTokenMac(mac);
  if (typeof claims !== 'object' || claims === null) throw new TypeError('claims must be an object');
  for (const name of ['userId', 'domainId', 'projectId', 'accessKey'] as const) {
    if (typeof claims[name] !== 'string' || claims[name].length === 0) throw new TypeError(`claims.${name} must be a non-empty string`);
  }
  if (!Number.isSafeInteger(claims.expiresAtMs) || claims.expiresAtMs <= 0) throw new TypeError('claims.expiresAtMs must be a positive integer');
  const wire = {
    user_id: claims.userId,
    domain_id: claims.domainId,
    project_id: claims.projectId,
    access_key: claims.accessKey,
    expires_at_ms: claims.expiresAtMs,
  };
  const signed = PREFIX + Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  return signed + '.' + mac.macToken(signed).toString('base64url');
}

/** Checks shape, then MAC (constant time), then claims and expiry; never throws on a hostile token. */
export function verifyToken(mac: TokenMac, token: string, nowMs: number): TokenResult {
  assertTokenMac(mac);
  if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) return MALFORMED;
  const dot = token.indexOf('.', PREFIX.length);
  if (dot <= PREFIX.length || token.length - dot - 1 !== MAC_B64_LENGTH) return MALFORMED;
  const signed = token.slice(0, dot);
  const tail = token.slice(dot + 1);
  // Only the canonical encoding of a MAC verifies, as when the text itself was compared: node's
  // decoder would skip stray characters, take `+/` too and ignore the last char's 2 unused bits.
  if (!CANONICAL_MAC.test(tail)) return BAD_MAC;
  if (!mac.verifyTokenMac(signed, Buffer.from(tail, 'base64url'))) return BAD_MAC;
  const claims = decodeClaims(token.slice(PREFIX.length, dot));
  if (claims === undefined) return MALFORMED;
  return nowMs < claims.expiresAtMs ? { ok: true, claims } : EXPIRED;
}

function decodeClaims(payload: string): TokenClaims | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof wire !== 'object' || wire === null) return undefined;
  const w = wire as Record<string, unknown>;
  const { user_id, domain_id, project_id, access_key, expires_at_ms } = w;
  if (typeof user_id !== 'string' || typeof domain_id !== 'string' || typeof project_id !== 'string') return undefined;
  if (typeof access_key !== 'string' || typeof expires_at_ms !== 'number' || !Number.isSafeInteger(expires_at_ms)) return undefined;
  return { userId: user_id, domainId: domain_id, projectId: project_id, accessKey: access_key, expiresAtMs: expires_at_ms };
}

function assertTokenMac(mac: TokenMac): void {
  if (typeof mac?.macToken !== 'function' || typeof mac.verifyTokenMac !== 'function') throw new TypeError('mac must be a TokenMac');
}
