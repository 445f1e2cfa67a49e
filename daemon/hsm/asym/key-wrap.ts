/** RFC 3394 key wrap and RFC 5649 key wrap with padding over any 128-bit block cipher (AES, SM4). */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { assertArg, CryptoInputError, isBytes } from './errors.js';

/** One KEK's raw 128-bit block permutation, valid for one wrap or unwrap call. */
export interface BlockCipher {
  encryptBlock(block: Buffer): Buffer;
  decryptBlock(block: Buffer): Buffer;
}

/** Builds a fresh BlockCipher for a KEK; called once per wrap/unwrap. */
export type BlockCipherFactory = (kek: Uint8Array) => BlockCipher;

const RFC3394_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex'); // RFC 3394 §2.2.3.1
const RFC5649_AIV_PREFIX = Buffer.from('a65959a6', 'hex'); // RFC 5649 §3

// ECB without padding on one cipher object per direction: update() on whole blocks returns them at once.
function ecbBlockCipher(algorithm: string, kek: Uint8Array): BlockCipher {
  let enc: ReturnType<typeof createCipheriv> | undefined;
  let dec: ReturnType<typeof createDecipheriv> | undefined;
  return {
    encryptBlock(block) {
      enc ??= createCipheriv(algorithm, kek, null).setAutoPadding(false);
      return enc.update(block);
    },
    decryptBlock(block) {
      dec ??= createDecipheriv(algorithm, kek, null).setAutoPadding(false);
      return dec.update(block);
    },
  };
}

/** AES-128/192/256 chosen by KEK length (16/24/32 bytes). */
export const aesBlockCipher: BlockCipherFactory = (kek) => {
  assertArg(isBytes(kek) && [16, 24, 32].includes(kek.length), 'kek', 'must be 16, 24 or 32 bytes');
  return ecbBlockCipher(`aes-${kek.length * 8}-ecb`, kek);
};

/** SM4 (GB/T 32907) with a 16-byte KEK. */
export const sm4BlockCipher: BlockCipherFactory = (kek) => {
  assertArg(isBytes(kek) && kek.length === 16, 'kek', 'must be 16 bytes');
  return ecbBlockCipher('sm4-ecb', kek);
};

// RFC 3394 §2.2.1 wrapping process (index form), R = n 64-bit blocks; the result is A || R.
function w(cipher: BlockCipher, iv: Buffer, plaintext: Buffer): Buffer {
  const n = plaintext.length / 8;
  const out = Buffer.alloc(8 + plaintext.length);
  iv.copy(out, 0);
  plaintext.copy(out, 8);
  const block = Buffer.alloc(16);
  for (let j = 0; j <= 5; j++) {
    for (let i = 1; i <= n; i++) {
      out.copy(block, 0, 0, 8);
      out.copy(block, 8, 8 * i, 8 * i + 8);
      const b = cipher.encryptBlock(block);
      b.copy(out, 0, 0, 8);
      out.writeBigUInt64BE(out.readBigUInt64BE(0) ^ BigInt(n * j + i), 0);
      b.copy(out, 8 * i, 8, 16);
      b.fill(0);
    }
  }
  block.fill(0);
  return out;
}

// RFC 3394 §2.2.2 unwrapping process; returns A and the caller-owned plaintext R.
function wInverse(cipher: BlockCipher, ciphertext: Uint8Array): { a: Buffer; r: Buffer } {
  const n = ciphertext.length / 8 - 1;
  const a = Buffer.from(ciphertext.subarray(0, 8));
  const r = Buffer.from(ciphertext.subarray(8));
  const block = Buffer.alloc(16);
  for (let j = 5; j >= 0; j--) {
    for (let i = n; i >= 1; i--) {
      a.writeBigUInt64BE(a.readBigUInt64BE(0) ^ BigInt(n * j + i), 0);
      a.copy(block, 0);
      r.copy(block, 8, 8 * (i - 1), 8 * i);
      const b = cipher.decryptBlock(block);
      b.copy(a, 0, 0, 8);
      b.copy(r, 8 * (i - 1), 8, 16);
      b.fill(0);
    }
  }
  block.fill(0);
  return { a, r };
}

/** RFC 3394 §2.2.1 key wrap with the default IV; `key` is a multiple of 8 bytes, at least 16. */
export function keyWrap(factory: BlockCipherFactory, kek: Uint8Array, key: Uint8Array): Buffer {
  assertArg(typeof factory === 'function', 'factory', 'must be a BlockCipherFactory');
  assertArg(isBytes(key) && key.length >= 16 && key.length % 8 === 0, 'key', 'must be a multiple of 8 bytes, at least 16');
  const plain = Buffer.from(key);
  const out = w(factory(kek), RFC3394_IV, plain);
  plain.fill(0);
  return out;
}

