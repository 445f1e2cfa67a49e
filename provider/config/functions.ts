/** Built-in functions for configuration expressions (Terraform's names and semantics, the common subset). */
import { UNKNOWN, Sensitive, isObject, unmark, mark, containsUnknown, typeName, type Value, type ValueObject } from './values.js';

export class FunctionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionError';
  }
}

type Fn = (args: Value[]) => Value;

/** Wraps a function over plain values: sensitive args make a sensitive result; unknown args an unknown result. */
function plain(fn: (args: Value[]) => Value, opts: { deep?: boolean } = {}): Fn {
  return (args) => {
    let sensitive = false;
    const bare = args.map((a) => {
      const u = opts.deep ? deepUnmark(a) : unmark(a);
      sensitive ||= u.sensitive;
      return u.value;
    });
    if (bare.some((b) => (opts.deep ? containsUnknown(b) : b === UNKNOWN))) return mark(UNKNOWN, sensitive);
    return mark(fn(bare), sensitive);
  };
}

function deepUnmark(v: Value): { value: Value; sensitive: boolean } {
  const u = unmark(v);
  let sensitive = u.sensitive;
  const walk = (x: Value): Value => {
    const w = unmark(x);
    sensitive ||= w.sensitive;
    if (Array.isArray(w.value)) return w.value.map(walk);
    if (isObject(w.value)) return Object.fromEntries(Object.entries(w.value).map(([k, i]) => [k, walk(i)]));
    return w.value;
  };
  return { value: walk(u.value), sensitive };
}

function str(v: Value, fn: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FunctionError(`${fn}: expected a string, got ${typeName(v)}`);
}

function list(v: Value, fn: string): Value[] {
  if (Array.isArray(v)) return v;
  throw new FunctionError(`${fn}: expected a list, got ${typeName(v)}`);
}

function obj(v: Value, fn: string): ValueObject {
  if (isObject(v)) return v;
  throw new FunctionError(`${fn}: expected a map or object, got ${typeName(v)}`);
}

/** Terraform's `format` verbs: %s %d %f %q %v %t %%, with width/precision. */
function format(fmt: string, args: Value[]): string {
  let i = 0;
  return fmt.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdfqvt%])/g, (_m, _flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) throw new FunctionError(`format: not enough arguments for "${fmt}"`);
    const a = args[i++];
    let out: string;
    switch (verb) {
      case 'd':
        if (typeof a !== 'number' && !(typeof a === 'string' && a.trim() !== '' && !isNaN(Number(a)))) throw new FunctionError(`format: %d needs a number, got ${typeName(a)}`);
        out = String(Math.trunc(Number(a)));
        break;
      case 'f':
        out = Number(a).toFixed(prec ? Number(prec) : 6);
        break;
      case 'q':
        out = JSON.stringify(str(a, 'format'));
        break;
      case 't':
        out = String(a === true);
        break;
      case 'v':
        out = typeof a === 'string' ? a : JSON.stringify(a);
        break;
      default:
        out = str(a, 'format');
    }
    if (width && out.length < Number(width)) out = _flags.includes('-') ? out.padEnd(Number(width)) : out.padStart(Number(width), _flags.includes('0') ? '0' : ' ');
    return out;
  });
}

export function toNumber(v: Value, fn: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v))) return Number(v);
  throw new FunctionError(`${fn}: cannot convert ${typeName(v)} ${JSON.stringify(v)} to a number`);
}

function toSet(items: Value[]): Value[] {
  const seen = new Map<string, Value>();
  for (const it of items) seen.set(JSON.stringify(it), it);
  const out = [...seen.values()];
  if (out.every((x) => typeof x === 'string')) (out as string[]).sort();
  return out;
}

