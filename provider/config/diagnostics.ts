/** Configuration diagnostics: severity, summary, detail, hint and file:line:col range; collected, never thrown. */

export type Severity = 'error' | 'warning';

export interface SourceRange {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  hint?: string;
  range?: SourceRange;
}

export function error(summary: string, detail?: string, range?: SourceRange, hint?: string): Diagnostic {
  return { severity: 'error', summary, detail, range, hint };
}

export function warning(summary: string, detail?: string, range?: SourceRange, hint?: string): Diagnostic {
  return { severity: 'warning', summary, detail, range, hint };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

export function formatRange(r: SourceRange): string {
  return `${r.file}:${r.line}:${r.column}`;
}

/** `^` under the range's first character (`^^^` under all of it when it ends on the same line); tabs kept so it lines up. */
function caret(src: string, r: SourceRange): string {
  const start = Math.min(Math.max(r.column - 1, 0), src.length);
  const end = r.endLine === r.line && r.endColumn !== undefined ? Math.min(r.endColumn - 1, src.length) : start + 1;
  return src.slice(0, start).replace(/[^\t]/g, ' ') + '^'.repeat(Math.max(1, end - start));
}

/** Terraform-like rendering: "Error: Summary", the location with its source line and a caret under the spot, the detail and a hint. */
export function formatDiagnostic(d: Diagnostic, sources?: ReadonlyMap<string, string>): string {
  const lines = [`${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}`];
  if (d.range) {
    lines.push('', `  on ${formatRange(d.range)}:`);
    const src = sources?.get(d.range.file)?.split('\n')[d.range.line - 1]?.replace(/\r$/, '');
    if (src !== undefined) {
      const prefix = `  ${String(d.range.line).padStart(3)}: `;
      lines.push(prefix + src, ' '.repeat(prefix.length) + caret(src, d.range));
    }
  }
  if (d.detail) lines.push('', d.detail);
  if (d.hint) lines.push('', `Hint: ${d.hint}`);
  return lines.join('\n') + '\n';
}

/** Sorted by file, line and column so a run's output is stable. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => {
    const fa = a.range?.file ?? '';
    const fb = b.range?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.range?.line ?? 0) - (b.range?.line ?? 0) || (a.range?.column ?? 0) - (b.range?.column ?? 0);
  });
}
