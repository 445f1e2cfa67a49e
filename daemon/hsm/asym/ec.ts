/** ECDSA (SEC 1 v2 §4.1) over precomputed digests for P-256, P-384 and secp256k1: [k]G in OpenSSL, verification on @noble/curves. */
import { createECDH, randomBytes } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { WeierstrassPoint, WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { assertArg, CryptoInputError, isBytes } from './errors.js';
import { derDecodeSignature, derEncodeSignature } from './der.js';

export type EcCurve = 'P-256' | 'P-384' | 'secp256k1';

interface CurveInfo {
  readonly ecdhName: string;
  readonly Point: WeierstrassPointCons<bigint>;
  readonly n: bigint;
  readonly bytes: number;
}

const CURVES: Readonly<Record<EcCurve, CurveInfo>> = Object.freeze({
  'P-256': { ecdhName: 'prime256v1', Point: p256.Point, n: p256.Point.Fn.ORDER, bytes: 32 },
  'P-384': { ecdhName: 'secp384r1', Point: p384.Point, n: p384.Point.Fn.ORDER, bytes: 48 },
  secp256k1: { ecdhName: 'secp256k1', Point: secp256k1.Point, n: secp256k1.Point.Fn.ORDER, bytes: 32 },
});

function curveInfo(curve: EcCurve): CurveInfo {
  assertArg(Object.hasOwn(CURVES, curve), 'curve', 'must be P-256, P-384 or secp256k1');
  return CURVES[curve];
}

function toBig(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

// SEC 1 §4.1.3 step 5 / FIPS 186-5 §6.4.1: the leftmost bit-length(n) bits of the digest (all our n are byte-aligned).
function bits2int(digest: Uint8Array, info: CurveInfo): bigint {
  return toBig(digest.subarray(0, Math.min(digest.length, info.bytes)));
}

function mod(a: bigint, n: bigint): bigint {
  const r = a % n;
  return r < 0n ? r + n : r;
}

// Extended Euclid; callers blind secret inputs first.
function invert(a: bigint, n: bigint): bigint {
  let [r0, r1, t0, t1] = [n, mod(a, n), 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new CryptoInputError('INVALID_ARGUMENT', 'value is not invertible');
  return mod(t0, n);
}

function randomScalar(info: CurveInfo): Buffer {
  for (;;) {
    const bytes = randomBytes(info.bytes);
    const k = toBig(bytes);
    if (k >= 1n && k < info.n) return bytes;
  }
}

/** A public key prepared for repeated verification (parse once, keep with the key handle). */
export interface EcPublicPoint {
  readonly curve: EcCurve;
  readonly point: WeierstrassPoint<bigint>;
}

/** Parses and validates an uncompressed/compressed SEC 1 point (SEC 1 §2.3.4, §3.2.2). */
export function ecPublicPoint(curve: EcCurve, publicKey: Uint8Array): EcPublicPoint {
  const info = curveInfo(curve);
  assertArg(isBytes(publicKey), 'publicKey', 'must be bytes');
  try {
    const point = info.Point.fromBytes(publicKey);
    point.assertValidity();
    return { curve, point };
  } catch (cause) {
    throw new CryptoInputError('INVALID_KEY', `publicKey is not a point on ${curve}`, { cause });
  }
}

/**
 * SEC 1 §4.1.3 signing of a precomputed digest with a fresh CSPRNG k: R = [k]G by OpenSSL's constant-time
 * multiply (through ECDH key derivation), s = k⁻¹(e + r·d) mod n with a blinded inversion. Returns DER.
 */
export function ecdsaSignDigest(curve: EcCurve, privateScalar: Uint8Array, digest: Uint8Array): Buffer {
  const info = curveInfo(curve);
  assertArg(isBytes(privateScalar) && privateScalar.length === info.bytes, 'privateScalar', `must be ${info.bytes} bytes`);
  const d = toBig(privateScalar);
  assertArg(d >= 1n && d < info.n, 'privateScalar', 'must be in [1, n-1]');
  assertArg(isBytes(digest) && digest.length >= 20, 'digest', 'must be at least 20 bytes');
  const e = bits2int(digest, info);
  for (;;) {
    const kBytes = randomScalar(info);
    const ecdh = createECDH(info.ecdhName);
    ecdh.setPrivateKey(kBytes);
    const r = mod(toBig(ecdh.getPublicKey().subarray(1, 1 + info.bytes)), info.n);
    const k = toBig(kBytes);
    kBytes.fill(0);
    if (r === 0n) continue;
    const blind = toBig(randomScalar(info));
    const kInv = mod(blind * invert(mod(k * blind, info.n), info.n), info.n);
    const s = mod(kInv * mod(e + r * d, info.n), info.n);
    if (s === 0n) continue;
    return derEncodeSignature(r, s);
  }
}

/** SEC 1 §4.1.4 verification of a DER signature over a precomputed digest; false, never an exception, when malformed. */
export function ecdsaVerifyDigest(publicKey: EcPublicPoint, digest: Uint8Array, signature: Uint8Array): boolean {
  assertArg(typeof publicKey === 'object' && publicKey !== null && 'point' in publicKey, 'publicKey', 'must come from ecPublicPoint');
  const info = curveInfo(publicKey.curve);
  assertArg(isBytes(digest) && digest.length >= 20, 'digest', 'must be at least 20 bytes');
  assertArg(isBytes(signature), 'signature', 'must be bytes');
  const sig = derDecodeSignature(signature);
  if (sig === null) return false;
  const { r, s } = sig;
  if (r < 1n || r >= info.n || s < 1n || s >= info.n) return false;
  const w = invert(s, info.n);
  const u1 = mod(bits2int(digest, info) * w, info.n);
  const u2 = mod(r * w, info.n);
  try {
    const x = info.Point.BASE.mulAddUnsafe(u1, publicKey.point, u2);
    return !x.is0() && mod(x.toAffine().x, info.n) === r;
  } catch {
    return false;
  }
}
