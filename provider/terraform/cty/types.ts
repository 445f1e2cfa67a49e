/**
 * The cty type model Terraform's values are typed with, and its JSON form: the exact bytes a
 * tfplugin6 `Schema.Attribute.type` holds and the first element of a msgpack `dynamic` pair
 * (`"string"` with its quotes, `["list","string"]`, `["object",{"a":"number"}]`).
 */
import { CtyError } from './errors.js';

export type CtyType =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'dynamic' }
  | { kind: 'list' | 'set' | 'map'; element: CtyType }
  | { kind: 'object'; attributes: Record<string, CtyType>; optional?: string[] }
  | { kind: 'tuple'; elements: CtyType[] };

export type CollectionType = Extract<CtyType, { element: CtyType }>;
export type ObjectType = Extract<CtyType, { kind: 'object' }>;
export type TupleType = Extract<CtyType, { kind: 'tuple' }>;

const STRING: CtyType = Object.freeze({ kind: 'string' });
const NUMBER: CtyType = Object.freeze({ kind: 'number' });
const BOOL: CtyType = Object.freeze({ kind: 'bool' });
const DYNAMIC: CtyType = Object.freeze({ kind: 'dynamic' });

/** Type constructors. */
export const T = {
  string: STRING,
  number: NUMBER,
  bool: BOOL,
  dynamic: DYNAMIC,
  list: (element: CtyType): CtyType => ({ kind: 'list', element }),
  set: (element: CtyType): CtyType => ({ kind: 'set', element }),
  map: (element: CtyType): CtyType => ({ kind: 'map', element }),
  object: (attributes: Record<string, CtyType>, optional?: string[]): CtyType =>
    optional && optional.length > 0 ? { kind: 'object', attributes, optional: [...optional] } : { kind: 'object', attributes },
  tuple: (elements: CtyType[]): CtyType => ({ kind: 'tuple', elements }),
} as const;

const PRIMITIVES: Record<string, CtyType> = { string: STRING, number: NUMBER, bool: BOOL, dynamic: DYNAMIC };

/**
 * Parses a type from its JSON bytes (Buffer/Uint8Array), from JSON text (a string starting with `"`
 * or `[`), or from the already-parsed JSON value (`'string'`, `['list','string']`).
 */
export function parseType(input: unknown): CtyType {
  let value = input;
  if (input instanceof Uint8Array) value = parseText(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8'));
  else if (typeof input === 'string' && /^\s*["[]/.test(input)) value = parseText(input);
  return fromJsonValue(value);
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CtyError(`invalid type description: not JSON: ${text.slice(0, 60)}`);
  }
}

function fromJsonValue(v: unknown): CtyType {
  if (typeof v === 'string') {
    const t = PRIMITIVES[v];
    if (!t) throw new CtyError(`invalid primitive type name ${JSON.stringify(v)}`);
    return t;
  }
  if (!Array.isArray(v) || v.length < 2 || typeof v[0] !== 'string') throw new CtyError('invalid type description');
  const [kind, arg, extra] = v as [string, unknown, unknown];
  switch (kind) {
    case 'list':
    case 'set':
    case 'map':
      if (v.length !== 2) throw new CtyError('unexpected extra data in type description');
      return { kind, element: fromJsonValue(arg) };
    case 'tuple':
      if (v.length !== 2 || !Array.isArray(arg)) throw new CtyError('invalid tuple type description');
      return { kind: 'tuple', elements: arg.map(fromJsonValue) };
    case 'object': {
      if (v.length > 3 || typeof arg !== 'object' || arg === null || Array.isArray(arg)) throw new CtyError('invalid object type description');
      const attributes: Record<string, CtyType> = {};
      for (const [k, at] of Object.entries(arg)) defineKey(attributes, k, fromJsonValue(at));
      if (v.length === 3) {
        if (!Array.isArray(extra) || !extra.every((n) => typeof n === 'string' && Object.hasOwn(attributes, n))) {
          throw new CtyError('invalid optional attribute list in object type description');
        }
        return T.object(attributes, extra as string[]);
      }
      return { kind: 'object', attributes };
    }
    default:
      throw new CtyError(`invalid complex type kind name ${JSON.stringify(kind)}`);
  }
}

/** The type's compact JSON, as a string (object attribute names sorted, no spaces). */
export function typeJsonText(t: CtyType): string {
  switch (t.kind) {
    case 'string':
    case 'number':
    case 'bool':
    case 'dynamic':
      return `"${t.kind}"`;
    case 'list':
    case 'set':
    case 'map':
      return `["${t.kind}",${typeJsonText(t.element)}]`;
    case 'tuple':
      return `["tuple",[${t.elements.map(typeJsonText).join(',')}]]`;
    case 'object': {
      const names = Object.keys(t.attributes).sort();
      const attrs = names.map((n) => `${JSON.stringify(n)}:${typeJsonText(t.attributes[n])}`).join(',');
      const optional = (t.optional ?? []).filter((n) => Object.hasOwn(t.attributes, n)).sort();
      return optional.length > 0 ? `["object",{${attrs}},${JSON.stringify(optional)}]` : `["object",{${attrs}}]`;
    }
  }
}

/** The exact JSON bytes Terraform expects for a type (`"string"` with the quotes). */
export function typeJson(t: CtyType): Buffer {
  return Buffer.from(typeJsonText(t), 'utf8');
}

/** Structural equality of two types (optional attribute lists compared as sets). */
export function typeEquals(a: CtyType, b: CtyType): boolean {
  return typeJsonText(a) === typeJsonText(b);
}

/** A short human name for messages: `string`, `list of number`, `object`, `tuple`. */
export function friendlyTypeName(t: CtyType): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind} of ${friendlyTypeName(t.element)}`;
    default:
      return t.kind;
  }
}

/** Sets an own enumerable property, `__proto__` included, without touching the prototype. */
export function defineKey<V>(o: Record<string, V>, k: string, v: V): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
