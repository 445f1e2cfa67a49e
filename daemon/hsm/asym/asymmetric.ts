/** The software HSM's asymmetric entry points: key generation, parsing into reusable handles, sign/verify, encrypt/decrypt. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, sign as nodeSign, verify as nodeVerify, constants } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { assertArg, CryptoInputError, isBytes } from './errors.js';
import {
  assertEncryptionAlgorithmFits, assertKeySpec, assertSigningAlgorithmFits, SIGNING_DIGEST,
} from './key-specs.js';
import type { AsymmetricKeySpec, EncryptionAlgorithm, MessageType, SigningAlgorithm } from './key-specs.js';
import { rsaOaepDecrypt, rsaOaepEncrypt, rsaSignDigest, rsaVerifyDigest } from './rsa.js';
import type { RsaHash } from './rsa.js';
import { ecdsaSignDigest, ecdsaVerifyDigest, ecPublicPoint } from './ec.js';
import type { EcCurve, EcPublicPoint } from './ec.js';
import type { OffloadedVerify } from './verify-pool.js';
import {
  sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, sm2MessageDigest, sm2PrivateKeyFromPkcs8Der, sm2PrivateKeyToPkcs8Der,
  sm2PublicKeyFromSpkiDer, sm2PublicKeyToPem, sm2PublicKeyToSpkiDer, sm2SignDigest, sm2VerifyDigest,
} from './sm2.js';

const generateKeyPairAsync = promisify(generateKeyPair);

type NodeKind =
  | { readonly type: 'rsa'; readonly bits: number }
  | { readonly type: 'ec'; readonly curve: EcCurve; readonly opensslCurve: string }
  | { readonly type: 'ed25519' };

const NODE_SPECS: Readonly<Record<Exclude<AsymmetricKeySpec, 'SM2'>, NodeKind>> = Object.freeze({
  RSA_2048: { type: 'rsa', bits: 2048 },
  RSA_3072: { type: 'rsa', bits: 3072 },
  RSA_4096: { type: 'rsa', bits: 4096 },
  EC_P256: { type: 'ec', curve: 'P-256', opensslCurve: 'prime256v1' },
  EC_P384: { type: 'ec', curve: 'P-384', opensslCurve: 'secp384r1' },
  SECP256K1: { type: 'ec', curve: 'secp256k1', opensslCurve: 'secp256k1' },
  ED25519: { type: 'ed25519' },
});

/** Freshly generated key material; the caller owns (and eventually wipes) privateKeyDer. */
export interface AsymmetricKeyPair {
  readonly privateKeyDer: Buffer;
  readonly publicKeySpkiDer: Buffer;
}

type KeyMaterial =
  | { readonly kind: 'node'; readonly privateKey: KeyObject | null; readonly publicKey: KeyObject; readonly ecScalar: Buffer | null; readonly ecPoint: EcPublicPoint | null }
  | { readonly kind: 'sm2'; readonly privateKey: Buffer | null; readonly publicKey: Buffer };

/** A parsed key to cache and reuse (parsing costs ~310 µs); opaque to callers beyond `spec` and `isPrivate`. */
export interface AsymmetricKeyHandle {
  readonly spec: AsymmetricKeySpec;
  readonly isPrivate: boolean;
  readonly material: KeyMaterial;
}

