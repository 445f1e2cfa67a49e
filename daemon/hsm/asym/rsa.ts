/** RSA signatures over precomputed digests (RFC 8017 §8.1, §8.2 with §9.1, §9.2) and RSAES-OAEP (RFC 8017 §7.1) on node:crypto. */
import { constants, createHash, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { assertArg, CryptoInputError, isBytes } from './errors.js';

export type RsaHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type RsaSignaturePadding = 'PKCS1_V1_5' | 'PSS';

const HASH_LENGTH: Readonly<Record<RsaHash, number>> = Object.freeze({ sha1: 20, sha256: 32, sha384: 48, sha512: 64 });

// RFC 8017 §9.2 note 1: DER of DigestInfo up to the digest bytes.
const DIGEST_INFO_PREFIX: Readonly<Record<Exclude<RsaHash, 'sha1'>, Buffer>> = Object.freeze({
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
});

function modulusBits(key: KeyObject, name: string): number {
  assertArg(typeof key === 'object' && key !== null && key.asymmetricKeyType === 'rsa', name, 'must be an RSA KeyObject');
  return key.asymmetricKeyDetails!.modulusLength!;
}

function assertDigest(hash: RsaHash, digest: Uint8Array): void {
  assertArg(hash in DIGEST_INFO_PREFIX, 'hash', 'must be sha256, sha384 or sha512');
  if (!isBytes(digest) || digest.length !== HASH_LENGTH[hash]) {
    throw new CryptoInputError('DIGEST_LENGTH', `digest must be ${HASH_LENGTH[hash]} bytes for ${hash}`);
  }
}

// RFC 8017 §B.2.1 MGF1.
function mgf1(hash: RsaHash, seed: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let c = 0, offset = 0; offset < length; c++, offset += HASH_LENGTH[hash]) {
    counter.writeUInt32BE(c);
    createHash(hash).update(seed).update(counter).digest().copy(out, offset);
  }
  return out;
}

// RFC 8017 §9.1.1 EMSA-PSS-ENCODE with sLen = hLen, emBits = modBits − 1, left-padded to k bytes.
function emsaPssEncode(hash: RsaHash, mHash: Uint8Array, bits: number): Buffer {
  const hLen = HASH_LENGTH[hash];
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.alloc(emLen - hLen - 1);
  db[emLen - 2 * hLen - 2] = 0x01;
  salt.copy(db, emLen - 2 * hLen - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const k = Math.ceil(bits / 8);
  const em = Buffer.alloc(k);
  db.copy(em, k - emLen);
  h.copy(em, k - hLen - 1);
  em[k - 1] = 0xbc;
  return em;
}

// RFC 8017 §9.1.2 EMSA-PSS-VERIFY with sLen = hLen; `m` is the k-byte RSAVP1 output.
function emsaPssVerify(hash: RsaHash, mHash: Uint8Array, m: Buffer, bits: number): boolean {
  const hLen = HASH_LENGTH[hash];
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  for (let i = 0; i < m.length - emLen; i++) if (m[i] !== 0) return false;
  const em = m.subarray(m.length - emLen);
  if (emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((maskedDb[0]! & ~(0xff >> (8 * emLen - emBits)) & 0xff) !== 0) return false;
  const db = mgf1(hash, h, maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= maskedDb[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const psLen = emLen - 2 * hLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - hLen);
  const h2 = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return timingSafeEqual(h, h2);
}

/** RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.1) or RSASSA-PSS (§8.1.1, salt = hash length) over a precomputed digest. */
export function rsaSignDigest(privateKey: KeyObject, padding: RsaSignaturePadding, hash: RsaHash, digest: Uint8Array): Buffer {
  const bits = modulusBits(privateKey, 'privateKey');
  assertArg(privateKey.type === 'private', 'privateKey', 'must be a private key');
  assertArg(padding === 'PKCS1_V1_5' || padding === 'PSS', 'padding', 'must be PKCS1_V1_5 or PSS');
  assertDigest(hash, digest);
  if (padding === 'PKCS1_V1_5') {
    // §9.2 EMSA-PKCS1-v1_5: OpenSSL adds the 00 01 FF… 00 block-type-1 padding around T = DigestInfo.
    const t = Buffer.concat([DIGEST_INFO_PREFIX[hash as Exclude<RsaHash, 'sha1'>], digest]);
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, t);
  }
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, emsaPssEncode(hash, digest, bits));
}

/** Verifies an RSASSA signature over a precomputed digest; false, never an exception, for a malformed signature. */
export function rsaVerifyDigest(publicKey: KeyObject, padding: RsaSignaturePadding, hash: RsaHash, digest: Uint8Array, signature: Uint8Array): boolean {
  const bits = modulusBits(publicKey, 'publicKey');
  assertArg(padding === 'PKCS1_V1_5' || padding === 'PSS', 'padding', 'must be PKCS1_V1_5 or PSS');
  assertDigest(hash, digest);
  assertArg(isBytes(signature), 'signature', 'must be bytes');
  if (signature.length !== Math.ceil(bits / 8)) return false;
  try {
    if (padding === 'PKCS1_V1_5') {
      const t = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = Buffer.concat([DIGEST_INFO_PREFIX[hash as Exclude<RsaHash, 'sha1'>], digest]);
      return t.length === expected.length && timingSafeEqual(t, expected);
    }
    return emsaPssVerify(hash, digest, publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature), bits);
  } catch {
    return false;
  }
}

