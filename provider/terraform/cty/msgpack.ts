/**
 * The schema-driven msgpack codec of Terraform's DynamicValue (docs/plugin-protocol/object-wire-format.md):
 * every msgpack extension is an Unknown (refinements of code 12 parsed, the extension kept as `raw`
 * and passed through on encode), int64 read without loss, numbers as int, float or decimal string,
 * objects with exactly their type's attributes, `dynamic` as `[type JSON bytes, value]`.
 */
import { Decoder, Encoder, ExtData, type ExtensionCodecType } from '@msgpack/msgpack';
import { CtyError } from './errors.js';
import { attr, index, key, type PathStep } from './path.js';
import { defineKey, friendlyTypeName, parseType, typeJson, type CtyType } from './types.js';
import {
  BigNum, Dynamic, impliedType, isRecordValue, numberFromBigInt, numberFromText, Unknown,
  type CtyValue, type NumberBound, type Refinements,
} from './values.js';

export { CtyError } from './errors.js';
export { impliedType } from './values.js';

const REFINED_UNKNOWN = 12;

/** The msgpack header of an extension with the given code and payload length, in its shortest form. */
function extHeader(code: number, length: number): Buffer {
  const fix: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
  const c = code & 0xff;
  if (fix[length] !== undefined) return Buffer.from([fix[length], c]);
  if (length < 0x100) return Buffer.from([0xc7, length, c]);
  if (length < 0x10000) return Buffer.from([0xc8, length >> 8, length & 0xff, c]);
  const b = Buffer.alloc(6);
  b[0] = 0xc9;
  b.writeUInt32BE(length, 1);
  b[5] = c;
  return b;
}

/** Code and payload of a whole msgpack extension, or null when the bytes are not one. */
function splitExt(raw: Buffer): ExtData | null {
  if (raw.length < 2) return null;
  const h = raw[0];
  const fixLen: Record<number, number> = { 0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16 };
  let len: number;
  let at: number;
  if (fixLen[h] !== undefined) [len, at] = [fixLen[h], 1];
  else if (h === 0xc7) [len, at] = [raw[1], 2];
  else if (h === 0xc8 && raw.length >= 4) [len, at] = [raw.readUInt16BE(1), 3];
  else if (h === 0xc9 && raw.length >= 6) [len, at] = [raw.readUInt32BE(1), 5];
  else return null;
  if (raw.length !== at + 1 + len) return null;
  return new ExtData(raw.readInt8(at), Uint8Array.from(raw.subarray(at + 1)));
}

