/**
 * Symmetric data encryption into ciphertext blobs.
 * AES_256 keys: AES-256-GCM (NIST SP 800-38D), 96-bit random nonce, 128-bit tag.
 * SM4 keys: SM4-CTR (GB/T 32907, NIST SP 800-38A CTR mode) then HMAC-SM3 over header, AAD and
 * ciphertext: encrypt-then-MAC, the generic composition shown IND-CCA secure by Bellare and
 * Namprempre (ASIACRYPT 2000) and standardised as ISO/IEC 19772:2009 mechanism 5. Node's OpenSSL
 * has no SM4-GCM, and this composition uses only primitives it has (SM4-CTR, SM3).
 * Independent subkeys come from the 16-byte SM4 key by HKDF-SM3 (RFC 5869).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual, createSecretKey, type KeyObject } from 'node:crypto';
import { fillRandom } from './random-pool.js';
import { allocBlob, parseBlob, paddedLength, HEADER_LEN, NONCE_OFFSET, TAG_LEN, type BlobHeader, type BlobKind } from './ciphertext-blob.js';

export type SymmetricCipher =
  | { readonly algorithm: 1; readonly key: KeyObject }
  | { readonly algorithm: 2; readonly encKey: Buffer; readonly macKey: Buffer };

export class DecryptError extends Error {
  constructor(message = 'decryption failed') {
    super(message);
    this.name = 'DecryptError';
  }
}

/** Prepares a cipher from raw key material (called once per cached key version). */
export function aesCipher(material: Buffer): SymmetricCipher {
  if (material.length !== 32) throw new TypeError('material: AES_256 keys are 32 bytes');
  return { algorithm: 1, key: createSecretKey(material) };
}

export function sm4Cipher(material: Buffer): SymmetricCipher {
  if (material.length !== 16) throw new TypeError('material: SM4 keys are 16 bytes');
  const okm = Buffer.from(hkdfSync('sm3', material, Buffer.alloc(0), 'dew/sm4-ctr-hmac-sm3/v1', 48));
  return { algorithm: 2, encKey: okm.subarray(0, 16), macKey: okm.subarray(16, 48) };
}

const EMPTY = Buffer.alloc(0);

/** One scratch buffer for padding plaintext (encryption is synchronous), wiped after each use. */
let padScratch = Buffer.alloc(4096 + 16);

/** The plaintext zero-padded to whole blocks; call `wipePadded` once the cipher has read it. */
function padded(plaintext: Uint8Array): Uint8Array {
  const n = paddedLength(plaintext.length);
  if (n === plaintext.length) return plaintext;
  if (padScratch.length < n) padScratch = Buffer.alloc(n);
  padScratch.set(plaintext);
  return padScratch.subarray(0, n);
}

function wipePadded(body: Uint8Array, plaintext: Uint8Array): void {
  if (body !== plaintext) body.fill(0);
}

function sm4Tag(c: { macKey: Buffer }, blob: Buffer, bodyEnd: number, aad: Uint8Array): Buffer {
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(aad.length, 0);
  return createHmac('sm3', c.macKey).update(blob.subarray(0, HEADER_LEN)).update(len).update(aad)
    .update(blob.subarray(HEADER_LEN, bodyEnd)).digest();
}

/** Encrypts `plaintext` (1..65535 bytes) into a blob naming `keyId` and `keyVersion`. */
export function encryptBlob(
  c: SymmetricCipher,
  ref: { keyId: string; keyVersion: number; kind: BlobKind },
  plaintext: Uint8Array,
  aad: Uint8Array = EMPTY,
): Buffer {
  // Fields spelled out: an object spread here cost more than the cipher on a loaded server.
  const header: BlobHeader = { kind: ref.kind, algorithm: c.algorithm, plaintextLength: plaintext.length, keyVersion: ref.keyVersion, keyId: ref.keyId };
  const blob = allocBlob(header);
  const body = padded(plaintext);
  const bodyEnd = HEADER_LEN + body.length;
  if (c.algorithm === 1) {
    const iv = blob.subarray(NONCE_OFFSET, NONCE_OFFSET + 12);
    fillRandom(iv);
    const cipher = createCipheriv('aes-256-gcm', c.key, iv);
    cipher.setAAD(aad.length ? Buffer.concat([blob.subarray(0, HEADER_LEN), aad]) : blob.subarray(0, HEADER_LEN));
    cipher.update(body).copy(blob, HEADER_LEN);
    cipher.final();
    cipher.getAuthTag().copy(blob, bodyEnd);
  } else {
    const iv = blob.subarray(NONCE_OFFSET, NONCE_OFFSET + 16);
    fillRandom(iv);
    const cipher = createCipheriv('sm4-ctr', c.encKey, iv);
    cipher.update(body).copy(blob, HEADER_LEN);
    cipher.final();
    sm4Tag(c, blob, bodyEnd, aad).copy(blob, bodyEnd);
  }
  wipePadded(body, plaintext);
  return blob;
}

/** Reads the header of a blob without decrypting it (to find the key). */
export { parseBlob };

/** Decrypts a blob whose header was already parsed; throws DecryptError on any mismatch. */
export function decryptBlob(c: SymmetricCipher, blob: Buffer, header: BlobHeader, aad: Uint8Array = EMPTY): Buffer {
  if (header.algorithm !== c.algorithm) throw new DecryptError('algorithm mismatch');
  const bodyEnd = blob.length - TAG_LEN;
  const body = blob.subarray(HEADER_LEN, bodyEnd);
  let out: Buffer;
  if (c.algorithm === 1) {
    const tagTail = blob.subarray(bodyEnd + 16);
    if (!tagTail.equals(Buffer.alloc(16))) throw new DecryptError();
    try {
      const d = createDecipheriv('aes-256-gcm', c.key, blob.subarray(NONCE_OFFSET, NONCE_OFFSET + 12));
      d.setAAD(aad.length ? Buffer.concat([blob.subarray(0, HEADER_LEN), aad]) : blob.subarray(0, HEADER_LEN));
      d.setAuthTag(blob.subarray(bodyEnd, bodyEnd + 16));
      out = d.update(body);
      d.final();
    } catch {
      throw new DecryptError();
    }
  } else {
    const expected = sm4Tag(c, blob, bodyEnd, aad);
    if (!timingSafeEqual(expected, blob.subarray(bodyEnd))) throw new DecryptError();
    const d = createDecipheriv('sm4-ctr', c.encKey, blob.subarray(NONCE_OFFSET, NONCE_OFFSET + 16));
    out = d.update(body);
    d.final();
  }
  for (let i = header.plaintextLength; i < out.length; i++) {
    if (out[i] !== 0) throw new DecryptError();
  }
  return out.subarray(0, header.plaintextLength);
}
