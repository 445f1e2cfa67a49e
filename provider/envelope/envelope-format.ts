/**
 * The `dew envelope` file format (version 1): a header naming the master key and carrying the
 * encrypted data key, then the file in fixed-size authenticated chunks. Pure: no I/O here.
 *
 *   header  = "DEWENV1\n" (8 bytes, the magic and version)
 *           ‖ alg u8            1 = AES-256-GCM, 2 = SM4-CTR + HMAC-SM3 (encrypt-then-MAC)
 *           ‖ chunk_size u32 BE plaintext bytes per chunk (4 KiB .. 16 MiB)
 *           ‖ salt 16 bytes     random per file (key derivation)
 *           ‖ key_id_len u16 BE ‖ key_id (UTF-8, the daemon's key id)
 *           ‖ edk_len u16 BE    ‖ edk (the daemon's create-datakey cipher_text, raw bytes)
 *   chunk i = ciphertext (chunk_size bytes, or 0..chunk_size for the last chunk) ‖ tag
 *
 * There is always at least one chunk: the last one (possibly empty) is sealed with final = 1; every
 * other chunk is exactly chunk_size bytes. A reader knows a chunk is the last only because the
 * stream ends right after it, and the final flag in its tag must agree, so:
 *   - associated data of chunk i = SHA-256(header) ‖ i (u64 BE) ‖ final (u8)
 *   - flipping any header byte changes SHA-256(header) (or the data key): chunk 0 fails;
 *   - reordering fails (index), truncation at a chunk boundary fails (the new last chunk was
 *     sealed with final = 0), dropping the final chunk likewise, appended bytes make the real final
 *     chunk non-last (fails), a chunk spliced from another file fails (other data key, other header).
 * Keys: the data key (32 bytes, fresh from the daemon per file) is expanded with HKDF (SHA-256 for
 * AES, SM3 for SM4) with the salt into the chunk key(s), so a data key is never used raw.
 *   AES-256-GCM: 32-byte key, IV = 4 zero bytes ‖ i (u64 BE), 16-byte tag over the AAD above.
 *   SM4 (the KMS's own SM4 mode, daemon/hsm/symmetric.ts, since OpenSSL has no SM4-GCM): 16-byte
 *   SM4-CTR key and 32-byte HMAC-SM3 key; counter block = i (u64 BE) ‖ 8 zero bytes (a chunk of at
 *   most 2^20 blocks never reaches the next chunk's counters); tag = HMAC-SM3(AAD ‖ ciphertext),
 *   32 bytes, checked in constant time before the chunk is decrypted. The AAD is fixed-length, so
 *   the MAC input is unambiguous.
 * The tags make each chunk's key unique to the file: one data key per file, never reused.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual, type CipherGCM, type DecipherGCM } from 'node:crypto';

export const MAGIC = Buffer.from('DEWENV1\n', 'latin1');
export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const MIN_CHUNK_SIZE = 4096;
export const MAX_CHUNK_SIZE = 16 << 20;
export const DATA_KEY_BYTES = 32;

export type Algorithm = 1 | 2;
export const AES_256_GCM: Algorithm = 1;
export const SM4_CTR_HMAC_SM3: Algorithm = 2;

export interface EnvelopeHeader {
  algorithm: Algorithm;
  chunkSize: number;
  salt: Buffer;
  keyId: string;
  encryptedDataKey: Buffer;
}

/** A malformed or tampered envelope; the message is one line for the user. */
export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export function tagLength(alg: Algorithm): number {
  return alg === AES_256_GCM ? 16 : 32;
}

export function encodeHeader(h: EnvelopeHeader): Buffer {
  const id = Buffer.from(h.keyId, 'utf8');
  if (id.length > 0xffff || h.encryptedDataKey.length > 0xffff) throw new RangeError('key id or data key too long');
  const out = Buffer.alloc(MAGIC.length + 1 + 4 + 16 + 2 + id.length + 2 + h.encryptedDataKey.length);
  let o = MAGIC.copy(out, 0);
  o = out.writeUInt8(h.algorithm, o);
  o = out.writeUInt32BE(h.chunkSize, o);
  o += h.salt.copy(out, o);
  o = out.writeUInt16BE(id.length, o);
  o += id.copy(out, o);
  o = out.writeUInt16BE(h.encryptedDataKey.length, o);
  h.encryptedDataKey.copy(out, o);
  return out;
}

/**
 * Parses a header from the start of `buf`: the header and its length, or undefined when `buf` is
 * too short to hold it yet (the caller reads more). Throws EnvelopeError when it is not one.
 */
