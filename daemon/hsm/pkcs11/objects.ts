/**
 * Token objects of dew keys: their labels, the opaque reference stored in place of wrapped material,
 * and the attribute templates keys are generated with. Pure: no token calls here.
 *
 * Label: `dew:<partitionId>:<keyId>:v<version>` (CKA_LABEL, the private and public halves of a pair
 * share it and differ by CKA_CLASS); CKA_ID is the first 16 bytes of SHA-256(label), so PKCS#11 tools
 * pair the halves. The stored reference is the ASCII bytes `p11:v1:<label>`: no key bytes, and only
 * valid for the KeyRef it names (`parseObjectRef` checks the label against the ref).
 *
 * Every key object is CKA_TOKEN (kept), CKA_PRIVATE (user login needed), CKA_SENSITIVE and not
 * CKA_EXTRACTABLE (PKCS#11 v2.40 §4.9: its value never leaves the token, wrapped or not), and may not
 * wrap or unwrap other keys. Public halves are public objects (their values are public anyway).
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { Template } from 'pkcs11js';
import { keySpecInfo } from '../key-specs.js';
import { CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN } from './mechanisms.js';

export interface ObjectRefFor {
  partitionId: string;
  keyId: string;
  version: number;
}

const REF_PREFIX = 'p11:v1:';

export function objectLabel(ref: ObjectRefFor): string {
  if (!/^[\x21-\x7e]{1,128}$/.test(ref.partitionId) || ref.partitionId.includes(':')) {
    throw new TypeError('partitionId: 1..128 printable ASCII characters without ":" expected');
  }
  if (!Number.isInteger(ref.version) || ref.version < 1) throw new RangeError('version: positive integer expected');
  return `dew:${ref.partitionId}:${ref.keyId}:v${ref.version}`;
}

export function objectId(label: string): Buffer {
  return createHash('sha256').update(label, 'utf8').digest().subarray(0, 16);
}

/** The stored reference for a key version's token objects. */
export function encodeObjectRef(ref: ObjectRefFor): Buffer {
  return Buffer.from(REF_PREFIX + objectLabel(ref), 'latin1');
}

/** The label a stored reference names, if it is a well-formed reference to exactly `ref`; else undefined. */
export function parseObjectRef(stored: Uint8Array, ref: ObjectRefFor): string | undefined {
  const text = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('latin1');
  if (!text.startsWith(REF_PREFIX)) return undefined;
  const label = text.slice(REF_PREFIX.length);
  return label === objectLabel(ref) ? label : undefined;
}

/** True for bytes that are a token object reference (whatever key they name). */
export function isObjectRef(stored: Uint8Array): boolean {
  return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).subarray(0, REF_PREFIX.length).toString('latin1') === REF_PREFIX;
}

/** Attributes every private or secret key object gets. */
function keyObject(label: string): Template {
  return [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_MODIFIABLE, value: false },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: objectId(label) },
  ];
}

export interface SecretKeyPlan {
  mechanism: number;
  template: Template;
}

/** AES-256 (CKK_AES, encrypt/decrypt) or HMAC (CKK_GENERIC_SECRET, sign/verify) generation in the token. */
export function secretKeyPlan(keySpec: string, label: string): SecretKeyPlan {
  const info = keySpecInfo(keySpec);
  if (!info || !info.symmetric || (info.family !== 'aes' && info.family !== 'hmac') || info.digest === 'sm3') {
    throw new TypeError(`keySpec: ${keySpec} is not a symmetric key spec a token serves`);
  }
  const aes = info.family === 'aes';
  return {
    mechanism: aes ? pkcs11js.CKM_AES_KEY_GEN : pkcs11js.CKM_GENERIC_SECRET_KEY_GEN,
    template: [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: aes ? pkcs11js.CKK_AES : pkcs11js.CKK_GENERIC_SECRET },
      { type: pkcs11js.CKA_VALUE_LEN, value: info.materialBytes },
      ...keyObject(label),
      { type: pkcs11js.CKA_ENCRYPT, value: aes },
      { type: pkcs11js.CKA_DECRYPT, value: aes },
      { type: pkcs11js.CKA_SIGN, value: !aes },
      { type: pkcs11js.CKA_VERIFY, value: !aes },
    ],
  };
}

/** DER of the curve OIDs (CKA_EC_PARAMS, PKCS#11 v2.40 §2.3.3; RFC 5480 §2.1.1.1; RFC 8410 §3). */
export const EC_PARAMS: Readonly<Record<string, Buffer>> = Object.freeze({
  EC_P256: Buffer.from('06082a8648ce3d030107', 'hex'),
  EC_P384: Buffer.from('06052b81040022', 'hex'),
  SECP256K1: Buffer.from('06052b8104000a', 'hex'),
  ED25519: Buffer.from('06032b6570', 'hex'),
});

export const RSA_BITS: Readonly<Record<string, number>> = Object.freeze({ RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 });

export interface KeyPairPlan {
  mechanism: number;
  publicTemplate: Template;
  privateTemplate: Template;
}

/** RSA (e = 65537), NIST/secp256k1 EC or Ed25519 key pair generation in the token. */
export function keyPairPlan(keySpec: string, label: string): KeyPairPlan {
  const pub = (extra: Template): Template => [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_MODIFIABLE, value: false },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: objectId(label) },
    { type: pkcs11js.CKA_VERIFY, value: true },
    ...extra,
  ];
  const priv = (extra: Template): Template => [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    // A private key has no CKA_WRAP (PKCS#11 v2.40 §4.9 gives it CKA_UNWRAP only).
    ...keyObject(label).filter((a) => a.type !== pkcs11js.CKA_WRAP),
    { type: pkcs11js.CKA_SIGN, value: true },
    ...extra,
  ];
  const bits = RSA_BITS[keySpec];
  if (bits !== undefined) {
    return {
      mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN,
      publicTemplate: pub([
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
        { type: pkcs11js.CKA_MODULUS_BITS, value: bits },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
      ]),
      privateTemplate: priv([{ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA }, { type: pkcs11js.CKA_DECRYPT, value: true }]),
    };
  }
  const params = EC_PARAMS[keySpec];
  if (params === undefined) throw new TypeError(`keySpec: ${keySpec} is not an asymmetric key spec a token serves`);
  const edwards = keySpec === 'ED25519';
  const keyType = edwards ? CKK_EC_EDWARDS : pkcs11js.CKK_EC;
  return {
    mechanism: edwards ? CKM_EC_EDWARDS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN,
    publicTemplate: pub([{ type: pkcs11js.CKA_KEY_TYPE, value: keyType }, { type: pkcs11js.CKA_EC_PARAMS, value: params }]),
    privateTemplate: priv([{ type: pkcs11js.CKA_KEY_TYPE, value: keyType }]),
  };
}

/** An AES-256 token key for dew's own use (instance root, master-key wrapping): encrypt/decrypt only. */
export function rootKeyTemplate(label: string): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    ...keyObject(label),
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
  ];
}
