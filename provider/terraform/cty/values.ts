/**
 * The JS shape of cty values: null, string, boolean, number (or BigNum when a JS number cannot hold
 * it exactly), Unknown (a value known only after apply, possibly refined), arrays (list, set,
 * tuple), plain objects (map, object: an object value carries exactly its type's attributes, null
 * explicit) and Dynamic (a value of type `dynamic` with the runtime type it was sent with).
 */
import { defineKey, T, type CtyType } from './types.js';

/** Number bound of a refined unknown number: the value and whether it is inclusive. */
export interface NumberBound {
  value: number | BigNum;
  inclusive: boolean;
}

/**
 * What a refined unknown (msgpack extension 12) says about its final value. Keys Terraform may
 * add later are ignored (they survive in Unknown.raw).
 */
export interface Refinements {
  /** Key 1: true = definitely not null (wire `false`); false = definitely null (wire `true`). */
  notNull?: boolean;
  /** Key 2: the final string starts with this. */
  stringPrefix?: string;
  /** Keys 3 and 4: number range. */
  numberLower?: NumberBound;
  numberUpper?: NumberBound;
  /** Keys 5 and 6: inclusive collection length bounds. */
  lengthLower?: number;
  lengthUpper?: number;
}

/** An unknown value. `raw` is the whole msgpack extension as received; encoding passes it through. */
export class Unknown {
  readonly raw?: Buffer;
  readonly refinements?: Refinements;
  constructor(opts: { raw?: Buffer; refinements?: Refinements } = {}) {
    if (opts.raw) this.raw = opts.raw;
    if (opts.refinements && Object.keys(opts.refinements).length > 0) this.refinements = opts.refinements;
  }
}

/** The plain unknown (encodes as `d4 00 00`). */
export const UNKNOWN: Unknown = Object.freeze(new Unknown());

const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** A number as its decimal text, for numbers a JS number cannot hold exactly. */
export class BigNum {
  readonly text: string;
  constructor(text: string) {
    if (!NUMBER_TEXT.test(text)) throw new TypeError(`not a decimal number: ${JSON.stringify(text.slice(0, 40))}`);
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
  /** The nearest JS number (may lose precision). */
  toNumber(): number {
    return Number(this.text);
  }
  toJSON(): string {
    return this.text;
  }
}

/** A value of type `dynamic`: its runtime type and the value of that type. */
export class Dynamic {
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

export type CtyValue = null | string | boolean | number | BigNum | Unknown | CtyValue[] | { [k: string]: CtyValue } | Dynamic;

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

/** True when nothing in the value (at any depth) is unknown. */
export function isWhollyKnown(v: CtyValue | undefined): boolean {
  if (v instanceof Unknown) return false;
  if (v === null || v === undefined || typeof v !== 'object' || v instanceof BigNum) return true;
  if (v instanceof Dynamic) return isWhollyKnown(v.value);
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  return Object.values(v).every(isWhollyKnown);
}

/** A plain object value (map or object), as opposed to the value classes and arrays. */
export function isRecordValue(v: unknown): v is { [k: string]: CtyValue } {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown) && !(v instanceof BigNum) &&
    !(v instanceof Dynamic) && !ArrayBuffer.isView(v)
  );
}

/**
 * A number from decimal text: a JS number when the text is an integer a JS number holds exactly,
 * else a BigNum (a fraction such as 0.8 has no exact binary form: keep the text Terraform sent).
 */
export function numberFromText(text: string): number | BigNum {
  const t = text.trim();
  if (!NUMBER_TEXT.test(t)) throw new TypeError(`not a decimal number: ${JSON.stringify(text.slice(0, 40))}`);
  if (/^-?(0|[1-9][0-9]*)$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
  }
  return new BigNum(t);
}

/** A number from a decoded msgpack bigint (int64/uint64): a JS number when exact, else a BigNum. */
export function numberFromBigInt(b: bigint): number | BigNum {
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : new BigNum(b.toString());
}

/** The type a plain value would have in a `dynamic` position: primitives, tuples, objects. */
export function impliedType(v: CtyValue): CtyType {
  if (typeof v === 'string') return T.string;
  if (typeof v === 'boolean') return T.bool;
  if (typeof v === 'number' || v instanceof BigNum) return T.number;
  if (Array.isArray(v)) return T.tuple(v.map(impliedType));
  if (isRecordValue(v)) {
    const attributes: Record<string, CtyType> = {};
    for (const [k, e] of Object.entries(v)) defineKey(attributes, k, impliedType(e));
    return T.object(attributes);
  }
  return T.dynamic;
}
