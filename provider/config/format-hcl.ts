/** Canonical HCL layout for `dew fmt`: two-space indentation by nesting, `=` aligned across consecutive attribute lines, tidy whitespace. */

interface LineInfo {
  text: string;
  depth: number;
  /** Inside a heredoc body (kept byte for byte). */
  verbatim: boolean;
}

/** Brace/bracket depth change of one line, ignoring strings (with nested ${…}), comments and heredoc openers. */
function scanLine(line: string, state: { inComment: boolean }): { delta: number; leadingClose: number; heredoc?: string } {
  let delta = 0;
  let leadingClose = 0;
  let seenCode = false;
  const modes: ('code' | 'string' | 'interp')[] = ['code'];
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    const mode = modes[modes.length - 1];
    if (state.inComment) {
      if (c === '*' && line[i + 1] === '/') {
        state.inComment = false;
        i++;
      }
      continue;
    }
    if (mode === 'string') {
      if (c === '\\') i++;
      else if (c === '"') modes.pop();
      else if ((c === '$' || c === '%') && line[i + 1] === '{' && line[i - 1] !== c) {
        modes.push('interp');
        i++;
      }
      continue;
    }
    if (c === ' ' || c === '\t') continue;
    if (c === '"') {
      modes.push('string');
      seenCode = true;
      continue;
    }
    if (c === '#' || (c === '/' && line[i + 1] === '/')) break;
    if (c === '/' && line[i + 1] === '*') {
      state.inComment = true;
      i++;
      continue;
    }
    if (c === '<' && line[i + 1] === '<' && mode === 'code') {
      const m = /^<<-?([A-Za-z_][\w-]*)\s*$/.exec(line.slice(i));
      if (m) return { delta, leadingClose, heredoc: m[1] };
    }
    if (c === '{' || c === '[' || c === '(') {
      if (mode === 'interp' && c === '{') modes.push('interp');
      else delta++;
    } else if (c === '}' || c === ']' || c === ')') {
      if (mode === 'interp' && c === '}') {
        modes.pop();
        continue;
      }
      delta--;
      if (!seenCode) leadingClose++;
    }
    if (c !== '}' && c !== ']' && c !== ')') seenCode = true;
  }
  return { delta, leadingClose };
}

const ATTR = /^([A-Za-z_][\w-]*)\s*=(?!=|>)\s*(.*)$/;

export function formatHcl(src: string): string {
  const raw = src.replace(/\r\n?/g, '\n').split('\n');
  const lines: LineInfo[] = [];
  let depth = 0;
  let heredoc: string | undefined;
  const state = { inComment: false };
  for (const r of raw) {
    if (heredoc !== undefined) {
      lines.push({ text: r, depth, verbatim: true });
      if (r.trim() === heredoc) {
        heredoc = undefined;
        lines[lines.length - 1] = { text: r.trim(), depth, verbatim: false };
      }
      continue;
    }
    if (state.inComment) {
      lines.push({ text: r.replace(/\s+$/, ''), depth, verbatim: true });
      scanLine(r, state);
      continue;
    }
    const t = r.trim();
    const s = scanLine(t, state);
    const own = Math.max(0, depth - s.leadingClose);
    lines.push({ text: t, depth: own, verbatim: false });
    depth = Math.max(0, depth + s.delta);
    if (s.heredoc) heredoc = s.heredoc;
  }
  // align "=" in runs of consecutive single-line attributes at the same depth
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.verbatim || !ATTR.test(l.text)) {
      out.push(l.verbatim ? l.text : l.text === '' ? '' : '  '.repeat(l.depth) + l.text);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && !lines[j].verbatim && lines[j].depth === l.depth && ATTR.test(lines[j].text)) {
      j++;
      // a multi-line value ends the run after its first line
      if (j < lines.length && lines[j].depth > l.depth) break;
    }
    const run = lines.slice(i, j).map((x) => ATTR.exec(x.text)!);
    const width = Math.max(...run.map((m) => m[1].length));
    for (const m of run) out.push('  '.repeat(l.depth) + `${m[1].padEnd(width)} = ${m[2]}`.replace(/\s+$/, ''));
    i = j;
  }
  while (out.length && out[0] === '') out.shift();
  while (out.length && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}