function refinementNumber(w: unknown): number | BigNum | undefined {
  if (typeof w === 'number') return w;
  if (typeof w === 'bigint') return numberFromBigInt(w);
  if (typeof w === 'string') {
    try {
      return numberFromText(w);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const refinementDecoder = new Decoder({ useBigInt64: true, mapKeyConverter: (k) => (typeof k === 'number' || typeof k === 'string' ? k : String(k)) });

/** The refinements of a code-12 payload; keys not known are ignored, a malformed payload gives none. */
export function parseRefinements(payload: Uint8Array): Refinements | undefined {
  let m: unknown;
  try {
    m = refinementDecoder.decode(payload);
  } catch {
    return undefined;
  }
  if (!isRecordValue(m)) return undefined;
  const r: Refinements = {};
  const bound = (v: unknown): NumberBound | undefined => {
    if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'boolean') return undefined;
    const value = refinementNumber(v[0]);
    return value === undefined ? undefined : { value, inclusive: v[1] };
  };
  const length = (v: unknown): number | undefined => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const e = m as Record<string, unknown>;
  if (typeof e['1'] === 'boolean') r.notNull = !e['1'];
  if (typeof e['2'] === 'string') r.stringPrefix = e['2'];
  const lo = bound(e['3']);
  if (lo) r.numberLower = lo;
  const hi = bound(e['4']);
  if (hi) r.numberUpper = hi;
  const ll = length(e['5']);
  if (ll !== undefined) r.lengthLower = ll;
  const lu = length(e['6']);
  if (lu !== undefined) r.lengthUpper = lu;
  return Object.keys(r).length > 0 ? r : undefined;
}

const plainEncoder = new Encoder();

function boundBytes(b: NumberBound): Uint8Array {
  return plainEncoder.encode([b.value instanceof BigNum ? b.value.text : b.value, b.inclusive]);
}

/** The code-12 payload for refinements (a map with small integer keys), or null when there are none. */
export function refinementPayload(r: Refinements | undefined): Buffer | null {
  if (!r) return null;
  const entries: [number, Uint8Array][] = [];
  if (r.notNull !== undefined) entries.push([1, plainEncoder.encode(!r.notNull)]);
  if (r.stringPrefix !== undefined && r.stringPrefix !== '') entries.push([2, plainEncoder.encode(r.stringPrefix)]);
  if (r.numberLower) entries.push([3, boundBytes(r.numberLower)]);
  if (r.numberUpper) entries.push([4, boundBytes(r.numberUpper)]);
  if (r.lengthLower !== undefined && r.lengthLower > 0) entries.push([5, plainEncoder.encode(r.lengthLower)]);
  if (r.lengthUpper !== undefined) entries.push([6, plainEncoder.encode(r.lengthUpper)]);
  if (entries.length === 0) return null;
  return Buffer.concat([Buffer.from([0x80 + entries.length]), ...entries.flatMap(([k, v]) => [Buffer.from([k]), v])]);
}

/** Every extension code decodes as an Unknown; ExtData passes through on encode. */
const extensionCodec: ExtensionCodecType<undefined> = {
  tryToEncode: (object) => (object instanceof ExtData ? object : null),
  decode: (data, code) => {
    const payload = Buffer.from(data);
    const raw = Buffer.concat([extHeader(code, payload.length), payload]);
    const refinements = code === REFINED_UNKNOWN && payload.length > 1 ? parseRefinements(payload) : undefined;
    return new Unknown({ raw, refinements });
  },
};

const decoder = new Decoder({
  extensionCodec,
  useBigInt64: true,
  mapKeyConverter: (k) => {
    if (typeof k !== 'string') throw new CtyError('all keys must be strings');
    return k;
  },
});
const encoder = new Encoder({ extensionCodec, sortKeys: true });

/** Decodes msgpack bytes as a value of type `t`. Throws CtyError (with the path) when they do not conform. */
export function decodeMsgpack(t: CtyType, bytes: Uint8Array): CtyValue {
  let wire: unknown;
  try {
    wire = decoder.decode(bytes);
  } catch (e) {
    if (e instanceof CtyError) throw e;
    throw new CtyError(`invalid msgpack: ${(e as Error).message}`);
  }
  return fromWire(t, wire, []);
}

function fromWire(t: CtyType, w: unknown, path: PathStep[]): CtyValue {
  if (w instanceof Unknown) return w;
  if (t.kind === 'dynamic') {
    if (w === null) return null;
    if (!Array.isArray(w) || w.length !== 2) throw new CtyError('dynamic value array must have exactly two elements', path);
    if (!(w[0] instanceof Uint8Array)) throw new CtyError('dynamic value type must be binary JSON', path);
    let rt: CtyType;
    try {
      rt = parseType(w[0]);
    } catch (e) {
      throw new CtyError((e as Error).message, path);
    }
    return new Dynamic(rt, fromWire(rt, w[1], path));
  }
  if (w === null) return null;
  switch (t.kind) {
    case 'string':
      if (typeof w !== 'string') throw new CtyError('string is required', path);
      return w;
    case 'bool':
      if (typeof w !== 'boolean') throw new CtyError('bool is required', path);
      return w;
    case 'number':
      if (typeof w === 'number') return w;
      if (typeof w === 'bigint') return numberFromBigInt(w);
      if (typeof w === 'string') {
        try {
          return numberFromText(w);
        } catch {
          throw new CtyError('number is required', path);
        }
      }
      throw new CtyError('number is required', path);
    case 'list':
    case 'set': {
      if (!Array.isArray(w)) throw new CtyError(`a ${t.kind} is required`, path);
      return w.map((e, i) => fromWire(t.element, e, [...path, index(i)]));
    }
    case 'tuple': {
      if (!Array.isArray(w)) throw new CtyError('a tuple is required', path);
      if (w.length !== t.elements.length) throw new CtyError(`a tuple of length ${t.elements.length} is required`, path);
      return w.map((e, i) => fromWire(t.elements[i], e, [...path, index(i)]));
    }
    case 'map': {
      if (!isWireMap(w)) throw new CtyError('a map is required', path);
      const out: Record<string, CtyValue> = {};
      for (const [k, e] of Object.entries(w)) defineKey(out, k, fromWire(t.element, e, [...path, key(k)]));
      return out;
    }
    case 'object': {
      if (!isWireMap(w)) throw new CtyError('an object is required', path);
      const names = Object.keys(t.attributes);
      const given = Object.keys(w);
      for (const k of given) if (!Object.hasOwn(t.attributes, k)) throw new CtyError('unsupported attribute', [...path, attr(k)]);
      // An empty map stands for the object with every attribute null (cty reads it as an empty object).
      if (given.length !== 0 && given.length !== names.length) {
        throw new CtyError(`an object with ${names.length} attributes is required (${given.length} given)`, path);
      }
      const out: Record<string, CtyValue> = {};
      for (const n of names) defineKey(out, n, Object.hasOwn(w, n) ? fromWire(t.attributes[n], w[n], [...path, attr(n)]) : null);
      return out;
    }
  }
}

function isWireMap(w: unknown): w is Record<string, unknown> {
  return typeof w === 'object' && w !== null && !Array.isArray(w) && !(w instanceof Uint8Array) && !(w instanceof Unknown);
}

/** Encodes a value of type `t` as msgpack. Throws CtyError (with the path) for a value not of that type. */
export function encodeMsgpack(t: CtyType, v: CtyValue): Buffer {
  const wire = toWire(t, v, []);
  const out = encoder.encode(wire);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function unknownWire(u: Unknown): ExtData {
  if (u.raw) {
    const ext = splitExt(u.raw);
    if (ext) return ext;
  }
  const payload = refinementPayload(u.refinements);
  return payload ? new ExtData(REFINED_UNKNOWN, payload) : new ExtData(0, new Uint8Array([0]));
}

function newWireMap(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function kindError(t: CtyType, v: unknown, path: PathStep[]): CtyError {
  const got = v === undefined ? 'no value' : Array.isArray(v) ? 'an array' : v instanceof BigNum ? 'a number' : v instanceof Dynamic ? 'a dynamic value' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  return new CtyError(`${friendlyTypeName(t)} is required (got ${got})`, path);
}

function toWire(t: CtyType, v: CtyValue | undefined, path: PathStep[]): unknown {
  if (v instanceof Unknown) return unknownWire(v);
  if (v === null) return null;
  if (t.kind === 'dynamic') {
    const d = v instanceof Dynamic ? v : new Dynamic(impliedType(v as CtyValue), v as CtyValue);
    return [new Uint8Array(typeJson(d.type)), toWire(d.type, d.value, path)];
  }
  if (v instanceof Dynamic) throw kindError(t, v, path);
  switch (t.kind) {
    case 'string':
      if (typeof v !== 'string') throw kindError(t, v, path);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw kindError(t, v, path);
      return v;
    case 'number':
      if (v instanceof BigNum) return v.text;
      if (typeof v !== 'number') throw kindError(t, v, path);
      if (Number.isNaN(v)) throw new CtyError('NaN is not a number value', path);
      return v;
    case 'list':
    case 'set':
      if (!Array.isArray(v)) throw kindError(t, v, path);
      return v.map((e, i) => {
        if (e === undefined) throw kindError(t.element, e, [...path, index(i)]);
        return toWire(t.element, e, [...path, index(i)]);
      });
    case 'tuple':
      if (!Array.isArray(v)) throw kindError(t, v, path);
      if (v.length !== t.elements.length) throw new CtyError(`a tuple of length ${t.elements.length} is required (${v.length} given)`, path);
      return v.map((e, i) => toWire(t.elements[i], e, [...path, index(i)]));
    case 'map': {
      if (!isRecordValue(v)) throw kindError(t, v, path);
      const out = newWireMap();
      for (const [k, e] of Object.entries(v)) {
        if (e === undefined) throw kindError(t.element, e, [...path, key(k)]);
        out[k] = toWire(t.element, e, [...path, key(k)]);
      }
      return out;
    }
    case 'object': {
      if (!isRecordValue(v)) throw kindError(t, v, path);
      for (const k of Object.keys(v)) if (!Object.hasOwn(t.attributes, k)) throw new CtyError('unsupported attribute', [...path, attr(k)]);
      const out = newWireMap();
      for (const [n, at] of Object.entries(t.attributes)) {
        const e = Object.hasOwn(v, n) ? v[n] : undefined;
        out[n] = e === undefined ? null : toWire(at, e, [...path, attr(n)]);
      }
      return out;
    }
  }
}
