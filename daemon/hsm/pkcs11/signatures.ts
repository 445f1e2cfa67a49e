/**
 * How dew's signing algorithms map onto token mechanisms, and the conversions that make a token's
 * output byte-identical in format to the software keys' (asym/asymmetric.ts). Pure.
 *
 * A RAW message is hashed here (public data) and every algorithm then signs the digest in the token:
 *   RSASSA_PKCS1_V1_5_*  CKM_RSA_PKCS over DigestInfo ‖ digest (RFC 8017 §9.2 step 2)
 *   RSASSA_PSS_*         CKM_RSA_PKCS_PSS, MGF1 with the same hash, salt = hash length (as OpenSSL's)
 *   ECDSA_*              CKM_ECDSA over the digest; the token's r ‖ s (PKCS#11 v2.40 §2.3.1) becomes
 *                        the DER Ecdsa-Sig-Value node:crypto gives (SEC 1 §C.5)
 *   ED25519_SHA_512      CKM_EDDSA over the message itself (RAW only, RFC 8032 §5.1.6)
 * Input checks and their CryptoInputError codes are the software keys' (same messages).
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { Mechanism, RsaOAEP, RsaPSS } from 'pkcs11js';
import { assertMessage } from '../asym/asymmetric.js';
import { assertSigningAlgorithmFits, SIGNING_DIGEST, type AsymmetricKeySpec, type MessageType, type SigningAlgorithm } from '../asym/key-specs.js';
import { derDecodeSignature, derEncodeSignature } from '../asym/der.js';
import { CKM_EDDSA } from './mechanisms.js';

// RFC 8017 §9.2 note 1: DER of DigestInfo up to the digest bytes.
const DIGEST_INFO_PREFIX: Readonly<Record<string, Buffer>> = Object.freeze({
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
});

const HASH_MECH: Readonly<Record<string, { hashAlg: number; mgf: number }>> = Object.freeze({
  sha1: { hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1 },
  sha256: { hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  sha384: { hashAlg: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  sha512: { hashAlg: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
});

/** Field sizes in bytes of the EC specs (the length of r and s in the token's r ‖ s). */
export const EC_FIELD_BYTES: Readonly<Record<string, number>> = Object.freeze({ EC_P256: 32, EC_P384: 48, SECP256K1: 32 });

/** The software keys' message checks (asym/asymmetric.ts assertMessage), same codes and messages. */
export function assertSignInput(spec: AsymmetricKeySpec, algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): void {
  assertSigningAlgorithmFits(spec, algorithm);
  assertMessage(algorithm, message, messageType);
}

/** What to hand the token: the mechanism and the bytes it signs (or verifies against). */
export interface SignPlan {
  mechanism: Mechanism;
  data: Buffer;
  kind: 'rsa' | 'ecdsa' | 'eddsa';
}

export function signPlan(algorithm: SigningAlgorithm, message: Uint8Array, messageType: MessageType): SignPlan {
  const msg = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const digest = SIGNING_DIGEST[algorithm];
  if (digest === null) return { mechanism: { mechanism: CKM_EDDSA }, data: msg, kind: 'eddsa' };
  const hashed = messageType === 'RAW' ? createHash(digest.name).update(msg).digest() : msg;
  if (algorithm.startsWith('ECDSA')) return { mechanism: { mechanism: pkcs11js.CKM_ECDSA }, data: hashed, kind: 'ecdsa' };
  if (algorithm.startsWith('RSASSA_PSS')) {
    const h = HASH_MECH[digest.name]!;
    const parameter: RsaPSS = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: h.hashAlg, mgf: h.mgf, saltLen: digest.length };
    return {
      mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter },
      data: hashed,
      kind: 'rsa',
    };
  }
  return { mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS }, data: Buffer.concat([DIGEST_INFO_PREFIX[digest.name]!, hashed]), kind: 'rsa' };
}

/** The token's r ‖ s (two big-endian halves) as DER. */
export function rawToDerSignature(raw: Uint8Array): Buffer {
  const half = raw.length / 2;
  const hex = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
  return derEncodeSignature(hex(raw.subarray(0, half)), hex(raw.subarray(half)));
}

/** A DER signature as r ‖ s of `fieldBytes` each, or undefined when it is not strict DER or does not fit. */
export function derToRawSignature(der: Uint8Array, fieldBytes: number): Buffer | undefined {
  const sig = derDecodeSignature(der);
  if (sig === null || sig.r < 1n || sig.s < 1n) return undefined;
  const r = sig.r.toString(16).padStart(fieldBytes * 2, '0');
  const s = sig.s.toString(16).padStart(fieldBytes * 2, '0');
  if (r.length !== fieldBytes * 2 || s.length !== fieldBytes * 2) return undefined;
  return Buffer.from(r + s, 'hex');
}

/** CKM_RSA_PKCS_OAEP with MGF1 over the same hash and an empty label (RFC 8017 §7.1). */
export function oaepMechanism(hash: 'sha1' | 'sha256'): Mechanism {
  const h = HASH_MECH[hash]!;
  // CKZ_DATA_SPECIFIED = 1 (PKCS#11 v2.40 §2.1.8); pkcs11js does not export it.
  const parameter: RsaOAEP = { type: pkcs11js.CK_PARAMS_RSA_OAEP, hashAlg: h.hashAlg, mgf: h.mgf, source: 1 };
  return { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter };
}
