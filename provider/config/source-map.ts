/** Finds line:col of blocks and attributes by scanning source text (the HCL parser gives no positions for valid nodes). */
import type { SourceRange } from './diagnostics.js';

/** Positions keyed by a dotted path: "resource.dew_kms_key.app", "resource.dew_kms_key.app.key_alias", "locals.x". */
export class SourceMap {
  private readonly positions = new Map<string, { line: number; column: number }>();
  constructor(readonly file: string) {}

  set(path: readonly string[], line: number, column: number): void {
    const key = path.join('\u0000');
    if (!this.positions.has(key)) this.positions.set(key, { line, column });
  }

  /** The position of the longest known prefix of the path (an attribute, else its block, else the file). */
  range(path: readonly string[]): SourceRange {
    for (let n = path.length; n > 0; n--) {
      const p = this.positions.get(path.slice(0, n).join('\u0000'));
      if (p) return { file: this.file, line: p.line, column: p.column };
    }
    return { file: this.file, line: 1, column: 1 };
  }
}

/** Scans HCL: block headers (`type "l1" "l2" {`) and `name =` attributes, tracking braces outside strings, comments and heredocs. */
export function scanHcl(file: string, text: string): SourceMap {
  const map = new SourceMap(file);
  const stack: ({ kind: 'block'; path: string[] } | { kind: 'value' })[] = [];
  const lines = text.split('\n');
  let heredoc: string | undefined;
  let inComment = false;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    const top = stack[stack.length - 1];
    const inBlock = !top || top.kind === 'block';
    const path = top && top.kind === 'block' ? top.path : [];
    const indent = line.length - line.trimStart().length;
    let pendingBlock: string[] | undefined;
    if (inBlock && !inComment) {
      const t = line.trimStart();
      const header = /^([A-Za-z_][\w-]*)((?:\s+(?:"[^"]*"|[A-Za-z_][\w-]*))*)\s*\{/.exec(t);
      const attr = /^([A-Za-z_][\w-]*)\s*=(?!=)/.exec(t);
      if (attr) map.set([...path, attr[1]], li + 1, indent + 1);
      else if (header) {
        const labels = [...header[2].matchAll(/"([^"]*)"|([A-Za-z_][\w-]*)/g)].map((m) => m[1] ?? m[2]);
        pendingBlock = [...path, header[1], ...labels];
        map.set(pendingBlock, li + 1, indent + 1);
      }
    }
    // track braces on the rest of the line
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inComment) {
        if (c === '*' && line[i + 1] === '/') {
          inComment = false;
          i++;
        }
        continue;
      }
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '#' || (c === '/' && line[i + 1] === '/')) break;
      else if (c === '/' && line[i + 1] === '*') {
        inComment = true;
        i++;
      } else if (c === '<' && line[i + 1] === '<') {
        const m = /^<<-?([A-Za-z_][\w-]*)\s*$/.exec(line.slice(i));
        if (m) {
          heredoc = m[1];
          break;
        }
      } else if (c === '{' || c === '[' || c === '(') {
        if (c === '{' && pendingBlock) {
          stack.push({ kind: 'block', path: pendingBlock });
          pendingBlock = undefined;
        } else stack.push({ kind: 'value' });
      } else if (c === '}' || c === ']' || c === ')') stack.pop();
    }
  }
  return map;
}

/** Scans a JSON config, recording the position of every object key by its path (array levels skipped). */
export function scanJson(file: string, text: string): SourceMap {
  const map = new SourceMap(file);
  let pos = 0;
  let line = 1;
  let col = 1;
  const adv = (): void => {
    if (text[pos] === '\n') {
      line++;
      col = 1;
    } else col++;
    pos++;
  };
  const ws = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) adv();
  };
  const str = (): string => {
    let s = '';
    adv();
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') {
        s += text[pos];
        adv();
      }
      s += text[pos];
      adv();
    }
    adv();
    try {
      return JSON.parse(`"${s}"`) as string;
    } catch {
      return s;
    }
  };
  const value = (path: string[], depth: number): void => {
    ws();
    if (depth > 64) return;
    const c = text[pos];
    if (c === '{') {
      adv();
      for (;;) {
        ws();
        if (text[pos] === '}' || pos >= text.length) {
          adv();
          return;
        }
        if (text[pos] === ',') {
          adv();
          continue;
        }
        const kl = line;
        const kc = col;
        const key = str();
        map.set([...path, key], kl, kc);
        ws();
        if (text[pos] === ':') adv();
        value([...path, key], depth + 1);
      }
    } else if (c === '[') {
      adv();
      for (;;) {
        ws();
        if (text[pos] === ']' || pos >= text.length) {
          adv();
          return;
        }
        if (text[pos] === ',') {
          adv();
          continue;
        }
        value(path, depth + 1);
      }
    } else if (c === '"') str();
    else while (pos < text.length && !/[,\]}\s]/.test(text[pos])) adv();
  };
  value([], 0);
  return map;
}
