/**
 * The JSON form of cty values (object-wire-format.md, "JSON Serialization Rules"): the fallback
 * DynamicValue encoding and the `raw_state.json` of UpgradeResourceState. Numbers keep their full
 * decimal text (a BigNum when a JS number cannot hold them); object attributes the type lacks are
 * dropped (state written by an older schema) and missing ones are null.
 */
import { CtyError } from './errors.js';
import { attr, index, key, type PathStep } from './path.js';
import { defineKey, friendlyTypeName, parseType, typeJsonText, type CtyType } from './types.js';
import { BigNum, Dynamic, impliedType, isRecordValue, numberFromText, Unknown, type CtyValue } from './values.js';

export { CtyError } from './errors.js';

/** A JSON number, as its source text. */
class JsonNumber {
  constructor(readonly text: string) {}
}
type JsonNode = null | boolean | string | JsonNumber | JsonNode[] | Map<string, JsonNode>;

/** A small JSON parser that keeps numbers as text and objects as Maps (any key, `__proto__` included). */
function parseJson(text: string): JsonNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new CtyError(`invalid JSON at offset ${i}: ${what}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = '';
    let run = i;
    while (true) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail(`bad escape in string starting at ${start}`);
        run = i;
      } else i++;
    }
    out += text.slice(run, i);
    i++;
    return out;
  };
  const value = (depth: number): JsonNode => {
    if (depth > 512) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const m = new Map<string, JsonNode>();
      ws();
      if (text[i] === '}') {
        i++;
        return m;
      }
      while (true) {
        ws();
        if (text[i] !== '"') fail('object key expected');
        const k = str();
        ws();
        if (text[i] !== ':') fail('":" expected');
        i++;
        m.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return m;
        } else fail('"," or "}" expected');
      }
    }
    if (c === '[') {
      i++;
      const a: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      while (true) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return a;
        } else fail('"," or "]" expected');
      }
    }
    if (c === '"') return str();
    const lit = /^(true|false|null)/.exec(text.slice(i, i + 5));
    if (lit) {
      i += lit[1].length;
      return lit[1] === 'null' ? null : lit[1] === 'true';
    }
    const num = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 4096));
    if (num && num[0] !== '' && num[0] !== '-') {
      i += num[0].length;
      return new JsonNumber(num[0]);
    }
    return fail('value expected');
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('extra data after the value');
  return v;
}

function asText(bytes: Uint8Array | string): string {
  return typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Decodes JSON bytes (or text) as a value of type `t`. Throws CtyError (with the path) when they do not conform. */
export function decodeJson(t: CtyType, bytes: Uint8Array | string): CtyValue {
  return fromJson(t, parseJson(asText(bytes)), []);
}

function numberOf(text: string, path: PathStep[]): number | BigNum {
  try {
    return numberFromText(text);
  } catch {
    throw new CtyError('number is required', path);
  }
}

/** Converts a decoded JSON tree to a value of type `t`, with cty's primitive conversions (a number or bool for a string, "12" for a number, "true" for a bool). */
function fromJson(t: CtyType, n: JsonNode, path: PathStep[]): CtyValue {
  if (n === null) return null;
  switch (t.kind) {
    case 'dynamic': {
      if (!(n instanceof Map)) throw new CtyError('need JSON object for dynamically-typed value', path);
      for (const k of n.keys()) if (k !== 'type' && k !== 'value') throw new CtyError(`invalid key ${JSON.stringify(k)} in dynamically-typed value`, path);
      if (!n.has('type')) throw new CtyError('missing type in dynamically-typed value', path);
      if (!n.has('value')) throw new CtyError('missing value in dynamically-typed value', path);
      let rt: CtyType;
      try {
        rt = parseType(toPlain(n.get('type') ?? null));
      } catch (e) {
        throw new CtyError((e as Error).message, path);
      }
      return new Dynamic(rt, fromJson(rt, n.get('value') ?? null, path));
    }
    case 'string':
      if (typeof n === 'string') return n;
      if (n instanceof JsonNumber) return n.text;
      if (typeof n === 'boolean') return n ? 'true' : 'false';
      throw new CtyError('string is required', path);
    case 'number':
      if (n instanceof JsonNumber) return numberOf(n.text, path);
      if (typeof n === 'string') return numberOf(n, path);
      throw new CtyError('number is required', path);
    case 'bool':
      if (typeof n === 'boolean') return n;
      if (n === 'true' || n === 'false') return n === 'true';
      throw new CtyError('bool is required', path);
    case 'list':
    case 'set':
      if (!Array.isArray(n)) throw new CtyError(`need JSON array for ${t.kind}`, path);
      return n.map((e, i) => fromJson(t.element, e, [...path, index(i)]));
    case 'tuple':
      if (!Array.isArray(n)) throw new CtyError('need JSON array for tuple', path);
      if (n.length !== t.elements.length) throw new CtyError(`a tuple of length ${t.elements.length} is required`, path);
      return n.map((e, i) => fromJson(t.elements[i], e, [...path, index(i)]));
    case 'map': {
      if (!(n instanceof Map)) throw new CtyError('need JSON object for map', path);
      const out: Record<string, CtyValue> = {};
      for (const [k, e] of n) defineKey(out, k, fromJson(t.element, e, [...path, key(k)]));
      return out;
    }
    case 'object': {
      if (!(n instanceof Map)) throw new CtyError('need JSON object for object', path);
      const out: Record<string, CtyValue> = {};
      for (const [name, at] of Object.entries(t.attributes)) {
        defineKey(out, name, n.has(name) ? fromJson(at, n.get(name) ?? null, [...path, attr(name)]) : null);
      }
      return out;
    }
  }
}

/** A JSON tree as plain JS (numbers as JS numbers), for type descriptions. */
function toPlain(n: JsonNode): unknown {
  if (n instanceof JsonNumber) return Number(n.text);
  if (Array.isArray(n)) return n.map(toPlain);
  if (n instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of n) defineKey(o, k, toPlain(v));
    return o;
  }
  return n;
}

/** Encodes a value of type `t` as JSON bytes. Unknown values cannot be: CtyError. */
export function encodeJson(t: CtyType, v: CtyValue): Buffer {
  return Buffer.from(toJsonText(t, v, []), 'utf8');
}

function toJsonText(t: CtyType, v: CtyValue | undefined, path: PathStep[]): string {
  if (v instanceof Unknown) throw new CtyError('an unknown value cannot be encoded as JSON', path);
  if (v === null || v === undefined) return 'null';
  if (t.kind === 'dynamic') {
    const d = v instanceof Dynamic ? v : new Dynamic(impliedType(v), v);
    return `{"type":${typeJsonText(d.type)},"value":${toJsonText(d.type, d.value, path)}}`;
  }
  const wrong = () => new CtyError(`${friendlyTypeName(t)} is required`, path);
  if (v instanceof Dynamic) throw wrong();
  switch (t.kind) {
    case 'string':
      if (typeof v !== 'string') throw wrong();
      return JSON.stringify(v);
    case 'bool':
      if (typeof v !== 'boolean') throw wrong();
      return v ? 'true' : 'false';
    case 'number':
      if (v instanceof BigNum) return v.text;
      if (typeof v !== 'number') throw wrong();
      if (!Number.isFinite(v)) throw new CtyError('a JSON number must be finite', path);
      return JSON.stringify(v);
    case 'list':
    case 'set':
      if (!Array.isArray(v)) throw wrong();
      return `[${v.map((e, i) => toJsonText(t.element, e, [...path, index(i)])).join(',')}]`;
    case 'tuple':
      if (!Array.isArray(v)) throw wrong();
      if (v.length !== t.elements.length) throw new CtyError(`a tuple of length ${t.elements.length} is required (${v.length} given)`, path);
      return `[${v.map((e, i) => toJsonText(t.elements[i], e, [...path, index(i)])).join(',')}]`;
    case 'map': {
      if (!isRecordValue(v)) throw wrong();
      const keys = Object.keys(v).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${toJsonText(t.element, v[k], [...path, key(k)])}`).join(',')}}`;
    }
    case 'object': {
      if (!isRecordValue(v)) throw wrong();
      for (const k of Object.keys(v)) if (!Object.hasOwn(t.attributes, k)) throw new CtyError('unsupported attribute', [...path, attr(k)]);
      const names = Object.keys(t.attributes).sort();
      return `{${names.map((n) => `${JSON.stringify(n)}:${toJsonText(t.attributes[n], Object.hasOwn(v, n) ? v[n] : null, [...path, attr(n)])}`).join(',')}}`;
    }
  }
}
