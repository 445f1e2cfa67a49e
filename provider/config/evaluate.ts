/** Evaluates parsed expressions to values, propagating the unknown sentinel and the sensitive mark. */
import type { Expr } from './expression-parser.js';
import { callFunction, isFunction, FunctionError, toNumber, FILE_FUNCTION_NAMES } from './functions.js';
import { callFileFunction, type FileReader } from './file-functions.js';
import { UNKNOWN, isObject, unmark, mark, typeName, jsonEqual, type Value, type ValueObject } from './values.js';

export class EvalError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'EvalError';
  }
}

/** Resolves root names (`var`, `local`, `each`, `count`, resource types) to values. */
export type RootResolver = (name: string) => Value | undefined;

/** `files` serves file(), filebase64() and fileexists(); without it they are refused. */
export function evaluate(e: Expr, resolve: RootResolver, files?: FileReader): Value {
  return new Evaluator(resolve, files).ev(e, new Map());
}

type Locals = ReadonlyMap<string, Value>;

class Evaluator {
  constructor(
    readonly resolve: RootResolver,
    readonly files?: FileReader,
  ) {}

  fail(msg: string, at: number): never {
    throw new EvalError(msg, at);
  }

  ev(e: Expr, locals: Locals): Value {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'var': {
        if (locals.has(e.name)) return locals.get(e.name)!;
        const v = this.resolve(e.name);
        if (v === undefined) this.fail(`A reference to "${e.name}" cannot be resolved`, e.at);
        return v;
      }
      case 'anon':
        return locals.get('\0anon') ?? null;
      case 'tpl': {
        let sensitive = false;
        let out = '';
        for (const p of e.parts) {
          if (typeof p === 'string') {
            out += p;
            continue;
          }
          const u = unmark(this.ev(p, locals));
          sensitive ||= u.sensitive;
          if (u.value === UNKNOWN) return mark(UNKNOWN, sensitive);
          if (u.value === null) this.fail('Invalid template interpolation value: the expression result is null', p.at);
          if (typeof u.value === 'object') this.fail(`Invalid template interpolation value: cannot include a ${typeName(u.value)} in a string template`, p.at);
          out += String(u.value);
        }
        return mark(out, sensitive);
      }
      case 'attr': {
        const u = unmark(this.ev(e.obj, locals));
        if (u.value === UNKNOWN) return mark(UNKNOWN, u.sensitive);
        if (!isObject(u.value)) this.fail(`Unsupported attribute: cannot read "${e.name}" of a ${typeName(u.value)} value`, e.at);
        if (!Object.hasOwn(u.value, e.name)) this.fail(`Unsupported attribute: this object does not have an attribute named "${e.name}"`, e.at);
        return mark(u.value[e.name], u.sensitive);
      }
      case 'index': {
        const c = unmark(this.ev(e.obj, locals));
        const k = unmark(this.ev(e.key, locals));
        const sensitive = c.sensitive || k.sensitive;
        if (c.value === UNKNOWN || k.value === UNKNOWN) return mark(UNKNOWN, sensitive);
        if (Array.isArray(c.value)) {
          const i = this.num(k.value, e.key.at);
          if (!Number.isInteger(i) || i < 0 || i >= c.value.length) this.fail(`Invalid index: the given index ${i} is out of range for a collection of ${c.value.length} elements`, e.key.at);
          return mark(c.value[i], sensitive);
        }
        if (isObject(c.value)) {
          const key = String(k.value);
          if (!Object.hasOwn(c.value, key)) this.fail(`Invalid index: the given key "${key}" does not identify an element in this collection`, e.key.at);
          return mark(c.value[key], sensitive);
        }
        return this.fail(`Invalid index: cannot index a ${typeName(c.value)} value`, e.at);
      }
      case 'splat': {
        const c = unmark(this.ev(e.obj, locals));
        if (c.value === UNKNOWN) return mark(UNKNOWN, c.sensitive);
        const items = c.value === null ? [] : Array.isArray(c.value) ? c.value : isObject(c.value) ? Object.values(c.value) : [c.value];
        return mark(items.map((it) => this.ev(e.each, new Map([...locals, ['\0anon', it]]))), c.sensitive);
      }
      case 'call': {
        if (!isFunction(e.name)) this.fail(`Call to unknown function: there is no function named "${e.name}"`, e.at);
        let args = e.args.map((a) => this.ev(a, locals));
        if (e.expand) {
          const last = unmark(args[args.length - 1]);
          if (last.value === UNKNOWN) return mark(UNKNOWN, last.sensitive);
          if (!Array.isArray(last.value)) this.fail('Invalid expanding argument: the argument after ... must be a list', e.at);
          args = [...args.slice(0, -1), ...last.value.map((x) => mark(x, last.sensitive))];
        }
        try {
          return FILE_FUNCTION_NAMES.includes(e.name) ? callFileFunction(e.name, args, this.files) : callFunction(e.name, args);
        } catch (err) {
          if (err instanceof FunctionError) this.fail(`Error in function call: ${err.message}`, e.at);
          throw err;
        }
      }
      case 'tuple':
        return e.items.map((i) => this.ev(i, locals));
      case 'object': {
        const out: ValueObject = {};
        for (const item of e.items) {
          const k = unmark(this.ev(item.key, locals));
          if (k.value === UNKNOWN) return UNKNOWN;
          if (k.value === null || typeof k.value === 'object') this.fail('Invalid object key: keys must be strings', item.key.at);
          out[String(k.value)] = this.ev(item.value, locals);
        }
        return out;
      }
      case 'cond': {
        const c = unmark(this.ev(e.c, locals));
        if (c.value === UNKNOWN) return mark(UNKNOWN, c.sensitive);
        if (typeof c.value !== 'boolean') this.fail(`Incorrect condition type: the condition must be a bool, got ${typeName(c.value)}`, e.c.at);
        return mark(this.ev(c.value ? e.t : e.f, locals), c.sensitive);
      }
      case 'un': {
        const u = unmark(this.ev(e.e, locals));
        if (u.value === UNKNOWN) return mark(UNKNOWN, u.sensitive);
        if (e.op === '!') {
          if (typeof u.value !== 'boolean') this.fail(`Invalid operand: "!" needs a bool, got ${typeName(u.value)}`, e.at);
          return mark(!u.value, u.sensitive);
        }
        return mark(-this.num(u.value, e.at), u.sensitive);
      }
      case 'bin':
        return this.binary(e, locals);
      case 'for':
        return this.forExpr(e, locals);
    }
  }

  num(v: Value, at: number): number {
    try {
      return toNumber(v, 'operator');
    } catch {
      return this.fail(`Invalid operand: a number is required, got ${typeName(v)} ${JSON.stringify(v)}`, at);
    }
  }

  binary(e: Extract<Expr, { k: 'bin' }>, locals: Locals): Value {
    const l = unmark(this.ev(e.l, locals));
    // short-circuit logic like HCL: only when the left side decides the result
    if (e.op === '&&' && l.value === false) return mark(false, l.sensitive);
    if (e.op === '||' && l.value === true) return mark(true, l.sensitive);
    const r = unmark(this.ev(e.r, locals));
    const sensitive = l.sensitive || r.sensitive;
    if (l.value === UNKNOWN || r.value === UNKNOWN) return mark(UNKNOWN, sensitive);
    const a = l.value;
    const b = r.value;
    let out: Value;
    switch (e.op) {
      case '==':
        out = jsonEqual(a, b);
        break;
      case '!=':
        out = !jsonEqual(a, b);
        break;
      case '&&':
      case '||':
        if (typeof a !== 'boolean' || typeof b !== 'boolean') this.fail(`Invalid operand: "${e.op}" needs bools`, e.at);
        out = e.op === '&&' ? a && b : a || b;
        break;
      case '<':
        out = this.num(a, e.l.at) < this.num(b, e.r.at);
        break;
      case '>':
        out = this.num(a, e.l.at) > this.num(b, e.r.at);
        break;
      case '<=':
        out = this.num(a, e.l.at) <= this.num(b, e.r.at);
        break;
      case '>=':
        out = this.num(a, e.l.at) >= this.num(b, e.r.at);
        break;
      case '+':
        out = this.num(a, e.l.at) + this.num(b, e.r.at);
        break;
      case '-':
        out = this.num(a, e.l.at) - this.num(b, e.r.at);
        break;
      case '*':
        out = this.num(a, e.l.at) * this.num(b, e.r.at);
        break;
      case '/': {
        const d = this.num(b, e.r.at);
        if (d === 0) this.fail('Division by zero', e.at);
        out = this.num(a, e.l.at) / d;
        break;
      }
      case '%':
        out = this.num(a, e.l.at) % this.num(b, e.r.at);
        break;
      default:
        return this.fail(`Unsupported operator ${e.op}`, e.at);
    }
    return mark(out, sensitive);
  }

  forExpr(e: Extract<Expr, { k: 'for' }>, locals: Locals): Value {
    const c = unmark(this.ev(e.coll, locals));
    if (c.value === UNKNOWN) return mark(UNKNOWN, c.sensitive);
    let pairs: [Value, Value][];
    if (Array.isArray(c.value)) pairs = c.value.map((v, i) => [i, v]);
    else if (isObject(c.value)) pairs = Object.keys(c.value).sort().map((k) => [k, (c.value as ValueObject)[k]]);
    else return this.fail(`Iteration over non-iterable value: ${typeName(c.value)}`, e.coll.at);
    const tuple: Value[] = [];
    const object: ValueObject = {};
    for (const [k, v] of pairs) {
      const inner = new Map(locals);
      inner.set(e.valVar, v);
      if (e.keyVar) inner.set(e.keyVar, k);
      if (e.cond) {
        const cv = unmark(this.ev(e.cond, inner));
        if (cv.value === UNKNOWN) return UNKNOWN;
        if (cv.value !== true) continue;
      }
      if (e.object) {
        const key = unmark(this.ev(e.keyExpr!, inner));
        if (key.value === UNKNOWN) return UNKNOWN;
        const val = this.ev(e.valExpr, inner);
        const ks = String(key.value);
        if (e.group) ((object[ks] ??= []) as Value[]).push(val);
        else {
          if (Object.hasOwn(object, ks)) this.fail(`Duplicate object key "${ks}" in for expression; use "..." to group`, e.keyExpr!.at);
          object[ks] = val;
        }
      } else tuple.push(this.ev(e.valExpr, inner));
    }
    return mark(e.object ? object : tuple, c.sensitive);
  }
}