const FUNCTIONS: Readonly<Record<string, Fn>> = Object.freeze({
  upper: plain(([s]) => str(s, 'upper').toUpperCase()),
  lower: plain(([s]) => str(s, 'lower').toLowerCase()),
  title: plain(([s]) => str(s, 'title').replace(/\b\w/g, (c) => c.toUpperCase())),
  trimspace: plain(([s]) => str(s, 'trimspace').trim()),
  replace: plain(([s, a, b]) => str(s, 'replace').split(str(a, 'replace')).join(str(b, 'replace'))),
  substr: plain(([s, o, l]) => {
    const t = str(s, 'substr');
    const off = toNumber(o, 'substr');
    const len = toNumber(l, 'substr');
    return len < 0 ? t.slice(off) : t.slice(off, off + len);
  }),
  split: plain(([sep, s]) => str(s, 'split').split(str(sep, 'split'))),
  format: plain(([f, ...rest]) => format(str(f, 'format'), rest), { deep: true }),
  join: plain(([sep, ...lists]) => lists.flatMap((l) => list(l, 'join')).map((x) => str(x, 'join')).join(str(sep, 'join')), { deep: true }),
  tostring: plain(([v]) => (v === null ? null : str(v, 'tostring'))),
  tonumber: plain(([v]) => (v === null ? null : toNumber(v, 'tonumber'))),
  tobool: plain(([v]) => {
    if (v === null || typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new FunctionError(`tobool: cannot convert ${JSON.stringify(v)} to bool`);
  }),
  length: plain(([v]) => {
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isObject(v)) return Object.keys(v).length;
    throw new FunctionError(`length: expected a string, list or map, got ${typeName(v)}`);
  }),
  keys: plain(([m]) => Object.keys(obj(m, 'keys')).sort()),
  values: (args) => {
    const u = unmark(args[0]);
    if (u.value === UNKNOWN) return mark(UNKNOWN, u.sensitive);
    const m = obj(u.value, 'values');
    return mark(Object.keys(m).sort().map((k) => m[k]), u.sensitive);
  },
  contains: plain(([l, v]) => list(l, 'contains').some((x) => JSON.stringify(x) === JSON.stringify(v)), { deep: true }),
  lookup: (args) => {
    if (args.length < 2) throw new FunctionError('lookup: needs a map and a key');
    const m = unmark(args[0]);
    const k = unmark(args[1]);
    if (m.value === UNKNOWN || k.value === UNKNOWN) return mark(UNKNOWN, m.sensitive || k.sensitive);
    const map = obj(m.value, 'lookup');
    const key = str(k.value, 'lookup');
    if (key in map) return mark(map[key], m.sensitive || k.sensitive);
    if (args.length > 2) return args[2];
    throw new FunctionError(`lookup: the key "${key}" does not exist in the map and no default was given`);
  },
  merge: (args) => {
    const out: ValueObject = {};
    let sensitive = false;
    for (const a of args) {
      const u = unmark(a);
      sensitive ||= u.sensitive;
      if (u.value === null) continue;
      if (u.value === UNKNOWN) return mark(UNKNOWN, sensitive);
      Object.assign(out, obj(u.value, 'merge'));
    }
    return mark(out, sensitive);
  },
  concat: (args) => {
    const out: Value[] = [];
    let sensitive = false;
    for (const a of args) {
      const u = unmark(a);
      sensitive ||= u.sensitive;
      if (u.value === UNKNOWN) return mark(UNKNOWN, sensitive);
      out.push(...list(u.value, 'concat'));
    }
    return mark(out, sensitive);
  },
  tomap: (args) => {
    const u = unmark(args[0]);
    if (u.value === UNKNOWN) return mark(UNKNOWN, u.sensitive);
    return mark({ ...obj(u.value, 'tomap') }, u.sensitive);
  },
  tolist: (args) => {
    const u = unmark(args[0]);
    if (u.value === UNKNOWN) return mark(UNKNOWN, u.sensitive);
    return mark([...list(u.value, 'tolist')], u.sensitive);
  },
  toset: (args) => {
    const u = unmark(args[0]);
    if (u.value === UNKNOWN) return mark(UNKNOWN, u.sensitive);
    return mark(toSet(list(u.value, 'toset')), u.sensitive);
  },
  distinct: plain(([l]) => toSet(list(l, 'distinct'))),
  flatten: plain(([l]) => (list(l, 'flatten') as Value[]).flat(Infinity as 1) as Value[], { deep: true }),
  jsonencode: plain(([v]) => JSON.stringify(v), { deep: true }),
  jsondecode: plain(([s]) => {
    try {
      return JSON.parse(str(s, 'jsondecode')) as Value;
    } catch (e) {
      throw new FunctionError(`jsondecode: ${(e as Error).message}`);
    }
  }),
  coalesce: (args) => {
    for (const a of args) {
      const u = unmark(a);
      if (u.value === UNKNOWN) return a;
      if (u.value !== null && u.value !== '') return a;
    }
    throw new FunctionError('coalesce: no non-null, non-empty argument');
  },
  min: plain((args) => Math.min(...args.map((a) => toNumber(a, 'min')))),
  max: plain((args) => Math.max(...args.map((a) => toNumber(a, 'max')))),
  abs: plain(([a]) => Math.abs(toNumber(a, 'abs'))),
  element: plain(([l, i]) => {
    const arr = list(l, 'element');
    if (arr.length === 0) throw new FunctionError('element: cannot use element on an empty list');
    return arr[toNumber(i, 'element') % arr.length];
  }),
  range: plain((args) => {
    const n = args.map((a) => toNumber(a, 'range'));
    const [start, end, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
    const out: number[] = [];
    for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
    return out;
  }),
  base64encode: plain(([s]) => Buffer.from(str(s, 'base64encode'), 'utf8').toString('base64')),
  sensitive: (args) => new Sensitive(unmark(args[0]).value),
  nonsensitive: (args) => unmark(args[0]).value,
});

/** The functions that read files (file-functions.ts): they need the reader evaluation is given. */
export const FILE_FUNCTION_NAMES: readonly string[] = Object.freeze(['file', 'filebase64', 'fileexists']);

export function isFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name) || FILE_FUNCTION_NAMES.includes(name);
}

export function functionNames(): string[] {
  return [...Object.keys(FUNCTIONS), ...FILE_FUNCTION_NAMES];
}

export function callFunction(name: string, args: Value[]): Value {
  const fn = FUNCTIONS[name];
  if (!fn) throw new FunctionError(`There is no function named "${name}"`);
  return fn(args);
}
