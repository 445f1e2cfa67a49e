/** The SSH wire encoding (RFC 4251 §5: uint32, string, mpint) that key blobs and PuTTY private blobs are made of. */
import { KeyFormatError } from './key-format-error.js';

/** Reads RFC 4251 §5 values from `buf` (which the reader does not own or wipe); a short read is a KeyFormatError naming `what`. */
export class SshReader {
  private offset = 0;
  constructor(private readonly buf: Buffer, private readonly what: string) {}

  uint32(): number {
    if (this.buf.length - this.offset < 4) throw new KeyFormatError(`${this.what} is truncated`);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A string's bytes, as a view into the buffer. */
  string(): Buffer {
    const len = this.uint32();
    if (this.buf.length - this.offset < len) throw new KeyFormatError(`${this.what} is truncated`);
    const out = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  /** A non-negative mpint (§5: two's complement, no needless leading bytes). */
  mpint(): bigint {
    const b = this.string();
    if (b.length > 0 && (b[0] & 0x80) !== 0) throw new KeyFormatError(`${this.what} holds a negative number`);
    return bytesToBigint(b);
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  /** Everything read so far (a view). */
  consumed(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}

export function sshUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function sshString(data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([sshUint32(b.length), b]);
}

/** §5 mpint of a non-negative integer: big-endian, a 0x00 first when the top bit is set, empty for zero. */
export function sshMpint(n: bigint): Buffer {
  if (n < 0n) throw new RangeError('sshMpint: n must be non-negative');
  if (n === 0n) return sshUint32(0);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.alloc(1), b]);
  return sshString(b);
}

export function bytesToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** Big-endian, exactly `length` bytes (left-padded with zeros). */
export function bigintToBytes(n: bigint, length: number): Buffer {
  const hex = n.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError('bigintToBytes: n does not fit');
  return Buffer.from(hex, 'hex');
}

/** Base64url without padding, as JWK members are written (RFC 7518 §2). */
export function toBase64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}
