/**
 * The MAC that authenticates X-Auth-Token bearer tokens, as a capability: the HTTP edge can MAC and
 * check token bytes but never holds the key (HMAC-SHA-256, RFC 2104; checked in constant time).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenMac {
  /** HMAC-SHA-256 (32 bytes) of `bytes` (a string is taken as its UTF-8 bytes). */
  macToken(bytes: Uint8Array | string): Buffer;
  /** Whether `mac` is the MAC of `bytes`; constant time in the MAC's contents. */
  verifyTokenMac(bytes: Uint8Array | string, mac: Uint8Array): boolean;
}

const MIN_KEY_BYTES = 32;

/** A TokenMac over `key` (≥ 32 bytes); the key is copied, so the caller may wipe its own buffer. */
export function createTokenMac(key: Uint8Array): TokenMac {
  if (!(key instanceof Uint8Array) || key.length < MIN_KEY_BYTES) throw new TypeError(`key must be a Uint8Array of at least ${MIN_KEY_BYTES} bytes`);
  const k = Buffer.from(key);
  const macToken = (bytes: Uint8Array | string): Buffer => createHmac('sha256', k).update(bytes).digest();
  return Object.freeze({
    macToken,
    verifyTokenMac(bytes: Uint8Array | string, mac: Uint8Array): boolean {
      const expected = macToken(bytes);
      return mac instanceof Uint8Array && mac.length === expected.length && timingSafeEqual(expected, mac);
    },
  });
}
