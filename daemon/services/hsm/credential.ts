/**
 * The instance admin credential (the reference's "UKey", FAQ 4.3–4.6): 32 random bytes shown to
 * the instance's creator once, as `dhsm_<base64url>`. dew keeps only its SHA-256, so neither the
 * database nor dew's operators hold it; a privileged call presents it in `X-Hsm-Credential` and
 * is checked in constant time. A 256-bit random value needs no slow hash: nothing to guess.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'dhsm_';
const FORMAT = /^dhsm_[A-Za-z0-9_-]{43}$/;

export function newCredential(): { credential: string; hash: string } {
  const credential = PREFIX + randomBytes(32).toString('base64url');
  return { credential, hash: credentialHash(credential) };
}

export function credentialHash(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}

/** 'ok', 'missing' or 'wrong' for what the caller presented against the stored hash. */
export function checkCredential(presented: string | undefined, storedHash: string): 'ok' | 'missing' | 'wrong' {
  if (presented === undefined || presented === '') return 'missing';
  if (!FORMAT.test(presented)) return 'wrong';
  const a = Buffer.from(credentialHash(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'wrong';
}