/** RFC 3394 §2.2.2 unwrap and §2.2.3 integrity check; throws CryptoInputError UNWRAP_FAILED. */
export function keyUnwrap(factory: BlockCipherFactory, kek: Uint8Array, wrapped: Uint8Array): Buffer {
  assertArg(typeof factory === 'function', 'factory', 'must be a BlockCipherFactory');
  assertArg(isBytes(wrapped), 'wrapped', 'must be bytes');
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) throw new CryptoInputError('UNWRAP_FAILED', 'wrapped key must be a multiple of 8 bytes, at least 24');
  const { a, r } = wInverse(factory(kek), wrapped);
  if (!timingSafeEqual(a, RFC3394_IV)) {
    r.fill(0);
    throw new CryptoInputError('UNWRAP_FAILED', 'key unwrap integrity check failed');
  }
  return r;
}

/** RFC 5649 §4.1 key wrap with padding: AIV = A65959A6 || MLI, one ECB block for up to 8 bytes, else W. */
export function keyWrapPad(factory: BlockCipherFactory, kek: Uint8Array, key: Uint8Array): Buffer {
  assertArg(typeof factory === 'function', 'factory', 'must be a BlockCipherFactory');
  assertArg(isBytes(key) && key.length >= 1 && key.length <= 0xffffffff, 'key', 'must be 1 to 2^32-1 bytes');
  const cipher = factory(kek);
  const aiv = Buffer.alloc(8);
  RFC5649_AIV_PREFIX.copy(aiv, 0);
  aiv.writeUInt32BE(key.length, 4);
  const padded = Buffer.alloc(Math.ceil(key.length / 8) * 8);
  padded.set(key);
  let out: Buffer;
  if (padded.length === 8) {
    const block = Buffer.concat([aiv, padded]);
    out = cipher.encryptBlock(block);
    block.fill(0);
  } else {
    out = w(cipher, aiv, padded);
  }
  padded.fill(0);
  return out;
}

/** RFC 5649 §4.2 unwrap with AIV, MLI and zero-padding checks; throws CryptoInputError UNWRAP_FAILED. */
export function keyUnwrapPad(factory: BlockCipherFactory, kek: Uint8Array, wrapped: Uint8Array): Buffer {
  assertArg(typeof factory === 'function', 'factory', 'must be a BlockCipherFactory');
  assertArg(isBytes(wrapped), 'wrapped', 'must be bytes');
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) throw new CryptoInputError('UNWRAP_FAILED', 'wrapped key must be a multiple of 8 bytes, at least 16');
  const cipher = factory(kek);
  let a: Buffer;
  let p: Buffer;
  if (wrapped.length === 16) {
    const b = cipher.decryptBlock(Buffer.from(wrapped));
    a = Buffer.from(b.subarray(0, 8));
    p = Buffer.from(b.subarray(8));
    b.fill(0);
  } else {
    ({ a, r: p } = wInverse(cipher, wrapped));
  }
  const mli = a.readUInt32BE(4);
  const n = p.length / 8;
  let ok = timingSafeEqual(a.subarray(0, 4), RFC5649_AIV_PREFIX) && mli > 8 * (n - 1) && mli <= 8 * n;
  if (ok) {
    let pad = 0;
    for (let i = mli; i < p.length; i++) pad |= p[i]!;
    ok = pad === 0;
  }
  if (!ok) {
    p.fill(0);
    throw new CryptoInputError('UNWRAP_FAILED', 'key unwrap integrity check failed');
  }
  const out = Buffer.from(p.subarray(0, mli));
  p.fill(0);
  return out;
}

/** RFC 5649 with AES-128/192/256; the 256-bit case equals OpenSSL's id-aes256-wrap-pad. */
export function aesKeyWrapPad(kek: Uint8Array, key: Uint8Array): Buffer {
  return keyWrapPad(aesBlockCipher, kek, key);
}

export function aesKeyUnwrapPad(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  return keyUnwrapPad(aesBlockCipher, kek, wrapped);
}

/** RFC 3394 with AES-128/192/256. */
export function aesKeyWrap(kek: Uint8Array, key: Uint8Array): Buffer {
  return keyWrap(aesBlockCipher, kek, key);
}

export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  return keyUnwrap(aesBlockCipher, kek, wrapped);
}

/** RFC 5649 §4.1 applied unchanged with SM4 (GB/T 32907) as the 128-bit block cipher in place of AES. */
export function sm4KeyWrapPad(kek: Uint8Array, key: Uint8Array): Buffer {
  return keyWrapPad(sm4BlockCipher, kek, key);
}

export function sm4KeyUnwrapPad(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  return keyUnwrapPad(sm4BlockCipher, kek, wrapped);
}
