/** Verifies Huawei `SDK-HMAC-SHA256` request signatures (reference §7): the daemon's AK/SK check, pure and allocation-light. */
import { hash } from 'node:crypto';
import { constantTimeEqual, hmacSha256Hex } from './hmac-sha256.js';
import { canonicalQuery, canonicalUri } from './sdk-canonical.js';
import { parseSdkAuthorization, SDK_ALGORITHM, type SdkAuthorization } from './sdk-authorization.js';
import { parseSdkDate } from './sdk-date.js';

/** Why a request was refused; every value maps to the gateway's 401 `APIGW.0301` (reference §3). */
export type SignatureFailure = 'missing' | 'malformed' | 'unknown_ak' | 'bad_date' | 'skew' | 'bad_signature';

/** The request as received: `path` raw (may hold `%XX`), `rawQuery` after `?`, `header` case-insensitive. */
export interface SdkSignedRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  header(name: string): string | undefined;
  readonly body: Uint8Array | string;
}

/**
 * `unsignedPayload` is true when the client sent `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` (§7 step 2):
 * the body is then not covered by the signature, and the caller decides whether to accept that.
 */
export type SdkSignatureResult =
  | { readonly ok: true; readonly accessKey: string; readonly unsignedPayload: boolean }
  | { readonly ok: false; readonly accessKey?: string; readonly reason: SignatureFailure };

/** Returns the secret key bytes for an AK, or undefined when the AK is unknown or disabled. */
export type SecretLookup = (accessKey: string) => Uint8Array | undefined;

/** The usual gateway window; the reference does not document one (§7, last paragraph). */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const UNKNOWN_AK_SECRET = new TextEncoder().encode('dew: no such access key, a stand-in secret');
const MISSING: SdkSignatureResult = Object.freeze({ ok: false, reason: 'missing' });
const MALFORMED: SdkSignatureResult = Object.freeze({ ok: false, reason: 'malformed' });

/** Checks `Authorization` against the request; never throws on hostile input. */
export function verifySdkSignature(
  req: SdkSignedRequest,
  lookupSecret: SecretLookup,
  nowMs: number,
  maxSkewMs: number = DEFAULT_MAX_SKEW_MS,
): SdkSignatureResult {
  if (typeof lookupSecret !== 'function') throw new TypeError('lookupSecret must be a function');
  if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
  if (!(maxSkewMs >= 0)) throw new TypeError('maxSkewMs must be a non-negative number');
  const authorization = req.header('authorization');
  if (authorization === undefined || authorization.length === 0) return MISSING;
  const auth = parseSdkAuthorization(authorization);
  if (auth === undefined) return MALFORMED;
  const accessKey = auth.accessKey;
  // APIG rule quoted in §7 step 5: x-sdk-date must be signed, otherwise the window means nothing.
  if (!auth.signedHeaderNames.includes('x-sdk-date')) return { ok: false, accessKey, reason: 'malformed' };
  const date = req.header('x-sdk-date');
  const dateMs = date === undefined ? undefined : parseSdkDate(date);
  if (date === undefined || dateMs === undefined) return { ok: false, accessKey, reason: 'bad_date' };
  if (Math.abs(dateMs - nowMs) > maxSkewMs) return { ok: false, accessKey, reason: 'skew' };
  const secret = lookupSecret(accessKey);
  const known = secret !== undefined && secret.length > 0;
  // An unknown AK goes through the same work under a stand-in secret: neither the answer nor its
  // time tells whether the AK exists.
  const expected = computeSignature(req, auth, date, known ? secret : UNKNOWN_AK_SECRET);
  if (expected === undefined) return { ok: false, accessKey, reason: 'malformed' };
  if (!known) {
    constantTimeEqual(expected, auth.signatureHex);
    return { ok: false, accessKey, reason: 'unknown_ak' };
  }
  if (!constantTimeEqual(expected, auth.signatureHex)) return { ok: false, accessKey, reason: 'bad_signature' };
  return { ok: true, accessKey, unsignedPayload: req.header('x-sdk-content-sha256') === UNSIGNED_PAYLOAD };
}

/**
 * The hex signature a correct client would send for `req` with `signedHeaders` (a `;` list holding
 * `x-sdk-date`), or undefined when a listed header is absent. For benchmarks and test fixtures.
 */
export function expectedSdkSignature(req: SdkSignedRequest, signedHeaders: string, secret: Uint8Array): string | undefined {
  if (typeof signedHeaders !== 'string' || signedHeaders.length === 0) throw new TypeError('signedHeaders must be a non-empty string');
  if (!(secret instanceof Uint8Array) || secret.length === 0) throw new TypeError('secret must be a non-empty Uint8Array');
  const date = req.header('x-sdk-date');
  if (date === undefined) return undefined;
  const auth: SdkAuthorization = { accessKey: '', signedHeaders, signedHeaderNames: signedHeaders.split(';'), signatureHex: '' };
  return computeSignature(req, auth, date, secret);
}

/** §7 steps 2–9: canonical request, string to sign, HMAC-SHA256 keyed with the SK bytes. */
function computeSignature(req: SdkSignedRequest, auth: SdkAuthorization, date: string, secret: Uint8Array): string | undefined {
  let headers = '';
  for (const name of auth.signedHeaderNames) {
    const value = req.header(name);
    if (value === undefined) return undefined;
    headers += name + ':' + value.trim() + '\n';
  }
  // §7 step 2. Only the literal UNSIGNED-PAYLOAD replaces the body hash: trusting any other value
  // would let a replayed signature carry a different body under the original hash.
  const payloadHash =
    req.header('x-sdk-content-sha256') === UNSIGNED_PAYLOAD ? UNSIGNED_PAYLOAD : hash('sha256', req.body, 'hex');
  const canonicalRequest =
    req.method + '\n' +
    canonicalUri(req.path) + '\n' +
    canonicalQuery(req.rawQuery) + '\n' +
    headers + '\n' +
    auth.signedHeaders + '\n' +
    payloadHash;
  const stringToSign = SDK_ALGORITHM + '\n' + date + '\n' + hash('sha256', canonicalRequest, 'hex');
  return hmacSha256Hex(secret, stringToSign);
}
