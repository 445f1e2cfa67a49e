/**
 * The self-describing symmetric ciphertext: names its key and key version, and is exactly
 * 124 + ceil(n/16)*16 bytes long for n bytes of plaintext, as the reference service's blobs are.
 *
 *   [0,2)   magic "DW"          [2] format 1        [3] kind (1 data, 2 data key)
 *   [4]     algorithm           [5] reserved 0      [6,8) plaintext length (u16 BE)
 *   [8,12)  key version (u32 BE)                    [12,48) key id (36 ASCII chars)
 *   [48,64) nonce / IV          [64,92) reserved, zero
 *   [92,92+B) encrypted body, B = ceil(n/16)*16 (plaintext zero-padded to whole blocks)
 *   [92+B,124+B) tag (32 bytes: HMAC-SM3, or the 16-byte GCM tag followed by 16 zero bytes)
 * Bytes [0,92) are the header; every cipher authenticates them together with the caller's AAD.
 */

export const HEADER_LEN = 92;
export const TAG_LEN = 32;
export const OVERHEAD = HEADER_LEN + TAG_LEN;
export const NONCE_OFFSET = 48;
export const NONCE_LEN = 16;

export type BlobKind = 'data' | 'datakey';
/** 1 = AES-256-GCM (SP 800-38D), 2 = SM4-CTR then HMAC-SM3 (encrypt-then-MAC). */
export type BlobAlgorithm = 1 | 2;

export interface BlobHeader {
  kind: BlobKind;
  algorithm: BlobAlgorithm;
  plaintextLength: number;
  keyVersion: number;
  keyId: string;
}

const MAGIC0 = 0x44;
const MAGIC1 = 0x57;
const KEY_ID_RE = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/;

export class BlobFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobFormatError';
  }
}

export function paddedLength(n: number): number {
  return Math.ceil(n / 16) * 16;
}

export function blobLength(plaintextLength: number): number {
  return OVERHEAD + paddedLength(plaintextLength);
}

/** Allocates a zeroed blob with its header written; the cipher fills nonce, body and tag. */
export function allocBlob(h: BlobHeader): Buffer {
  if (!Number.isInteger(h.plaintextLength) || h.plaintextLength < 1 || h.plaintextLength > 0xffff) {
    throw new RangeError('plaintextLength: 1..65535 expected');
  }
  if (!KEY_ID_RE.test(h.keyId)) throw new TypeError('keyId: a key UUID expected');
  if (!Number.isInteger(h.keyVersion) || h.keyVersion < 1) throw new RangeError('keyVersion: positive integer expected');
  // From node's shared Buffer pool (a fresh ArrayBuffer per blob costs more than the cipher on a
  // busy server), zeroed explicitly: the reserved bytes must be zero.
  const out = Buffer.allocUnsafe(blobLength(h.plaintextLength)).fill(0);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = 1;
  out[3] = h.kind === 'data' ? 1 : 2;
  out[4] = h.algorithm;
  out.writeUInt16BE(h.plaintextLength, 6);
  out.writeUInt32BE(h.keyVersion, 8);
  out.write(h.keyId, 12, 36, 'latin1');
  return out;
}

/** Reads and checks a blob's header; throws BlobFormatError on anything that is not a well-formed blob. */
export function parseBlob(blob: Uint8Array): BlobHeader {
  if (blob.length < OVERHEAD + 16 || (blob.length - OVERHEAD) % 16 !== 0) throw new BlobFormatError('bad length');
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf[0] !== MAGIC0 || buf[1] !== MAGIC1 || buf[2] !== 1) throw new BlobFormatError('bad magic');
  const kind = buf[3] === 1 ? 'data' : buf[3] === 2 ? 'datakey' : undefined;
  if (!kind) throw new BlobFormatError('bad kind');
  const algorithm = buf[4];
  if (algorithm !== 1 && algorithm !== 2) throw new BlobFormatError('bad algorithm');
  const plaintextLength = buf.readUInt16BE(6);
  if (plaintextLength < 1 || blobLength(plaintextLength) !== buf.length) throw new BlobFormatError('bad length');
  const keyVersion = buf.readUInt32BE(8);
  const keyId = buf.toString('latin1', 12, 48);
  if (keyVersion < 1 || !KEY_ID_RE.test(keyId)) throw new BlobFormatError('bad key reference');
  return { kind, algorithm, plaintextLength, keyVersion, keyId };
}
