/** Minimal DER (ITU-T X.690 §8, §10) encoder and strict reader for the few structures keys and signatures need. */

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;

/** One decoded TLV; `content` is a view into the input buffer (the caller owns the bytes). */
export interface DerElement {
  readonly tag: number;
  readonly content: Buffer;
}

/** Thrown for any input that is not canonical DER. */
export class DerError extends Error {
  override readonly name = 'DerError';
}

// X.690 §8.1.3: short form below 128, otherwise the minimal long form.
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one TLV with a single-byte tag. */
export function derTlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function derSequence(...children: Uint8Array[]): Buffer {
  return derTlv(TAG_SEQUENCE, Buffer.concat(children));
}

/** X.690 §8.3: minimal two's complement; `value` is a non-negative integer. */
export function derUnsignedInteger(value: bigint): Buffer {
  if (value < 0n) throw new DerError('negative INTEGER not supported');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  let body = Buffer.from(hex, 'hex');
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return derTlv(TAG_INTEGER, body);
}

export function derSmallInteger(value: number): Buffer {
  return derUnsignedInteger(BigInt(value));
}

export function derOctetString(content: Uint8Array): Buffer {
  return derTlv(TAG_OCTET_STRING, content);
}

/** X.690 §8.6: a BIT STRING with no unused bits. */
export function derBitString(content: Uint8Array): Buffer {
  return derTlv(TAG_BIT_STRING, Buffer.concat([Buffer.from([0]), content]));
}

/** Constructed context-specific tag [n] (X.690 §8.14), explicit tagging. */
export function derExplicit(n: number, content: Uint8Array): Buffer {
  return derTlv(0xa0 | n, content);
}

/** X.690 §8.19: dotted OID string to an OBJECT IDENTIFIER TLV. */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new DerError(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (arc: bigint): void => {
    const bytes: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return derTlv(TAG_OID, Buffer.from(out));
}

/** Decodes OID content bytes (without tag and length) to the dotted form. */
export function oidToString(content: Uint8Array): string {
  if (content.length === 0 || (content[content.length - 1]! & 0x80) !== 0) throw new DerError('bad OID');
  const arcs: bigint[] = [];
  let value = 0n;
  let first = true;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (value === 0n && b === 0x80) throw new DerError('non-minimal OID arc');
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      if (first) {
        const top = value < 80n ? value / 40n : 2n;
        arcs.push(top, value - top * 40n);
        first = false;
      } else {
        arcs.push(value);
      }
      value = 0n;
    }
  }
  return arcs.join('.');
}

/** Reads one TLV at `offset`; rejects indefinite, non-minimal or overlong lengths (X.690 §10.1). */
export function derRead(input: Buffer, offset = 0): { element: DerElement; next: number } {
  if (offset + 2 > input.length) throw new DerError('truncated DER');
  const tag = input[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags not supported');
  let pos = offset + 1;
  const first = input[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported DER length');
    if (pos + count > input.length) throw new DerError('truncated DER length');
    if (input[pos] === 0) throw new DerError('non-minimal DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
    if (length < 0x80) throw new DerError('non-minimal DER length');
  }
  if (pos + length > input.length) throw new DerError('truncated DER content');
  return { element: { tag, content: input.subarray(pos, pos + length) }, next: pos + length };
}

/** Reads exactly one TLV spanning all of `input`, with the expected tag. */
export function derReadWhole(input: Buffer, tag: number): DerElement {
  const { element, next } = derRead(input, 0);
  if (element.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
  if (next !== input.length) throw new DerError('trailing bytes after DER');
  return element;
}

/** Splits constructed content into its child TLVs. */
export function derChildren(content: Buffer): DerElement[] {
  const out: DerElement[] = [];
  for (let pos = 0; pos < content.length; ) {
    const { element, next } = derRead(content, pos);
    out.push(element);
    pos = next;
  }
  return out;
}

/** X.690 §8.3.2: a minimal, non-negative INTEGER's value. */
export function derToUnsignedInteger(element: DerElement): bigint {
  if (element.tag !== TAG_INTEGER) throw new DerError('expected INTEGER');
  const c = element.content;
  if (c.length === 0) throw new DerError('empty INTEGER');
  if (c[0]! & 0x80) throw new DerError('negative INTEGER');
  if (c.length > 1 && c[0] === 0 && (c[1]! & 0x80) === 0) throw new DerError('non-minimal INTEGER');
  return BigInt('0x' + c.toString('hex'));
}

/** A BIT STRING's bytes when it has no unused bits. */
export function derToBitStringBytes(element: DerElement): Buffer {
  if (element.tag !== TAG_BIT_STRING || element.content.length < 1 || element.content[0] !== 0) {
    throw new DerError('expected BIT STRING with no unused bits');
  }
  return element.content.subarray(1);
}

/** Encodes an ECDSA/SM2 signature SEQUENCE { r INTEGER, s INTEGER } (SEC 1 §C.8, GB/T 32918.2 via GM/T 0009). */
export function derEncodeSignature(r: bigint, s: bigint): Buffer {
  return derSequence(derUnsignedInteger(r), derUnsignedInteger(s));
}

/** Strictly decodes SEQUENCE { r, s }; returns null for anything malformed. */
export function derDecodeSignature(signature: Uint8Array): { r: bigint; s: bigint } | null {
  try {
    const seq = derReadWhole(Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength), TAG_SEQUENCE);
    const children = derChildren(seq.content);
    if (children.length !== 2) return null;
    return { r: derToUnsignedInteger(children[0]!), s: derToUnsignedInteger(children[1]!) };
  } catch {
    return null;
  }
}
