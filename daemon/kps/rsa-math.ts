/** RSA private key arithmetic over bigint: the consistency checks (RFC 8017 §3.2) and the CRT values every format wants recomputed. */
import { RSA_MAX_BITS, bitLength } from './algorithms.js';
import { KeyFormatError } from './key-format-error.js';

export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [m, ((a % m) + m) % m, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new KeyFormatError('the RSA private key is inconsistent (its primes are not coprime)', 'inconsistent');
  return ((t0 % m) + m) % m;
}

export interface RsaPrivateValues {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  /** d mod (p-1), d mod (q-1), q^-1 mod p (RFC 8017 §3.2). */
  dp: bigint;
  dq: bigint;
  qi: bigint;
}

/**
 * Checks that n = pq and that d inverts e modulo p-1 and q-1 (so it works for every message), then
 * derives the CRT values afresh: files carry stale or wrong ones, and OpenSSL silently falls back to
 * d when the CRT result fails, hiding the damage until another implementation uses the key.
 */
export function rsaPrivateValues(n: bigint, e: bigint, d: bigint, p: bigint, q: bigint): RsaPrivateValues {
  // Before any arithmetic: bigint work on a giant modulus would hold the thread.
  if (bitLength(n) > RSA_MAX_BITS) throw new KeyFormatError(`RSA keys may have at most ${RSA_MAX_BITS} bits; this one has ${bitLength(n)}`, 'unsupported');
  if (p <= 1n || q <= 1n || p * q !== n || d <= 0n || d >= n) throw new KeyFormatError('the RSA private key is inconsistent (its primes do not make its modulus)', 'inconsistent');
  if ((e * d) % (p - 1n) !== 1n || (e * d) % (q - 1n) !== 1n) throw new KeyFormatError('the RSA private key is inconsistent (its private exponent does not match its public one)', 'inconsistent');
  return { n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: modInverse(q, p) };
}
