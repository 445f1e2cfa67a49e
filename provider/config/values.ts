/** Configuration values: JSON-like data plus the `unknown` sentinel and the `sensitive` mark, with helpers to lift operations over them. */

/** A value not known until apply (an attribute of an object still to be created). */
export class Unknown {
  static readonly instance = new Unknown();
  private constructor() {}
  toJSON(): string {
    return '(known after apply)';
  }
}
export const UNKNOWN = Unknown.instance;

/** A value marked sensitive; the mark follows the value through every expression. */
export class Sensitive {
  constructor(readonly value: Value) {}
}

export type Value = null | string | number | boolean | Value[] | { [key: string]: Value } | Unknown | Sensitive;
export type ValueObject = { [key: string]: Value };

export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

export function isSensitive(v: unknown): v is Sensitive {
  return v instanceof Sensitive;
}

export function isObject(v: unknown): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown) && !(v instanceof Sensitive);
}

/** Removes the outer sensitive mark(s): returns the bare value and whether it was marked. */
export function unmark(v: Value): { value: Value; sensitive: boolean } {
  let sensitive = false;
  while (v instanceof Sensitive) {
    sensitive = true;
    v = v.value;
  }
  return { value: v, sensitive };
}

export function mark(v: Value, sensitive: boolean): Value {
  if (!sensitive || v instanceof Sensitive) return v;
  return new Sensitive(v);
}

/** True when the value or anything inside it is sensitive. */
export function containsSensitive(v: Value): boolean {
  if (v instanceof Sensitive) return true;
  if (Array.isArray(v)) return v.some(containsSensitive);
  if (isObject(v)) return Object.values(v).some(containsSensitive);
  return false;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(v: Value): boolean {
  if (v === UNKNOWN) return true;
  if (v instanceof Sensitive) return containsUnknown(v.value);
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isObject(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/** Plain JSON data, as stored and sent over the wire. */
export type Json = null | string | number | boolean | Json[] | { [key: string]: Json };

/** A tree shaped like a value, with `true` at marked leaves (Terraform's after_unknown / *_sensitive shape). */
export type MarkTree = boolean | MarkTree[] | { [key: string]: MarkTree };

/**
 * Splits a marked value into plain JSON (unknowns become null), an unknown tree and a sensitive tree.
 * Trees follow Terraform's JSON plan convention: `true` at marked leaves, `{}`/`[]`/false elsewhere.
 */
export function splitMarks(v: Value): { json: Json; unknown: MarkTree; sensitive: MarkTree } {
  if (v instanceof Sensitive) {
    const inner = splitMarks(v.value);
    return { json: inner.json, unknown: inner.unknown, sensitive: true };
  }
  if (v === UNKNOWN) return { json: null, unknown: true, sensitive: false };
  if (Array.isArray(v)) {
    const parts = v.map(splitMarks);
    return {
      json: parts.map((p) => p.json),
      unknown: parts.map((p) => p.unknown),
      sensitive: parts.map((p) => p.sensitive),
    };
  }
  if (isObject(v)) {
    const json: Record<string, Json> = {};
    const unknown: Record<string, MarkTree> = {};
    const sensitive: Record<string, MarkTree> = {};
    for (const [k, item] of Object.entries(v)) {
      const p = splitMarks(item);
      json[k] = p.json;
      if (p.unknown !== false && !isEmptyTree(p.unknown)) unknown[k] = p.unknown;
      if (p.sensitive !== false && !isEmptyTree(p.sensitive)) sensitive[k] = p.sensitive;
    }
    return { json, unknown, sensitive };
  }
  return { json: v as Json, unknown: false, sensitive: false };
}

function isEmptyTree(t: MarkTree): boolean {
  if (t === true) return false;
  if (t === false) return true;
  if (Array.isArray(t)) return t.every(isEmptyTree);
  return Object.values(t).every(isEmptyTree);
}

/** Deep equality of plain JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A short type name for messages ("string", "number", "list", "object", …). */
export function typeName(v: Value): string {
  const { value } = unmark(v);
  if (value === null) return 'null';
  if (value === UNKNOWN) return 'unknown';
  if (Array.isArray(value)) return 'tuple';
  if (isObject(value)) return 'object';
  return typeof value;
}