/** Generates a key pair without blocking the event loop (RSA runs on libuv's thread pool). */
export async function generateAsymmetricKey(spec: AsymmetricKeySpec): Promise<AsymmetricKeyPair> {
  assertKeySpec(spec);
  if (spec === 'SM2') {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    const out = { privateKeyDer: sm2PrivateKeyToPkcs8Der(privateKey), publicKeySpkiDer: sm2PublicKeyToSpkiDer(publicKey) };
    privateKey.fill(0);
    return out;
  }
  const kind = NODE_SPECS[spec];
  const { privateKey, publicKey } =
    kind.type === 'rsa'
      ? await generateKeyPairAsync('rsa', { modulusLength: kind.bits, publicExponent: 0x10001 })
      : kind.type === 'ec'
        ? await generateKeyPairAsync('ec', { namedCurve: kind.opensslCurve })
        : await generateKeyPairAsync('ed25519', undefined);
  return {
    privateKeyDer: privateKey.export({ type: 'pkcs8', format: 'der' }),
    publicKeySpkiDer: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

function describeNodeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA-${details.modulusLength}`;
  if (key.asymmetricKeyType === 'ec') return `EC ${details.namedCurve}`;
  return key.asymmetricKeyType ?? 'an unsupported key type (e.g. SM2)';
}

function isPublicKeyDer(der: Uint8Array): boolean {
  try {
    createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

function parseNodePrivateKey(spec: Exclude<AsymmetricKeySpec, 'SM2'>, pkcs8Der: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    if (isPublicKeyDer(pkcs8Der)) throw new CryptoInputError('NOT_PRIVATE_KEY', `expected a PKCS#8 private key for ${spec}, got a public key`);
    throw new CryptoInputError('INVALID_KEY', `key material for ${spec} is not a PKCS#8 DER private key`, { cause });
  }
  const kind = NODE_SPECS[spec];
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    kind.type === 'rsa'
      ? key.asymmetricKeyType === 'rsa' && details.modulusLength === kind.bits
      : kind.type === 'ec'
        ? key.asymmetricKeyType === 'ec' && details.namedCurve === kind.opensslCurve
        : key.asymmetricKeyType === 'ed25519';
  if (!fits) throw new CryptoInputError('KEY_SPEC_MISMATCH', `key is ${describeNodeKey(key)}, not ${spec}`);
  if (kind.type === 'rsa') {
    const e = details.publicExponent ?? 0n;
    if (e < 3n || e % 2n === 0n) throw new CryptoInputError('INVALID_KEY', 'RSA public exponent must be odd and at least 3');
  }
  return key;
}