/** RFC 8017 §7.1.1: the largest OAEP plaintext, k − 2·hLen − 2 (190/318/446 bytes for SHA-256 and 2048/3072/4096-bit keys). */
export function rsaOaepMaxPlaintext(modulusBitLength: number, hash: 'sha1' | 'sha256'): number {
  assertArg(Number.isInteger(modulusBitLength) && modulusBitLength >= 1024, 'modulusBitLength', 'must be an integer >= 1024');
  assertArg(hash === 'sha1' || hash === 'sha256', 'hash', 'must be sha1 or sha256');
  return Math.ceil(modulusBitLength / 8) - 2 * HASH_LENGTH[hash] - 2;
}

/** RSAES-OAEP-ENCRYPT (RFC 8017 §7.1.1) with MGF1 over the same hash and an empty label. */
export function rsaOaepEncrypt(publicKey: KeyObject, hash: 'sha1' | 'sha256', plaintext: Uint8Array): Buffer {
  const bits = modulusBits(publicKey, 'publicKey');
  const max = rsaOaepMaxPlaintext(bits, hash);
  assertArg(isBytes(plaintext) && plaintext.length >= 1, 'plaintext', 'must be at least 1 byte');
  if (plaintext.length > max) {
    throw new CryptoInputError('PLAINTEXT_TOO_LONG', `plaintext must be at most ${max} bytes for RSA-${bits} OAEP-${hash}`);
  }
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
}

/** RSAES-OAEP-DECRYPT (RFC 8017 §7.1.2); one uniform BAD_CIPHERTEXT error so no padding oracle is exposed. */
export function rsaOaepDecrypt(privateKey: KeyObject, hash: 'sha1' | 'sha256', ciphertext: Uint8Array): Buffer {
  const bits = modulusBits(privateKey, 'privateKey');
  assertArg(privateKey.type === 'private', 'privateKey', 'must be a private key');
  assertArg(hash === 'sha1' || hash === 'sha256', 'hash', 'must be sha1 or sha256');
  assertArg(isBytes(ciphertext), 'ciphertext', 'must be bytes');
  if (ciphertext.length !== Math.ceil(bits / 8)) {
    throw new CryptoInputError('BAD_CIPHERTEXT', `ciphertext must be ${Math.ceil(bits / 8)} bytes`);
  }
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ciphertext);
  } catch (cause) {
    throw new CryptoInputError('BAD_CIPHERTEXT', 'RSA-OAEP decryption failed', { cause });
  }
}
