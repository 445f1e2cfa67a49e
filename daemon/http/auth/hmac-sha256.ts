/**
 * HMAC-SHA256 (RFC 2104) for the request-signature check, built from two one-shot SHA-256 calls
 * over a private scratch buffer: H((K ^ opad) || H((K ^ ipad) || m)). On a loaded server this costs
 * a fraction of `createHmac` (no native HMAC object to create and collect per request; bench/
 * numbers in the closing note of issue 2). Synchronous, so one scratch buffer serves every call.
 * Checked against `createHmac` and the RFC 4231 vectors in test/auth/hmac-sha256.test.ts.
 */
import { hash } from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;
let scratch = Buffer.alloc(BLOCK + 1024);
const outer = Buffer.alloc(BLOCK + DIGEST);

/** Lowercase hex HMAC-SHA256 of the UTF-8 bytes of `message` under `key`. */
export function hmacSha256Hex(key: Uint8Array, message: string): string {
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const len = Buffer.byteLength(message, 'utf8');
  if (scratch.length < BLOCK + len) scratch = Buffer.alloc(BLOCK + len);
  for (let i = 0; i < BLOCK; i++) {
    const b = i < k.length ? k[i] : 0;
    scratch[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  scratch.write(message, BLOCK, len, 'utf8');
  // 'binary' (latin1) maps each digest byte to one char and back, so no Buffer is allocated for the inner digest.
  outer.write(hash('sha256', scratch.subarray(0, BLOCK + len), 'binary'), BLOCK, DIGEST, 'binary');
  return hash('sha256', outer, 'hex');
}

/** Equality of two strings in time that depends on their length only. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
