/** A parser for HCL native expressions and string templates (hclsyntax spec: "Expressions", "Templates"), producing a small AST. */

export type Expr =
  | { k: 'lit'; v: null | string | number | boolean; at: number }
  | { k: 'tpl'; parts: (string | Expr)[]; at: number }
  | { k: 'var'; name: string; at: number }
  | { k: 'attr'; obj: Expr; name: string; at: number }
  | { k: 'index'; obj: Expr; key: Expr; at: number }
  | { k: 'splat'; obj: Expr; each: Expr; at: number }
  | { k: 'anon'; at: number }
  | { k: 'call'; name: string; args: Expr[]; expand: boolean; at: number }
  | { k: 'tuple'; items: Expr[]; at: number }
  | { k: 'object'; items: { key: Expr; value: Expr }[]; at: number }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr; at: number }
  | { k: 'bin'; op: string; l: Expr; r: Expr; at: number }
  | { k: 'un'; op: string; e: Expr; at: number }
  | { k: 'for'; keyVar?: string; valVar: string; coll: Expr; keyExpr?: Expr; valExpr: Expr; cond?: Expr; group: boolean; object: boolean; at: number };

export class ExprSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}

/** A traversal from a root name (`dew_kms_key.app.key_id`, `var.x`), as used for dependencies and checks. */
export interface Reference {
  root: string;
  /** Attribute names and literal index keys after the root, in order. */
  steps: (string | number)[];
  at: number;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '>': 4, '<=': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6,
};

/** Parses a whole template string (a config string value): text with `${…}` interpolations. */
export function parseTemplate(text: string): Expr {
  const p = new Parser(text);
  const parts = p.templateParts(text.length, null);
  return simplifyTemplate(parts, 0);
}

/** Parses a bare expression (e.g. an `ignore_changes` entry or `-target` address). */
export function parseExpression(text: string): Expr {
  const p = new Parser(text);
  p.ws();
  const e = p.expression();
  p.ws();
  if (p.pos < text.length) throw new ExprSyntaxError(`Unexpected "${text.slice(p.pos, p.pos + 10)}" after expression`, p.pos);
  return e;
}