function parseSm2PrivateKey(pkcs8Der: Uint8Array): { privateKey: Buffer; publicKey: Buffer } {
  try {
    return sm2PrivateKeyFromPkcs8Der(pkcs8Der);
  } catch (cause) {
    if (cause instanceof CryptoInputError && cause.code === 'KEY_SPEC_MISMATCH') {
      const other = (() => {
        try {
          return describeNodeKey(createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' }));
        } catch {
          return 'another key type';
        }
      })();
      throw new CryptoInputError('KEY_SPEC_MISMATCH', `key is ${other}, not SM2`, { cause });
    }
    if (isPublicKeyDer(pkcs8Der)) throw new CryptoInputError('NOT_PRIVATE_KEY', 'expected a PKCS#8 private key for SM2, got a public key');
    throw cause;
  }
}

/** Throws KEY_SPEC_MISMATCH, NOT_PRIVATE_KEY or INVALID_KEY unless `pkcs8Der` is a private key of exactly `spec`. */
export function assertPrivateKeyMatchesSpec(spec: AsymmetricKeySpec, pkcs8Der: Uint8Array): void {
  assertKeySpec(spec);
  assertArg(isBytes(pkcs8Der), 'pkcs8Der', 'must be bytes');
  if (spec === 'SM2') parseSm2PrivateKey(pkcs8Der).privateKey.fill(0);
  else parseNodePrivateKey(spec, pkcs8Der);
}

function ecMaterial(spec: AsymmetricKeySpec, publicKey: KeyObject, privateKey: KeyObject | null): { ecScalar: Buffer | null; ecPoint: EcPublicPoint | null } {
  const kind = spec === 'SM2' ? null : NODE_SPECS[spec];
  if (kind?.type !== 'ec') return { ecScalar: null, ecPoint: null };
  const jwk = (privateKey ?? publicKey).export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { ecScalar: jwk.d === undefined ? null : Buffer.from(jwk.d, 'base64url'), ecPoint: ecPublicPoint(kind.curve, point) };
}

/** Parses PKCS#8 DER into a handle to cache; checks it matches `spec` first. */
export function loadPrivateKey(spec: AsymmetricKeySpec, pkcs8Der: Uint8Array): AsymmetricKeyHandle {
  assertKeySpec(spec);
  assertArg(isBytes(pkcs8Der), 'pkcs8Der', 'must be bytes');
  if (spec === 'SM2') {
    const { privateKey, publicKey } = parseSm2PrivateKey(pkcs8Der);
    return Object.freeze({ spec, isPrivate: true, material: Object.freeze({ kind: 'sm2', privateKey, publicKey }) });
  }
  const privateKey = parseNodePrivateKey(spec, pkcs8Der);
  const publicKey = createPublicKey(privateKey);
  return Object.freeze({ spec, isPrivate: true, material: Object.freeze({ kind: 'node', privateKey, publicKey, ...ecMaterial(spec, publicKey, privateKey) }) });
}

/** Parses SubjectPublicKeyInfo DER into a verify/encrypt-only handle. */
export function loadPublicKey(spec: AsymmetricKeySpec, spkiDer: Uint8Array): AsymmetricKeyHandle {
  assertKeySpec(spec);
  assertArg(isBytes(spkiDer), 'spkiDer', 'must be bytes');
  if (spec === 'SM2') {
    return Object.freeze({ spec, isPrivate: false, material: Object.freeze({ kind: 'sm2', privateKey: null, publicKey: sm2PublicKeyFromSpkiDer(spkiDer) }) });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new CryptoInputError('INVALID_KEY', `key material for ${spec} is not SubjectPublicKeyInfo DER`, { cause });
  }
  const kind = NODE_SPECS[spec];
  const details = publicKey.asymmetricKeyDetails ?? {};
  const fits =
    kind.type === 'rsa' ? publicKey.asymmetricKeyType === 'rsa' && details.modulusLength === kind.bits
      : kind.type === 'ec' ? publicKey.asymmetricKeyType === 'ec' && details.namedCurve === kind.opensslCurve
        : publicKey.asymmetricKeyType === 'ed25519';
  if (!fits) throw new CryptoInputError('KEY_SPEC_MISMATCH', `key is ${describeNodeKey(publicKey)}, not ${spec}`);
  return Object.freeze({ spec, isPrivate: false, material: Object.freeze({ kind: 'node', privateKey: null, publicKey, ...ecMaterial(spec, publicKey, null) }) });
}

/** Wipes the raw scalars a handle owns (EC, SM2); KeyObjects are freed by the garbage collector. */
export function wipeKeyHandle(handle: AsymmetricKeyHandle): void {
  assertHandle(handle);
  const m = handle.material;
  if (m.kind === 'sm2') m.privateKey?.fill(0);
  else m.ecScalar?.fill(0);
}

function assertHandle(handle: AsymmetricKeyHandle, spec?: AsymmetricKeySpec): void {
  assertArg(typeof handle === 'object' && handle !== null && 'material' in handle, 'handle', 'must come from loadPrivateKey or loadPublicKey');
  if (spec !== undefined && handle.spec !== spec) {
    throw new CryptoInputError('KEY_SPEC_MISMATCH', `handle holds a ${handle.spec} key, not ${spec}`);
  }
}

/** SubjectPublicKeyInfo DER of a handle's key. */
export function publicKeySpkiDer(handle: AsymmetricKeyHandle): Buffer {
  assertHandle(handle);
  const m = handle.material;
  return m.kind === 'sm2' ? sm2PublicKeyToSpkiDer(m.publicKey) : m.publicKey.export({ type: 'spki', format: 'der' });
}

/** PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") from a handle or PKCS#8 DER. */
export function publicKeyPem(spec: AsymmetricKeySpec, handleOrDer: AsymmetricKeyHandle | Uint8Array): string {
  assertKeySpec(spec);
  const handle = isBytes(handleOrDer) ? loadPrivateKey(spec, handleOrDer) : handleOrDer;
  assertHandle(handle, spec);
  const m = handle.material;
  const pem = m.kind === 'sm2' ? sm2PublicKeyToPem(m.publicKey) : (m.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  if (handle !== handleOrDer) wipeKeyHandle(handle);
  return pem;
}

/** The message checks every signer applies (the PKCS#11 partition's too): bytes, a known type, a digest of the right length. */
export function assertMessage(algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): void {
  assertArg(isBytes(message), 'message', 'must be bytes');
  assertArg(messageType === 'DIGEST' || messageType === 'RAW', 'messageType', 'must be DIGEST or RAW');
  const digest = SIGNING_DIGEST[algorithm];
  if (digest === null) {
    if (messageType !== 'RAW') throw new CryptoInputError('MESSAGE_TYPE', `${algorithm} signs RAW messages only`);
    return;
  }
  if (messageType === 'DIGEST' && message.length !== digest.length) {
    throw new CryptoInputError('DIGEST_LENGTH', `a ${algorithm} DIGEST message must be ${digest.length} bytes, got ${message.length}`);
  }
}

function rsaParams(algorithm: SigningAlgorithm): { padding: 'PSS' | 'PKCS1_V1_5'; hash: RsaHash } {
  return { padding: algorithm.startsWith('RSASSA_PSS') ? 'PSS' : 'PKCS1_V1_5', hash: SIGNING_DIGEST[algorithm]!.name as RsaHash };
}

/**
 * Signs `message` (RAW: hashed here; DIGEST: already the algorithm's digest). RSA/ECDSA signatures are what
 * OpenSSL produces (PSS salt = digest length, ECDSA DER); SM2 RAW signs SM3(Z_A || M) with ID 1234567812345678.
 */
export function sign(spec: AsymmetricKeySpec, handle: AsymmetricKeyHandle, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): Buffer {
  assertKeySpec(spec);
  assertHandle(handle, spec);
  if (!handle.isPrivate) throw new CryptoInputError('NOT_PRIVATE_KEY', 'signing needs a private key handle');
  assertSigningAlgorithmFits(spec, algorithm);
  assertMessage(algorithm, message, messageType);
  const m = handle.material;
  if (m.kind === 'sm2') {
    const e = messageType === 'RAW' ? sm2MessageDigest(m.publicKey, message) : message;
    return sm2SignDigest(m.privateKey!, e);
  }
  const key = m.privateKey!;
  if (algorithm === 'ED25519_SHA_512') return nodeSign(null, message, key);
  const digest = SIGNING_DIGEST[algorithm]!;
  if (algorithm.startsWith('ECDSA')) {
    if (messageType === 'RAW') return nodeSign(digest.name, message, key);
    return ecdsaSignDigest(m.ecPoint!.curve, m.ecScalar!, message);
  }
  const { padding, hash } = rsaParams(algorithm);
  if (messageType === 'DIGEST') return rsaSignDigest(key, padding, hash, message);
  return padding === 'PSS'
    ? nodeSign(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length })
    : nodeSign(hash, message, { key, padding: constants.RSA_PKCS1_PADDING });
}

/** What `verify` does, decided before doing it: an answer already known, or a curve check to run (here, or on a VerifyPool thread). */
export type VerifyStep = { readonly done: boolean } | { readonly check: OffloadedVerify; readonly point?: EcPublicPoint };

/**
 * Everything of `verify` up to the curve arithmetic node:crypto cannot do: the input checks (which
 * throw CryptoInputError, always here), then RSA/Ed25519/ECDSA-over-a-message answered at once by
 * node:crypto, or the SM2 / ECDSA-over-a-digest check to run. Only public data is in a check.
 */
export function planVerify(spec: AsymmetricKeySpec, handle: AsymmetricKeyHandle, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): VerifyStep {
  assertKeySpec(spec);
  assertHandle(handle, spec);
  assertSigningAlgorithmFits(spec, algorithm);
  assertMessage(algorithm, message, messageType);
  assertArg(isBytes(signature), 'signature', 'must be bytes');
  const m = handle.material;
  if (m.kind === 'sm2') {
    const digest = messageType === 'RAW' ? sm2MessageDigest(m.publicKey, message) : message;
    return { check: { kind: 'sm2', publicKey: m.publicKey, digest, signature } };
  }
  const key = m.publicKey;
  const digest = SIGNING_DIGEST[algorithm];
  try {
    if (digest === null) return { done: nodeVerify(null, message, key, signature) };
    if (algorithm.startsWith('ECDSA')) {
      if (messageType === 'RAW') return { done: nodeVerify(digest.name, message, key, signature) };
      const point = m.ecPoint!;
      return { check: { kind: 'ecdsa', curve: point.curve, publicKey: point.point.toBytes(false), digest: message, signature }, point };
    }
    const { padding, hash } = rsaParams(algorithm);
    if (messageType === 'DIGEST') return { done: rsaVerifyDigest(key, padding, hash, message, signature) };
    return {
      done:
        padding === 'PSS'
          ? nodeVerify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length }, signature)
          : nodeVerify(hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature),
    };
  } catch {
    return { done: false };
  }
}

