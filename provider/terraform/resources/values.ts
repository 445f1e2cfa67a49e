/**
 * Between Terraform's values (cty, every attribute present, null for unset) and the attributes the
 * resource types of provider/resources/ take and answer (JSON, an unset argument absent). Pure.
 */
import type { CtyType } from '../cty/types.js';
import { BigNum, Dynamic, isUnknown, isWhollyKnown, type CtyValue } from '../cty/values.js';
import type { Json } from '../../config/values.js';
import type { Attributes, ResourceSchema } from '../../resources/resource-type.js';

export type TfObject = { [name: string]: CtyValue };

/** A known cty value as JSON (numbers as JS numbers, sets and lists as arrays); throws on an unknown. */
export function toJson(v: CtyValue): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (isUnknown(v)) throw new TypeError('an unknown value has no JSON form');
  if (v instanceof BigNum) return Number(v.text);
  if (v instanceof Dynamic) return toJson(v.value);
  if (Array.isArray(v)) return v.map(toJson);
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toJson(x);
  return out;
}

/** The set (non-null) and known attributes of an object, as the resource types take them. */
export function knownAttributes(o: TfObject): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && isWhollyKnown(v)) out[k] = toJson(v);
  return out;
}

/**
 * The configured arguments of an object as the dew tool's configuration has them: the known values,
 * with the schema's default for each unset argument that has one; `present` names every set or
 * defaulted argument, known or not (what the types' checks take).
 */
export function configuredArguments(schema: ResourceSchema, config: TfObject): { known: Attributes; present: Set<string> } {
  const known = knownAttributes(config);
  const present = new Set(Object.entries(config).filter(([, v]) => v !== null).map(([k]) => k));
  for (const [k, p] of Object.entries(schema.properties)) {
    if (p.readOnly || p.default === undefined || present.has(k)) continue;
    known[k] = p.default;
    present.add(k);
  }
  return { known, present };
}

/**
 * A JSON value in the form the attribute's type wants (a resource type may answer a number where the
 * schema says string, or leave out an attribute): what Terraform can decode, never throwing.
 */
export function conform(t: CtyType, v: Json | undefined): CtyValue {
  if (v === undefined || v === null) return null;
  switch (t.kind) {
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'number': {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'bool':
      return typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null;
    case 'list':
    case 'set':
      return Array.isArray(v) ? v.map((x) => conform(t.element, x)) : null;
    case 'map':
      return typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conform(t.element, x)])) : null;
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) return null;
      const o = v as Record<string, Json>;
      return Object.fromEntries(Object.entries(t.attributes).map(([k, at]) => [k, conform(at, o[k])]));
    }
    case 'tuple':
      return Array.isArray(v) ? t.elements.map((et, i) => conform(et, v[i])) : null;
    case 'dynamic':
      return v as CtyValue;
  }
}

/** The object of a block's type from attributes (absent ones null). */
export function toObject(t: CtyType, attrs: Attributes): TfObject {
  if (t.kind !== 'object') throw new TypeError('a resource type is an object type');
  const out: TfObject = {};
  for (const [k, at] of Object.entries(t.attributes)) out[k] = conform(at, attrs[k]);
  return out;
}

/** Sorts a set's elements by their JSON text, so two sets compare equal whatever their order. */
function canonical(t: CtyType, v: CtyValue): unknown {
  if (v === null || isUnknown(v)) return v === null ? null : '\u0000unknown';
  switch (t.kind) {
    case 'set':
      return (v as CtyValue[]).map((x) => JSON.stringify(canonical(t.element, x))).sort();
    case 'list':
      return (v as CtyValue[]).map((x) => canonical(t.element, x));
    case 'map':
      return Object.fromEntries(Object.entries(v as TfObject).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(t.element, x)]));
    case 'object':
      return Object.fromEntries(Object.entries(t.attributes).map(([k, at]) => [k, canonical(at, (v as TfObject)[k] ?? null)]));
    case 'tuple':
      return t.elements.map((et, i) => canonical(et, (v as CtyValue[])[i] ?? null));
    default:
      return v instanceof BigNum ? Number(v.text) : v instanceof Dynamic ? toJson(v.value) : v;
  }
}

/** Equality as Terraform sees it: sets in any order, maps in any key order. */
export function sameTfValue(t: CtyType, a: CtyValue, b: CtyValue): boolean {
  return JSON.stringify(canonical(t, a)) === JSON.stringify(canonical(t, b));
}
