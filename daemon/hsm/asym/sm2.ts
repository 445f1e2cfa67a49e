/** SM2 (GB/T 32918.1–.5) signatures, public key encryption and key encodings on @noble/curves' Weierstrass arithmetic. */
import { createECDH, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { assertArg, CryptoInputError, isBytes } from './errors.js';
import {
  derBitString, derChildren, derDecodeSignature, derEncodeSignature, derExplicit, derOctetString, derOid,
  derReadWhole, derSequence, derSmallInteger, derToBitStringBytes, derToUnsignedInteger, oidToString,
  TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE,
} from './der.js';

/** GB/T 32918.2 §5.5 note / GM/T 0009 §10: the default signer identity. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_SM2_CURVE = '1.2.156.10197.1.301';

/** Supplies `length` random bytes; injectable so tests can replay the standard's fixed k. The library wipes what it receives. */
export type RandomSource = (length: number) => Uint8Array;
export interface Sm2Options {
  readonly random?: RandomSource;
}

// GB/T 32918.5 §2: the recommended 256-bit prime-field curve.
const CURVE = Object.freeze({
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
});
const Point = weierstrass<bigint>(CURVE);
const Fn = Point.Fn;
const N = CURVE.n;
const ZA_CURVE_PART = Buffer.concat([CURVE.a, CURVE.b, CURVE.Gx, CURVE.Gy].map(to32));

function to32(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

function toBig(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

function sm3(...parts: Uint8Array[]): Buffer {
  const h = createHash('sm3');
  for (const part of parts) h.update(part);
  return h.digest();
}

const defaultRandom: RandomSource = (length) => randomBytes(length);

// GB/T 32918.1 §6.1 key pair: d ∈ [1, n−2] so that (1 + d) is invertible in signing (GB/T 32918.2 §6.1 A6).
function privateScalar(privateKey: Uint8Array, name: string): bigint {
  assertArg(isBytes(privateKey) && privateKey.length === 32, name, 'must be 32 bytes');
  const d = toBig(privateKey);
  assertArg(d >= 1n && d <= N - 2n, name, 'must be an integer in [1, n-2]');
  return d;
}

function publicPoint(publicKey: Uint8Array, name: string): WeierstrassPoint<bigint> {
  assertArg(isBytes(publicKey) && publicKey.length === 65 && publicKey[0] === 0x04, name, 'must be 65 bytes 04||x||y');
  try {
    const p = Point.fromBytes(publicKey);
    p.assertValidity();
    return p;
  } catch (cause) {
    throw new CryptoInputError('INVALID_KEY', `${name} is not a point on the SM2 curve`, { cause });
  }
}

// Rejection sampling of a scalar in [1, max]; the returned Buffer belongs to the caller, who wipes it.
function randomScalar(random: RandomSource, max: bigint): Buffer {
  for (;;) {
    const bytes = Buffer.from(random(32));
    const k = toBig(bytes);
    if (bytes.length === 32 && k >= 1n && k <= max) return bytes;
    bytes.fill(0);
  }
}

// [k]G as 04||x||y through OpenSSL's constant-time ladder on its built-in SM2 group (≈30x noble's constant-time multiply).
function baseMultiply(scalar: Buffer): Buffer {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(scalar);
  return ecdh.getPublicKey();
}

// GB/T 32918.4 §5.4.3 key derivation function with SM3; the caller owns and wipes the result.
function kdf(z: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let ct = 1, offset = 0; offset < length; ct++, offset += 32) {
    counter.writeUInt32BE(ct);
    const block = sm3(z, counter);
    block.copy(out, offset, 0, Math.min(32, length - offset));
    block.fill(0);
  }
  return out;
}

/** A fresh key pair: private key d (32 bytes), public key 04||x||y (65 bytes). GB/T 32918.1 §6.1. */
export function sm2GenerateKeyPair(options: Sm2Options = {}): { privateKey: Buffer; publicKey: Buffer } {
  assertArg(typeof options === 'object' && options !== null, 'options', 'must be an object');
  const privateKey = randomScalar(options.random ?? defaultRandom, N - 2n);
  return { privateKey, publicKey: baseMultiply(privateKey) };
}

/** P = [d]G as 04||x||y. */
export function sm2PublicFromPrivate(privateKey: Uint8Array): Buffer {
  privateScalar(privateKey, 'privateKey');
  return baseMultiply(Buffer.from(privateKey));
}

/** Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), GB/T 32918.2 §5.5. */
export function sm2ZA(publicKey: Uint8Array, userId: string | Uint8Array = SM2_DEFAULT_USER_ID): Buffer {
  publicPoint(publicKey, 'publicKey');
  assertArg(typeof userId === 'string' || isBytes(userId), 'userId', 'must be a string or bytes');
  const id = typeof userId === 'string' ? Buffer.from(userId, 'utf8') : userId;
  assertArg(id.length * 8 <= 0xffff, 'userId', 'must be at most 8191 bytes');
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  return sm3(entl, id, ZA_CURVE_PART, publicKey.subarray(1, 65));
}

/** e = SM3(Z_A || M), the value GB/T 32918.2 §6.1 A1–A2 signs. */
export function sm2MessageDigest(publicKey: Uint8Array, message: Uint8Array, userId?: string | Uint8Array): Buffer {
  assertArg(isBytes(message), 'message', 'must be bytes');
  return sm3(sm2ZA(publicKey, userId), message);
}

/** Signs a 32-byte e (GB/T 32918.2 §6.1 A3–A7); returns DER SEQUENCE { r, s } (GM/T 0009 §7.2). */
export function sm2SignDigest(privateKey: Uint8Array, digest: Uint8Array, options: Sm2Options = {}): Buffer {
  const d = privateScalar(privateKey, 'privateKey');
  assertArg(isBytes(digest) && digest.length === 32, 'digest', 'must be 32 bytes');
  const random = options.random ?? defaultRandom;
  const e = toBig(digest);
  // (1 + d)^-1 computed as b·((1 + d)·b)^-1 with a random b, so the inversion's timing does not follow d.
  const blind = toBig(randomScalar(defaultRandom, N - 1n));
  const dInv = Fn.mul(blind, Fn.inv(Fn.mul(1n + d, blind)));
  for (;;) {
    const kBytes = randomScalar(random, N - 1n);
    const x1 = toBig(baseMultiply(kBytes).subarray(1, 33));
    const k = toBig(kBytes);
    kBytes.fill(0);
    const r = Fn.create(e + x1);
    if (r === 0n || r + k === N) continue;
    const s = Fn.mul(dInv, Fn.sub(k, Fn.mul(r, d)));
    if (s === 0n) continue;
    return derEncodeSignature(r, s);
  }
}

/** GB/T 32918.2 §7.1 B1–B7 over a 32-byte e'; false (never an exception) for any malformed or wrong signature. */
export function sm2VerifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  const p = publicPoint(publicKey, 'publicKey');
  assertArg(isBytes(digest) && digest.length === 32, 'digest', 'must be 32 bytes');
  assertArg(isBytes(signature), 'signature', 'must be bytes');
  const sig = derDecodeSignature(signature);
  if (sig === null) return false;
  const { r, s } = sig;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = Fn.add(r, s);
  if (t === 0n) return false;
  const x = Point.BASE.mulAddUnsafe(s, p, t);
  if (x.is0()) return false;
  return Fn.create(toBig(digest) + x.toAffine().x) === r;
}

/** GB/T 32918.4 §6.1 A1–A8; returns C1 || C3 || C2 with C1 = 04||x1||y1 and C3 = SM3(x2 || M || y2). */
export function sm2Encrypt(publicKey: Uint8Array, plaintext: Uint8Array, options: Sm2Options = {}): Buffer {
  const p = publicPoint(publicKey, 'publicKey');
  assertArg(isBytes(plaintext) && plaintext.length >= 1, 'plaintext', 'must be at least 1 byte');
  const random = options.random ?? defaultRandom;
  for (;;) {
    const kBytes = randomScalar(random, N - 1n);
    const c1 = baseMultiply(kBytes);
    const shared = p.multiply(toBig(kBytes)).toAffine();
    kBytes.fill(0);
    const x2 = to32(shared.x);
    const y2 = to32(shared.y);
    const z = Buffer.concat([x2, y2]);
    const t = kdf(z, plaintext.length);
    z.fill(0);
    if (t.every((b) => b === 0)) {
      x2.fill(0);
      y2.fill(0);
      continue;
    }
    const c2 = Buffer.alloc(plaintext.length);
    for (let i = 0; i < c2.length; i++) c2[i] = plaintext[i]! ^ t[i]!;
    const c3 = sm3(x2, plaintext, y2);
    t.fill(0);
    x2.fill(0);
    y2.fill(0);
    return Buffer.concat([c1, c3, c2]);
  }
}

/** GB/T 32918.4 §7.1 B1–B7 for C1 || C3 || C2; throws CryptoInputError BAD_CIPHERTEXT on bad input or a failed C3 check. */
export function sm2Decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Buffer {
  const d = privateScalar(privateKey, 'privateKey');
  assertArg(isBytes(ciphertext), 'ciphertext', 'must be bytes');
  if (ciphertext.length < 65 + 32 + 1 || ciphertext[0] !== 0x04) {
    throw new CryptoInputError('BAD_CIPHERTEXT', 'SM2 ciphertext must be C1 (65 bytes, 04||x||y) || C3 (32) || C2 (>= 1)');
  }
  let c1: WeierstrassPoint<bigint>;
  try {
    c1 = Point.fromBytes(ciphertext.subarray(0, 65));
    c1.assertValidity();
  } catch (cause) {
    throw new CryptoInputError('BAD_CIPHERTEXT', 'SM2 ciphertext C1 is not a point on the curve', { cause });
  }
  const c3 = ciphertext.subarray(65, 97);
  const c2 = ciphertext.subarray(97);
  const shared = c1.multiply(d).toAffine();
  const x2 = to32(shared.x);
  const y2 = to32(shared.y);
  const z = Buffer.concat([x2, y2]);
  const t = kdf(z, c2.length);
  z.fill(0);
  const allZero = t.every((b) => b === 0);
  const m = Buffer.alloc(c2.length);
  for (let i = 0; i < m.length; i++) m[i] = c2[i]! ^ t[i]!;
  t.fill(0);
  const u = sm3(x2, m, y2);
  x2.fill(0);
  y2.fill(0);
  if (allZero || !timingSafeEqual(u, c3)) {
    m.fill(0);
    throw new CryptoInputError('BAD_CIPHERTEXT', 'SM2 ciphertext failed its integrity check (C3)');
  }
  return m;
}

const SM2_ALGORITHM_ID = derSequence(derOid(OID_EC_PUBLIC_KEY), derOid(OID_SM2_CURVE));

/** SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, RFC 5480 §2) for an SM2 public key. */
export function sm2PublicKeyToSpkiDer(publicKey: Uint8Array): Buffer {
  publicPoint(publicKey, 'publicKey');
  return derSequence(SM2_ALGORITHM_ID, derBitString(publicKey));
}

/** PEM "PUBLIC KEY" (RFC 7468 §13) of the SubjectPublicKeyInfo. */
export function sm2PublicKeyToPem(publicKey: Uint8Array): string {
  const b64 = sm2PublicKeyToSpkiDer(publicKey).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PUBLIC KEY-----\n`;
}

// RFC 5480 §2.1.1: AlgorithmIdentifier { id-ecPublicKey, namedCurve }; returns the curve OID.
function readEcAlgorithm(element: { tag: number; content: Buffer }): string {
  if (element.tag !== TAG_SEQUENCE) throw new CryptoInputError('INVALID_KEY', 'AlgorithmIdentifier is not a SEQUENCE');
  const parts = derChildren(element.content);
  if (parts.length !== 2 || parts[0]!.tag !== TAG_OID || parts[1]!.tag !== TAG_OID) {
    throw new CryptoInputError('KEY_SPEC_MISMATCH', 'key is not an EC key with a named curve');
  }
  if (oidToString(parts[0]!.content) !== OID_EC_PUBLIC_KEY) {
    throw new CryptoInputError('KEY_SPEC_MISMATCH', 'key algorithm is not id-ecPublicKey');
  }
  const curve = oidToString(parts[1]!.content);
  if (curve !== OID_SM2_CURVE) throw new CryptoInputError('KEY_SPEC_MISMATCH', `key curve ${curve} is not SM2`);
  return curve;
}

function parseOrInvalid<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof CryptoInputError) throw cause;
    throw new CryptoInputError('INVALID_KEY', `${what} is not valid DER`, { cause });
  }
}

/** Reads an SM2 SubjectPublicKeyInfo back to 04||x||y. */
export function sm2PublicKeyFromSpkiDer(spkiDer: Uint8Array): Buffer {
  assertArg(isBytes(spkiDer), 'spkiDer', 'must be bytes');
  return parseOrInvalid('SubjectPublicKeyInfo', () => {
    const top = derChildren(derReadWhole(Buffer.from(spkiDer), TAG_SEQUENCE).content);
    if (top.length !== 2) throw new CryptoInputError('INVALID_KEY', 'SubjectPublicKeyInfo must have 2 fields');
    readEcAlgorithm(top[0]!);
    const publicKey = Buffer.from(derToBitStringBytes(top[1]!));
    publicPoint(publicKey, 'spkiDer public key');
    return publicKey;
  });
}

/** PKCS#8 PrivateKeyInfo (RFC 5208 §5) wrapping an RFC 5915 ECPrivateKey, laid out as OpenSSL 3 writes SM2 keys. */
export function sm2PrivateKeyToPkcs8Der(privateKey: Uint8Array): Buffer {
  privateScalar(privateKey, 'privateKey');
  const publicKey = sm2PublicFromPrivate(privateKey);
  const scalar = derOctetString(privateKey);
  const ecPrivateKey = derSequence(derSmallInteger(1), scalar, derExplicit(1, derBitString(publicKey)));
  const wrapped = derOctetString(ecPrivateKey);
  const out = derSequence(derSmallInteger(0), SM2_ALGORITHM_ID, wrapped);
  scalar.fill(0);
  ecPrivateKey.fill(0);
  wrapped.fill(0);
  return out;
}

/**
 * Reads PKCS#8 (RFC 5208 §5 / RFC 5915 §3) SM2 keys as `openssl genpkey -algorithm SM2` writes them.
 * The embedded public key, when present, must match d; the returned buffers belong to the caller.
 */
export function sm2PrivateKeyFromPkcs8Der(pkcs8Der: Uint8Array): { privateKey: Buffer; publicKey: Buffer } {
  assertArg(isBytes(pkcs8Der), 'pkcs8Der', 'must be bytes');
  return parseOrInvalid('PKCS#8 PrivateKeyInfo', () => {
    const top = derChildren(derReadWhole(Buffer.from(pkcs8Der), TAG_SEQUENCE).content);
    if (top.length < 3 || derToUnsignedInteger(top[0]!) > 1n) {
      throw new CryptoInputError('INVALID_KEY', 'not a PKCS#8 PrivateKeyInfo');
    }
    readEcAlgorithm(top[1]!);
    if (top[2]!.tag !== TAG_OCTET_STRING) throw new CryptoInputError('INVALID_KEY', 'PKCS#8 privateKey is not an OCTET STRING');
    const ec = derChildren(derReadWhole(top[2]!.content, TAG_SEQUENCE).content);
    if (ec.length < 2 || derToUnsignedInteger(ec[0]!) !== 1n || ec[1]!.tag !== TAG_OCTET_STRING || ec[1]!.content.length > 32) {
      throw new CryptoInputError('INVALID_KEY', 'not an RFC 5915 ECPrivateKey');
    }
    const privateKey = Buffer.alloc(32);
    ec[1]!.content.copy(privateKey, 32 - ec[1]!.content.length);
    const d = toBig(privateKey);
    if (d < 1n || d > N - 2n) {
      privateKey.fill(0);
      throw new CryptoInputError('INVALID_KEY', 'SM2 private key is out of range [1, n-2]');
    }
    const publicKey = sm2PublicFromPrivate(privateKey);
    for (const field of ec.slice(2)) {
      if (field.tag === 0xa0 && oidToString(derReadWhole(field.content, TAG_OID).content) !== OID_SM2_CURVE) {
        throw new CryptoInputError('KEY_SPEC_MISMATCH', 'ECPrivateKey parameters name another curve');
      }
      if (field.tag === 0xa1) {
        const embedded = derToBitStringBytes(derReadWhole(field.content, 0x03));
        if (!publicKey.equals(embedded)) {
          privateKey.fill(0);
          throw new CryptoInputError('INVALID_KEY', 'PKCS#8 public key does not match the private key');
        }
      }
    }
    return { privateKey, publicKey };
  });
}