export function parseHeader(buf: Buffer): { header: EnvelopeHeader; length: number } | undefined {
  const fixed = MAGIC.length + 1 + 4 + 16 + 2;
  if (buf.length < MAGIC.length) {
    if (!MAGIC.subarray(0, buf.length).equals(buf)) throw new EnvelopeError('not a dew envelope (bad magic)');
    return undefined;
  }
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    if (buf.subarray(0, 6).equals(MAGIC.subarray(0, 6))) throw new EnvelopeError(`unsupported dew envelope version ${JSON.stringify(buf.subarray(6, 7).toString('latin1'))}`);
    throw new EnvelopeError('not a dew envelope (bad magic)');
  }
  if (buf.length < fixed) return undefined;
  let o = MAGIC.length;
  const algorithm = buf.readUInt8(o++);
  if (algorithm !== AES_256_GCM && algorithm !== SM4_CTR_HMAC_SM3) throw new EnvelopeError(`unknown envelope algorithm ${algorithm}`);
  const chunkSize = buf.readUInt32BE(o);
  o += 4;
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new EnvelopeError(`invalid envelope chunk size ${chunkSize}`);
  const salt = Buffer.from(buf.subarray(o, o + 16));
  o += 16;
  const idLen = buf.readUInt16BE(o);
  o += 2;
  if (buf.length < o + idLen + 2) return undefined;
  const keyId = buf.subarray(o, o + idLen).toString('utf8');
  o += idLen;
  const edkLen = buf.readUInt16BE(o);
  o += 2;
  if (buf.length < o + edkLen) return undefined;
  if (idLen === 0 || edkLen === 0) throw new EnvelopeError('envelope header names no key');
  const encryptedDataKey = Buffer.from(buf.subarray(o, o + edkLen));
  return { header: { algorithm, chunkSize, salt, keyId, encryptedDataKey }, length: o + edkLen };
}

/** Seals and opens the chunks of one file; `wipe()` zeroes the derived keys. */
export interface ChunkCipher {
  readonly tagLength: number;
  /** Ciphertext then tag (two buffers, so the chunk is not copied again). */
  seal(plain: Buffer, index: number, final: boolean): [Buffer, Buffer];
  /** The plaintext of `record` (ciphertext ‖ tag); throws EnvelopeError when it does not authenticate. */
  open(record: Buffer, index: number, final: boolean): Buffer;
  wipe(): void;
}

function chunkAad(headerHash: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(32 + 8 + 1);
  headerHash.copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), 32);
  aad[40] = final ? 1 : 0;
  return aad;
}

function tampered(index: number, _final: boolean): EnvelopeError {
  return new EnvelopeError(`chunk ${index} failed authentication: the file is corrupt, truncated, reordered or tampered with`);
}

/** The chunk cipher for a file, from its encoded header and the 32-byte data key (copied, not kept). */
export function chunkCipher(header: EnvelopeHeader, headerBytes: Buffer, dataKey: Buffer): ChunkCipher {
  if (dataKey.length !== DATA_KEY_BYTES) throw new EnvelopeError(`the data key is ${dataKey.length} bytes, not ${DATA_KEY_BYTES}`);
  const headerHash = createHash('sha256').update(headerBytes).digest();
  if (header.algorithm === AES_256_GCM) {
    const key = Buffer.from(hkdfSync('sha256', dataKey, header.salt, 'dew/envelope/v1/aes-256-gcm', 32));
    const iv = Buffer.alloc(12);
    const setIv = (i: number) => iv.writeBigUInt64BE(BigInt(i), 4);
    return {
      tagLength: 16,
      seal(plain, index, final) {
        setIv(index);
        const c = createCipheriv('aes-256-gcm', key, iv) as CipherGCM;
        c.setAAD(chunkAad(headerHash, index, final));
        const ct = c.update(plain);
        c.final();
        return [ct, c.getAuthTag()];
      },
      open(record, index, final) {
        if (record.length < 16) throw tampered(index, final);
        setIv(index);
        const d = createDecipheriv('aes-256-gcm', key, iv) as DecipherGCM;
        d.setAAD(chunkAad(headerHash, index, final));
        d.setAuthTag(record.subarray(record.length - 16));
        const pt = d.update(record.subarray(0, record.length - 16));
        try {
          d.final();
        } catch {
          pt.fill(0);
          throw tampered(index, final);
        }
        return pt;
      },
      wipe: () => key.fill(0),
    };
  }
  const okm = Buffer.from(hkdfSync('sm3', dataKey, header.salt, 'dew/envelope/v1/sm4-ctr-hmac-sm3', 48));
  const encKey = okm.subarray(0, 16);
  const macKey = okm.subarray(16);
  const ctr = Buffer.alloc(16);
  const tag = (aad: Buffer, ct: Buffer) => createHmac('sm3', macKey).update(aad).update(ct).digest();
  return {
    tagLength: 32,
    seal(plain, index, final) {
      ctr.writeBigUInt64BE(BigInt(index), 0);
      const c = createCipheriv('sm4-ctr', encKey, ctr);
      const ct = c.update(plain);
      c.final();
      return [ct, tag(chunkAad(headerHash, index, final), ct)];
    },
    open(record, index, final) {
      if (record.length < 32) throw tampered(index, final);
      const ct = record.subarray(0, record.length - 32);
      if (!timingSafeEqual(tag(chunkAad(headerHash, index, final), ct), record.subarray(record.length - 32))) throw tampered(index, final);
      ctr.writeBigUInt64BE(BigInt(index), 0);
      const d = createDecipheriv('sm4-ctr', encKey, ctr);
      const pt = d.update(ct);
      d.final();
      return pt;
    },
    wipe: () => okm.fill(0),
  };
}
