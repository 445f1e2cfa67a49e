/** The key types and sizes the key pair service accepts, their names (SSH_RSA_2048, ECDSA_NISTP256…) and the rules behind "weak". */
import type sshpk from 'sshpk';
import { KeyFormatError } from './key-format-error.js';
import { bytesToBigint } from './ssh-wire.js';

export type GeneratedAlgorithm = 'SSH_RSA_2048' | 'SSH_RSA_3072' | 'SSH_RSA_4096' | 'SSH_ED25519' | 'ECDSA_NISTP256' | 'ECDSA_NISTP384' | 'ECDSA_NISTP521';

export const GENERATED_ALGORITHMS: readonly GeneratedAlgorithm[] = Object.freeze(['SSH_RSA_2048', 'SSH_RSA_3072', 'SSH_RSA_4096', 'SSH_ED25519', 'ECDSA_NISTP256', 'ECDSA_NISTP384', 'ECDSA_NISTP521'] as const);

/** How node:crypto generates each algorithm. */
export type GenerationParams = { type: 'rsa'; bits: number } | { type: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' } | { type: 'ed25519' };

export const GENERATION: Readonly<Record<GeneratedAlgorithm, GenerationParams>> = Object.freeze({
  SSH_RSA_2048: { type: 'rsa', bits: 2048 },
  SSH_RSA_3072: { type: 'rsa', bits: 3072 },
  SSH_RSA_4096: { type: 'rsa', bits: 4096 },
  SSH_ED25519: { type: 'ed25519' },
  ECDSA_NISTP256: { type: 'ec', curve: 'P-256' },
  ECDSA_NISTP384: { type: 'ec', curve: 'P-384' },
  ECDSA_NISTP521: { type: 'ec', curve: 'P-521' },
});

/** The SSH key type names (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4) a key may have. */
export const SSH_KEY_TYPES: readonly string[] = Object.freeze(['ssh-rsa', 'ssh-dss', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);

/** NIST SP 800-131A and OpenSSH's own floor (SSH_RSA_MINIMUM_MODULUS_SIZE is 1024; we follow the reference service's 2048). */
export const RSA_MIN_BITS = 2048;
/** OpenSSH's SSH_RSA_MAXIMUM_MODULUS_SIZE: larger keys are refused by sshd anyway, and cost seconds per operation. */
export const RSA_MAX_BITS = 16384;

const CURVE_BITS: Readonly<Record<string, number>> = Object.freeze({ nistp256: 256, nistp384: 384, nistp521: 521 });

/** A named part of an sshpk key (its `part` map is mistyped in @types/sshpk). */
export function keyPart(key: sshpk.Key | sshpk.PrivateKey, name: sshpk.AlgorithmPart): Buffer {
  const p = key.parts.find((x) => x.name === name);
  if (!p) throw new KeyFormatError(`the key lacks its ${name} value`, 'malformed');
  return p.data;
}

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** The service's name of a key: SSH_RSA_<bits>, SSH_DSS, SSH_ED25519 or ECDSA_NISTP256/384/521. */
export function algorithmName(key: sshpk.Key | sshpk.PrivateKey): { algorithm: string; bits: number } {
  switch (key.type) {
    case 'rsa': {
      const bits = bitLength(bytesToBigint(keyPart(key, 'n')));
      return { algorithm: `SSH_RSA_${bits}`, bits };
    }
    case 'dsa':
      return { algorithm: 'SSH_DSS', bits: bitLength(bytesToBigint(keyPart(key, 'p'))) };
    case 'ed25519':
      return { algorithm: 'SSH_ED25519', bits: 256 };
    case 'ecdsa': {
      const curve = keyPart(key, 'curve').toString('latin1');
      return { algorithm: `ECDSA_${curve.toUpperCase()}`, bits: CURVE_BITS[curve] };
    }
    default:
      throw new KeyFormatError('unsupported key type', 'unsupported');
  }
}

/**
 * The size and shape rules every accepted key meets: RSA of 2048..16384 bits with an odd public
 * exponent of at least 3, DSA of exactly 1024/160 bits (FIPS 186-2, the only size OpenSSH speaks),
 * ECDSA on the three NIST curves, Ed25519 with a 32-byte point.
 */
export function assertKeyRules(key: sshpk.Key | sshpk.PrivateKey): void {
  switch (key.type) {
    case 'rsa': {
      const n = bytesToBigint(keyPart(key, 'n'));
      const e = bytesToBigint(keyPart(key, 'e'));
      const bits = bitLength(n);
      if (bits < RSA_MIN_BITS) throw new KeyFormatError(`RSA keys must have at least ${RSA_MIN_BITS} bits; this one has ${bits}`, 'weak');
      if (bits > RSA_MAX_BITS) throw new KeyFormatError(`RSA keys may have at most ${RSA_MAX_BITS} bits; this one has ${bits}`, 'unsupported');
      if (n % 2n === 0n || e < 3n || e % 2n === 0n || e >= n) throw new KeyFormatError('the RSA key is invalid (its modulus or public exponent is impossible)', 'malformed');
      return;
    }
    case 'dsa': {
      const pBits = bitLength(bytesToBigint(keyPart(key, 'p')));
      const qBits = bitLength(bytesToBigint(keyPart(key, 'q')));
      if (pBits !== 1024 || qBits !== 160) throw new KeyFormatError(`DSA (ssh-dss) keys must be 1024 bits; this one has ${pBits}`, pBits < 1024 ? 'weak' : 'unsupported');
      return;
    }
    case 'ed25519':
      if (keyPart(key, 'A').length !== 32) throw new KeyFormatError('the Ed25519 key is invalid (its point is not 32 bytes)', 'malformed');
      return;
    case 'ecdsa':
      if (!Object.hasOwn(CURVE_BITS, keyPart(key, 'curve').toString('latin1'))) throw new KeyFormatError('ECDSA keys must be on nistp256, nistp384 or nistp521', 'unsupported');
      return;
    default:
      throw new KeyFormatError('unsupported key type (use RSA, Ed25519, ECDSA on the NIST curves, or DSA)', 'unsupported');
  }
}
