/** Variable type constraints (`string`, `list(string)`, `map(object({…}))`, …) and conversion of values to them. */
import type { Expr } from './expression-parser.js';
import { UNKNOWN, isObject, unmark, mark, typeName, type Value, type ValueObject } from './values.js';

export type TypeConstraint =
  | { kind: 'any' }
  | { kind: 'string' | 'number' | 'bool' }
  | { kind: 'list' | 'set' | 'map'; element: TypeConstraint }
  | { kind: 'object'; attributes: Record<string, TypeConstraint> }
  | { kind: 'tuple'; elements: TypeConstraint[] };

/** Reads a type expression; returns an error message for anything that is not a type. */
export function toTypeConstraint(e: Expr): TypeConstraint | string {
  if (e.k === 'var' && ['any', 'string', 'number', 'bool'].includes(e.name)) return { kind: e.name as 'any' };
  if (e.k === 'call') {
    const arg = e.args[0];
    if (['list', 'set', 'map'].includes(e.name) && e.args.length === 1) {
      const el = toTypeConstraint(arg);
      return typeof el === 'string' ? el : { kind: e.name as 'list', element: el };
    }
    if (e.name === 'object' && arg?.k === 'object') {
      const attributes: Record<string, TypeConstraint> = {};
      for (const item of arg.items) {
        if (item.key.k !== 'lit' || typeof item.key.v !== 'string') return 'object attribute names must be names';
        const t = toTypeConstraint(item.value);
        if (typeof t === 'string') return t;
        attributes[item.key.v] = t;
      }
      return { kind: 'object', attributes };
    }
    if (e.name === 'tuple' && arg?.k === 'tuple') {
      const elements: TypeConstraint[] = [];
      for (const item of arg.items) {
        const t = toTypeConstraint(item);
        if (typeof t === 'string') return t;
        elements.push(t);
      }
      return { kind: 'tuple', elements };
    }
  }
  return 'expected a type such as string, number, bool, list(string), map(string) or object({…})';
}

export function describeType(t: TypeConstraint): string {
  switch (t.kind) {
    case 'any':
    case 'string':
    case 'number':
    case 'bool':
      return t.kind;
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${describeType(t.element)})`;
    case 'object':
      return `object({${Object.entries(t.attributes).map(([k, v]) => `${k}=${describeType(v)}`).join(', ')}})`;
    case 'tuple':
      return `tuple([${t.elements.map(describeType).join(', ')}])`;
  }
}

export class ConversionError extends Error {
  constructor(message: string, readonly path: (string | number)[] = []) {
    super(message);
  }
}

/** Converts like HCL's `convert`: "5" → 5 for number, 1 → "1" for string, "true" → true for bool; throws ConversionError. */
export function convertValue(v: Value, t: TypeConstraint, path: (string | number)[] = []): Value {
  const u = unmark(v);
  const x = u.value;
  if (x === UNKNOWN || x === null || t.kind === 'any') return v;
  const fail = (want: string): never => {
    throw new ConversionError(`${want} required, got ${typeName(x)}`, path);
  };
  let out: Value;
  switch (t.kind) {
    case 'string':
      if (typeof x === 'string') out = x;
      else if (typeof x === 'number' || typeof x === 'boolean') out = String(x);
      else out = fail('string');
      break;
    case 'number':
      if (typeof x === 'number') out = x;
      else if (typeof x === 'string' && x.trim() !== '' && !isNaN(Number(x))) out = Number(x);
      else out = fail('number');
      break;
    case 'bool':
      if (typeof x === 'boolean') out = x;
      else if (x === 'true' || x === 'false') out = x === 'true';
      else out = fail('bool');
      break;
    case 'list':
    case 'set': {
      if (!Array.isArray(x)) return fail(`${t.kind} of ${describeType(t.element)}`);
      const items = x.map((item, i) => convertValue(item, t.element, [...path, i]));
      out = t.kind === 'set' ? dedupe(items) : items;
      break;
    }
    case 'tuple':
      if (!Array.isArray(x) || x.length !== t.elements.length) return fail(describeType(t));
      out = x.map((item, i) => convertValue(item, t.elements[i], [...path, i]));
      break;
    case 'map': {
      if (!isObject(x)) return fail(`map of ${describeType(t.element)}`);
      const m: ValueObject = {};
      for (const [k, item] of Object.entries(x)) m[k] = convertValue(item, t.element, [...path, k]);
      out = m;
      break;
    }
    case 'object': {
      if (!isObject(x)) return fail(describeType(t));
      const m: ValueObject = {};
      for (const [k, at] of Object.entries(t.attributes)) {
        if (!(k in x)) throw new ConversionError(`attribute "${k}" is required`, path);
        m[k] = convertValue(x[k], at, [...path, k]);
      }
      out = m;
      break;
    }
  }
  return mark(out, u.sensitive);
}

function dedupe(items: Value[]): Value[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = JSON.stringify(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
