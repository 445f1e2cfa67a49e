/** The one module that talks to the HCL parser (@cdktn/hcl2json, HashiCorp HCL v2 in WASM), loaded lazily. */
import { setFlagsFromString } from 'node:v8';
import { error, type Diagnostic } from './diagnostics.js';

type ParseFn = (filename: string, contents: string) => Promise<Record<string, unknown>>;
let parser: Promise<ParseFn> | undefined;

function load(): Promise<ParseFn> {
  // The WASM runtime costs CPU to start: only commands that read HCL pay for it. V8 compiles the
  // parser's 8 MB module with its baseline compiler and then again, on background threads, with its
  // optimising one, which a command parsing a few files never profits from: baseline only, a
  // process that parses one file takes 0.27 s of CPU instead of 0.70 (0.24 s of wall time instead
  // of 0.45). The flag only concerns WebAssembly, and the CLI loads no other.
  if (!parser) setFlagsFromString('--liftoff-only');
  parser ??= import('@cdktn/hcl2json').then((m) => m.parse as ParseFn);
  return parser;
}

export type HclParseResult = { body: Record<string, unknown>; diagnostics: [] } | { body: undefined; diagnostics: Diagnostic[] };

/** Parses one HCL file into Terraform-JSON-shaped data; syntax errors become diagnostics with positions. */
export async function parseHcl(file: string, text: string): Promise<HclParseResult> {
  const parse = await load();
  try {
    return { body: await parse(file, text), diagnostics: [] };
  } catch (e) {
    return { body: undefined, diagnostics: splitHclErrors(file, String((e as Error)?.message ?? e)) };
  }
}

/**
 * hcl2json reports all diagnostics in one string, "parse config: [f:L,C-L,C: Summary; Detail f:…]";
 * split it on the known file name followed by a range.
 */
export function splitHclErrors(file: string, message: string): Diagnostic[] {
  const body = message.replace(/^parse config: \[/, '').replace(/\]$/, '');
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(?:^|\\s)${esc}:(\\d+),(\\d+)-(?:(\\d+),)?(\\d+): `, 'g');
  const starts: { index: number; end: number; m: RegExpExecArray }[] = [];
  for (let m = re.exec(body); m; m = re.exec(body)) starts.push({ index: m.index, end: re.lastIndex, m });
  if (starts.length === 0) return [error('Invalid HCL', body, { file, line: 1, column: 1 })];
  return starts.map((s, i) => {
    const text = body.slice(s.end, i + 1 < starts.length ? starts[i + 1].index : body.length).trim();
    const semi = text.indexOf('; ');
    const summary = semi >= 0 ? text.slice(0, semi) : text;
    const detail = semi >= 0 ? text.slice(semi + 2) : undefined;
    const line = Number(s.m[1]);
    return error(summary, detail, {
      file,
      line,
      column: Number(s.m[2]),
      endLine: s.m[3] ? Number(s.m[3]) : line,
      endColumn: Number(s.m[4]),
    });
  });
}
