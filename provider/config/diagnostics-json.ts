/** Diagnostics as Terraform's machine-readable format (`terraform validate -json`): ranges with byte offsets and a source snippet. */
import type { Json } from './values.js';
import { sortDiagnostics, type Diagnostic, type SourceRange } from './diagnostics.js';

export const DIAGNOSTICS_FORMAT_VERSION = '1.0';

interface Pos {
  line: number;
  column: number;
  byte: number;
}

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The line's text (without its newline) and the byte offset where it starts; undefined past the end. */
function lineAt(lines: string[], line: number): { text: string; byte: number } | undefined {
  if (line < 1 || line > lines.length) return undefined;
  let byte = 0;
  for (let i = 0; i < line - 1; i++) byte += utf8(lines[i]) + 1;
  return { text: lines[line - 1].replace(/\r$/, ''), byte };
}

function pos(lines: string[], line: number, column: number): Pos {
  const l = lineAt(lines, line);
  if (!l) return { line, column, byte: 0 };
  const col = Math.min(Math.max(column, 1), [...l.text].length + 1);
  return { line, column: col, byte: l.byte + utf8([...l.text].slice(0, col - 1).join('')) };
}

/** Where a range ends: its own end, else the end of the name (or the one character) at its start, as Terraform highlights. */
function endOf(lines: string[], r: SourceRange): { line: number; column: number } {
  if (r.endLine !== undefined && r.endColumn !== undefined) return { line: r.endLine, column: r.endColumn };
  const text = lineAt(lines, r.line)?.text ?? '';
  const rest = [...text].slice(r.column - 1).join('');
  const word = /^[A-Za-z0-9_-]+/.exec(rest)?.[0] ?? rest.slice(0, 1);
  return { line: r.line, column: r.column + [...word].length };
}

/** The header of the top-level block around a line (`resource "t" "n"`), as Terraform's snippet context; null outside a block. */
function contextOf(lines: string[], line: number): string | null {
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*(?:\s+(?:"[^"]*"|[A-Za-z_][A-Za-z0-9_-]*))*)\s*\{/.exec(lines[i]);
    if (m) return m[1];
    if (i < line - 1 && /^\}/.test(lines[i])) return null;
  }
  return null;
}

function rangeJson(r: SourceRange, source: string | undefined): { range: Json; snippet: Json | undefined } {
  const lines = (source ?? '').split('\n');
  const start = pos(lines, r.line, r.column);
  const e = endOf(lines, r);
  const end = pos(lines, e.line, e.column);
  if (source === undefined) return { range: { filename: r.file, start: { ...start }, end: { ...end } }, snippet: undefined };
  const first = lineAt(lines, start.line);
  const code = lines.slice(start.line - 1, Math.max(end.line, start.line)).map((l) => l.replace(/\r$/, '')).join('\n');
  const base = first?.byte ?? 0;
  return {
    range: { filename: r.file, start: { ...start }, end: { ...end } },
    snippet: {
      context: contextOf(lines, start.line),
      code,
      start_line: start.line,
      highlight_start_offset: start.byte - base,
      highlight_end_offset: Math.min(end.byte - base, utf8(code)),
      values: [],
    },
  };
}

/** One diagnostic in Terraform's shape; dew's hint goes after the detail (Terraform has no hint field). */
export function diagnosticJson(d: Diagnostic, sources?: ReadonlyMap<string, string>): Record<string, Json> {
  const detail = [d.detail, d.hint ? `Hint: ${d.hint}` : undefined].filter(Boolean).join('\n\n');
  const out: Record<string, Json> = { severity: d.severity, summary: d.summary, detail };
  if (d.range) {
    const { range, snippet } = rangeJson(d.range, sources?.get(d.range.file));
    out.range = range;
    if (snippet) out.snippet = snippet;
  }
  return out;
}

/** The whole `validate -json` object: validity, counts and every diagnostic, sorted by place. */
export function diagnosticsJson(diags: readonly Diagnostic[], sources?: ReadonlyMap<string, string>): Record<string, Json> {
  const errors = diags.filter((d) => d.severity === 'error').length;
  return {
    format_version: DIAGNOSTICS_FORMAT_VERSION,
    valid: errors === 0,
    error_count: errors,
    warning_count: diags.length - errors,
    diagnostics: sortDiagnostics(diags).map((d) => diagnosticJson(d, sources)),
  };
}

export function renderDiagnosticsJson(diags: readonly Diagnostic[], sources?: ReadonlyMap<string, string>): string {
  return JSON.stringify(diagnosticsJson(diags, sources), null, 2) + '\n';
}