function simplifyTemplate(parts: (string | Expr)[], at: number): Expr {
  // A template that is exactly one interpolation yields the value unconverted (hclsyntax TemplateWrapExpr).
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0];
  if (parts.length === 0) return { k: 'lit', v: '', at };
  if (parts.length === 1 && typeof parts[0] === 'string') return { k: 'lit', v: parts[0], at };
  return { k: 'tpl', parts, at };
}

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  fail(msg: string, at = this.pos): never {
    throw new ExprSyntaxError(msg, at);
  }

  ws(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#' || (c === '/' && this.src[this.pos + 1] === '/')) {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      } else if (c === '/' && this.src[this.pos + 1] === '*') {
        const end = this.src.indexOf('*/', this.pos + 2);
        this.pos = end < 0 ? this.src.length : end + 2;
      } else return;
    }
  }

  peek(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  eat(s: string): boolean {
    this.ws();
    if (this.peek(s)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }

  expect(s: string): void {
    if (!this.eat(s)) this.fail(`Expected "${s}"${this.pos < this.src.length ? ` but found "${this.src[this.pos]}"` : ' but the expression ended'}`);
  }

  /**
   * Template text up to `end` (or the closing quote when `quote` is set), splitting `${…}` interpolations.
   * `escapes` applies quoted-string escapes (\n, \", \uXXXX), which hcl2json has already decoded at the top level.
   */
  templateParts(end: number, quote: '"' | null): (string | Expr)[] {
    const parts: (string | Expr)[] = [];
    let text = '';
    while (this.pos < end) {
      const c = this.src[this.pos];
      if (quote && c === quote) break;
      if (quote && c === '\\') {
        const n = this.src[this.pos + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (n in map) {
          text += map[n];
          this.pos += 2;
        } else if (n === 'u' || n === 'U') {
          const len = n === 'u' ? 4 : 8;
          const hex = this.src.slice(this.pos + 2, this.pos + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('Invalid unicode escape');
          text += String.fromCodePoint(parseInt(hex, 16));
          this.pos += 2 + len;
        } else this.fail(`Invalid escape sequence "\\${n}"`);
        continue;
      }
      if (this.peek('$${') || this.peek('%%{')) {
        text += c + '{';
        this.pos += 3;
        continue;
      }
      if (this.peek('%{')) this.fail('Template directives (%{ … }) are not supported; use a conditional expression or a for expression');
      if (this.peek('${')) {
        if (text) parts.push(text);
        text = '';
        this.pos += 2;
        const strip = this.eat('~');
        const e = this.expression();
        this.eat('~');
        this.expect('}');
        void strip;
        parts.push(e);
        continue;
      }
      if (quote && c === '\n') this.fail('Unterminated string');
      text += c;
      this.pos++;
    }
    if (text) parts.push(text);
    return parts;
  }

  expression(): Expr {
    const at = this.pos;
    const c = this.binary(1);
    if (this.eat('?')) {
      const t = this.expression();
      this.expect(':');
      const f = this.expression();
      return { k: 'cond', c, t, f, at };
    }
    return c;
  }

  binary(minPrec: number): Expr {
    let l = this.unary();
    for (;;) {
      this.ws();
      const op = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%'].find((o) => this.peek(o));
      if (!op || BINARY_PRECEDENCE[op] < minPrec) return l;
      if (op === '=' || (op === '<' && this.peek('<<'))) return l;
      const at = this.pos;
      this.pos += op.length;
      const r = this.binary(BINARY_PRECEDENCE[op] + 1);
      l = { k: 'bin', op, l, r, at };
    }
  }

  unary(): Expr {
    this.ws();
    const at = this.pos;
    if (this.peek('!') && !this.peek('!=')) {
      this.pos++;
      return { k: 'un', op: '!', e: this.unary(), at };
    }
    if (this.peek('-')) {
      this.pos++;
      return { k: 'un', op: '-', e: this.unary(), at };
    }
    return this.postfix(this.primary());
  }

  postfix(e: Expr): Expr {
    for (;;) {
      this.ws();
      const at = this.pos;
      if (this.peek('.*')) {
        this.pos += 2;
        e = { k: 'splat', obj: e, each: this.splatTail(), at };
      } else if (this.peek('[*]')) {
        this.pos += 3;
        e = { k: 'splat', obj: e, each: this.splatTail(), at };
      } else if (this.peek('.') && !this.peek('...')) {
        this.pos++;
        this.ws();
        const num = /^[0-9]+/.exec(this.src.slice(this.pos));
        if (num) {
          this.pos += num[0].length;
          e = { k: 'index', obj: e, key: { k: 'lit', v: Number(num[0]), at }, at };
        } else e = { k: 'attr', obj: e, name: this.ident(), at };
      } else if (this.peek('[')) {
        this.pos++;
        const key = this.expression();
        this.expect(']');
        e = { k: 'index', obj: e, key, at };
      } else return e;
    }
  }

  /** The attribute/index steps after a splat, applied to each element. */
  splatTail(): Expr {
    let each: Expr = { k: 'anon', at: this.pos };
    for (;;) {
      const at = this.pos;
      if (this.src[this.pos] === '.' && /[A-Za-z_]/.test(this.src[this.pos + 1] ?? '')) {
        this.pos++;
        each = { k: 'attr', obj: each, name: this.ident(), at };
      } else if (this.src[this.pos] === '[' && this.src[this.pos + 1] !== '*') {
        this.pos++;
        const key = this.expression();
        this.expect(']');
        each = { k: 'index', obj: each, key, at };
      } else return each;
    }
  }

  ident(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail(this.pos >= this.src.length ? 'Expected a name but the expression ended' : `Expected a name but found "${this.src[this.pos]}"`);
    this.pos += m[0].length;
    return m[0];
  }

  primary(): Expr {
    this.ws();
    const at = this.pos;
    const c = this.src[this.pos];
    if (c === undefined) this.fail('Expected the start of an expression, but the expression ended');
    if (c === '(') {
      this.pos++;
      const e = this.expression();
      this.expect(')');
      return e;
    }
    if (c === '"') {
      this.pos++;
      const parts = this.templateParts(this.src.length, '"');
      if (this.src[this.pos] !== '"') this.fail('Unterminated string', at);
      this.pos++;
      return simplifyTemplateQuoted(parts, at);
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.src.slice(this.pos))!;
      this.pos += m[0].length;
      return { k: 'lit', v: Number(m[0]), at };
    }
    if (c === '[') return this.tupleOrFor();
    if (c === '{') return this.objectOrFor();
    if (/[A-Za-z_]/.test(c)) {
      const name = this.ident();
      if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true', at };
      if (name === 'null') return { k: 'lit', v: null, at };
      this.ws();
      if (this.peek('::')) {
        // provider-namespaced functions are not supported; report clearly
        this.fail('Provider-defined functions are not supported');
      }
      if (this.peek('(')) {
        this.pos++;
        const args: Expr[] = [];
        let expand = false;
        if (!this.eat(')')) {
          for (;;) {
            args.push(this.expression());
            if (this.eat('...')) expand = true;
            if (this.eat(')')) break;
            this.expect(',');
            if (this.eat(')')) break;
          }
        }
        return { k: 'call', name, args, expand, at };
      }
      return { k: 'var', name, at };
    }
    return this.fail(`Expected the start of an expression, but found "${c}"`);
  }

  isForKeyword(): boolean {
    this.ws();
    return /^for\s/.test(this.src.slice(this.pos, this.pos + 4));
  }

  forHeader(): { keyVar?: string; valVar: string; coll: Expr } {
    this.pos += 3;
    this.ws();
    let valVar = this.ident();
    let keyVar: string | undefined;
    if (this.eat(',')) {
      this.ws();
      keyVar = valVar;
      valVar = this.ident();
    }
    this.ws();
    if (!this.eat('in')) this.fail('Expected "in" in for expression');
    const coll = this.expression();
    this.expect(':');
    return { keyVar, valVar, coll };
  }

  tupleOrFor(): Expr {
    const at = this.pos;
    this.pos++;
    if (this.isForKeyword()) {
      const h = this.forHeader();
      const valExpr = this.expression();
      const cond = this.eat('if') ? this.expression() : undefined;
      this.expect(']');
      return { k: 'for', ...h, valExpr, cond, group: false, object: false, at };
    }
    const items: Expr[] = [];
    if (this.eat(']')) return { k: 'tuple', items, at };
    for (;;) {
      items.push(this.expression());
      if (this.eat(']')) break;
      this.expect(',');
      if (this.eat(']')) break;
    }
    return { k: 'tuple', items, at };
  }

  objectOrFor(): Expr {
    const at = this.pos;
    this.pos++;
    if (this.isForKeyword()) {
      const h = this.forHeader();
      const keyExpr = this.expression();
      this.expect('=>');
      const valExpr = this.expression();
      const group = this.eat('...');
      const cond = this.eat('if') ? this.expression() : undefined;
      this.expect('}');
      return { k: 'for', ...h, keyExpr, valExpr, cond, group, object: true, at };
    }
    const items: { key: Expr; value: Expr }[] = [];
    for (;;) {
      if (this.eat('}')) break;
      this.ws();
      const kat = this.pos;
      let key: Expr;
      const bare = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(this.pos));
      if (bare && !['true', 'false', 'null'].includes(bare[0]) && /^\s*[=:]/.test(this.src.slice(this.pos + bare[0].length)) && !/^\s*==/.test(this.src.slice(this.pos + bare[0].length))) {
        this.pos += bare[0].length;
        key = { k: 'lit', v: bare[0], at: kat };
      } else key = this.expression();
      this.ws();
      if (!this.eat('=') && !this.eat(':')) this.fail('Expected "=" after the object key');
      const value = this.expression();
      items.push({ key, value });
      this.ws();
      this.eat(',');
    }
    return { k: 'object', items, at };
  }
}

function simplifyTemplateQuoted(parts: (string | Expr)[], at: number): Expr {
  // A quoted string is always a string, even when it is a single interpolation; the evaluator converts.
  if (parts.length === 1 && typeof parts[0] !== 'string') return { k: 'tpl', parts, at };
  return simplifyTemplate(parts, at);
}

/**
 * The direct sub-expressions of `e`, each with the names a for-expression binds for it (the
 * iteration's key and value names, for what is evaluated per element; not for its collection).
 */
export function subExpressions(e: Expr): { e: Expr; binds?: string[] }[] {
  switch (e.k) {
    case 'lit':
    case 'anon':
    case 'var':
      return [];
    case 'attr':
      return [{ e: e.obj }];
    case 'index':
      return [{ e: e.obj }, { e: e.key }];
    case 'splat':
      return [{ e: e.obj }];
    case 'tpl':
      return e.parts.filter((p): p is Expr => typeof p !== 'string').map((p) => ({ e: p }));
    case 'call':
      return e.args.map((a) => ({ e: a }));
    case 'tuple':
      return e.items.map((a) => ({ e: a }));
    case 'object':
      return e.items.flatMap((i) => [{ e: i.key }, { e: i.value }]);
    case 'cond':
      return [{ e: e.c }, { e: e.t }, { e: e.f }];
    case 'bin':
      return [{ e: e.l }, { e: e.r }];
    case 'un':
      return [{ e: e.e }];
    case 'for': {
      const binds = [e.valVar, ...(e.keyVar ? [e.keyVar] : [])];
      return [{ e: e.coll }, ...[e.keyExpr, e.valExpr, e.cond].filter((x): x is Expr => !!x).map((x) => ({ e: x, binds }))];
    }
  }
}

/** `bound` plus what a sub-expression's for-expression binds. */
export function withBinds(bound: ReadonlySet<string>, binds: string[] | undefined): ReadonlySet<string> {
  return binds ? new Set([...bound, ...binds]) : bound;
}

/** Every root traversal in an expression (for dependencies and "undeclared" checks); for-iterator names excluded. */
export function referencesOf(e: Expr, bound: ReadonlySet<string> = new Set()): Reference[] {
  const out: Reference[] = [];
  const walk = (x: Expr, b: ReadonlySet<string>): void => {
    if (x.k === 'var') {
      if (!b.has(x.name)) out.push({ root: x.name, steps: [], at: x.at });
      return;
    }
    if (x.k === 'attr' || x.k === 'index') {
      const chain = traversalOf(x);
      if (chain && !b.has(chain.root)) {
        out.push(chain);
        // index keys that are expressions still contribute references
        collectIndexKeys(x, b);
        return;
      }
    }
    for (const c of subExpressions(x)) walk(c.e, withBinds(b, c.binds));
  };
  const collectIndexKeys = (x: Expr, b: ReadonlySet<string>): void => {
    if (x.k === 'index') {
      if (x.key.k !== 'lit') walk(x.key, b);
      collectIndexKeys(x.obj, b);
    } else if (x.k === 'attr') collectIndexKeys(x.obj, b);
  };
  walk(e, bound);
  return out;
}

/** `a.b["c"][0]` as a root and steps, or undefined when the chain holds a computed index. */
export function traversalOf(e: Expr): Reference | undefined {
  const steps: (string | number)[] = [];
  let x: Expr = e;
  for (;;) {
    if (x.k === 'attr') {
      steps.unshift(x.name);
      x = x.obj;
    } else if (x.k === 'index') {
      if (x.key.k === 'lit' && (typeof x.key.v === 'string' || typeof x.key.v === 'number')) steps.unshift(x.key.v);
      else {
        // keep the part of the chain before a computed index
        steps.length = 0;
      }
      x = x.obj;
    } else if (x.k === 'var') return { root: x.name, steps, at: x.at };
    else return undefined;
  }
}