/** Runs a planned curve check on this thread (`point`: the key's parsed point, when the plan had one). */
export function runVerifyCheck(check: OffloadedVerify, point?: EcPublicPoint): boolean {
  if (check.kind === 'sm2') return sm2VerifyDigest(check.publicKey, check.digest, check.signature);
  return ecdsaVerifyDigest(point ?? ecPublicPoint(check.curve, check.publicKey), check.digest, check.signature);
}

/** Verifies like `sign`; returns false (never throws) for malformed or wrong signatures. */
export function verify(spec: AsymmetricKeySpec, handle: AsymmetricKeyHandle, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType, signature: Uint8Array): boolean {
  const step = planVerify(spec, handle, algorithm, message, messageType, signature);
  return 'done' in step ? step.done : runVerifyCheck(step.check, step.point);
}

/** RSAES_OAEP_SHA_256/SHA_1 (plaintext ≤ k − 2·hLen − 2, else PLAINTEXT_TOO_LONG) or SM2_ENCRYPT (C1C3C2). */
export function encrypt(spec: AsymmetricKeySpec, handle: AsymmetricKeyHandle, algorithm: EncryptionAlgorithm, plaintext: Uint8Array): Buffer {
  assertKeySpec(spec);
  assertHandle(handle, spec);
  assertEncryptionAlgorithmFits(spec, algorithm);
  assertArg(isBytes(plaintext) && plaintext.length >= 1, 'plaintext', 'must be at least 1 byte');
  const m = handle.material;
  if (m.kind === 'sm2') return sm2Encrypt(m.publicKey, plaintext);
  return rsaOaepEncrypt(m.publicKey, algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256', plaintext);
}

/** Decrypts `encrypt`'s output (or OpenSSL's/sm-crypto's); throws BAD_CIPHERTEXT on any failure. */
export function decrypt(spec: AsymmetricKeySpec, handle: AsymmetricKeyHandle, algorithm: EncryptionAlgorithm, ciphertext: Uint8Array): Buffer {
  assertKeySpec(spec);
  assertHandle(handle, spec);
  if (!handle.isPrivate) throw new CryptoInputError('NOT_PRIVATE_KEY', 'decryption needs a private key handle');
  assertEncryptionAlgorithmFits(spec, algorithm);
  assertArg(isBytes(ciphertext), 'ciphertext', 'must be bytes');
  const m = handle.material;
  if (m.kind === 'sm2') return sm2Decrypt(m.privateKey!, ciphertext);
  return rsaOaepDecrypt(m.privateKey!, algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256', ciphertext);
}

/** SHA-2/SM3 of a RAW message, for callers that want to hand the DIGEST form around. */
export function digestFor(algorithm: SigningAlgorithm, message: Uint8Array): Buffer {
  const digest = SIGNING_DIGEST[algorithm];
  assertArg(digest !== undefined && digest !== null, 'algorithm', 'must be a hash-based signing algorithm');
  assertArg(isBytes(message), 'message', 'must be bytes');
  return createHash(digest.name).update(message).digest();
}
