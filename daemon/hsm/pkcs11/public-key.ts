/**
 * A token public key object → node:crypto KeyObject, so `publicKeyPem` gives the exact PEM
 * SubjectPublicKeyInfo the software keys give (asym/asymmetric.ts: KeyObject.export spki/pem).
 * RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT (big-endian integers). EC and Ed25519: CKA_EC_POINT, which
 * PKCS#11 v2.40 §2.3.3 defines as the DER OCTET STRING of the SEC 1 uncompressed point (RFC 8410 §3
 * public key for Ed25519); tokens that return the bare point are accepted too. Pure.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

const POINT_BYTES: Readonly<Record<string, number>> = Object.freeze({ EC_P256: 65, EC_P384: 97, SECP256K1: 65, ED25519: 32 });
const JWK_CURVE: Readonly<Record<string, string>> = Object.freeze({ EC_P256: 'P-256', EC_P384: 'P-384', SECP256K1: 'secp256k1' });

function b64u(b: Buffer): string {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i).toString('base64url');
}

export function rsaPublicKey(modulus: Buffer, exponent: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: b64u(modulus), e: b64u(exponent) }, format: 'jwk' });
}

/** The bare point of a CKA_EC_POINT value for `keySpec`. */
export function ecPointBytes(keySpec: string, ecPoint: Buffer): Buffer {
  const n = POINT_BYTES[keySpec];
  if (n === undefined) throw new TypeError(`keySpec: ${keySpec} is not an EC or Ed25519 spec`);
  if (ecPoint.length === n) return ecPoint;
  if (ecPoint.length === n + 2 && ecPoint[0] === 0x04 && ecPoint[1] === n) return ecPoint.subarray(2);
  throw new TypeError(`CKA_EC_POINT: not a ${keySpec} point`);
}

export function ecPublicKey(keySpec: string, ecPoint: Buffer): KeyObject {
  const point = ecPointBytes(keySpec, ecPoint);
  if (keySpec === 'ED25519') return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url') }, format: 'jwk' });
  if (point[0] !== 0x04) throw new TypeError('CKA_EC_POINT: an uncompressed point expected');
  const half = (point.length - 1) / 2;
  return createPublicKey({
    key: { kty: 'EC', crv: JWK_CURVE[keySpec]!, x: point.subarray(1, 1 + half).toString('base64url'), y: point.subarray(1 + half).toString('base64url') },
    format: 'jwk',
  });
}
