/** Reads a config folder: every *.hcl (parsed with the HCL module) and *.dew.json (Terraform JSON syntax) file, with source maps. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { error, type Diagnostic } from './diagnostics.js';
import { parseHcl } from './hcl.js';
import { scanHcl, scanJson, type SourceMap } from './source-map.js';

export interface SourceFile {
  /** File name relative to the config folder (as shown in diagnostics). */
  name: string;
  kind: 'hcl' | 'json';
  text: string;
  body: Record<string, unknown>;
  map: SourceMap;
}

/** Marker key of saved plan files, which may sit in the folder and are not configuration. */
export const SAVED_PLAN_MARKER = 'dew_saved_plan';

/** The files dew reads as configuration, as Terraform reads *.tf and *.tf.json: never package.json and the like. */
export const CONFIG_SUFFIXES = ['.hcl', '.dew.json'] as const;

export const isConfigFile = (name: string): boolean => CONFIG_SUFFIXES.some((s) => name.endsWith(s));

export async function loadConfigFiles(dir: string): Promise<{ files: SourceFile[]; diagnostics: Diagnostic[]; texts: Map<string, string> }> {
  const diagnostics: Diagnostic[] = [];
  let all: string[];
  try {
    all = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  } catch (e) {
    return { files: [], diagnostics: [error('Cannot read the configuration folder', `${dir}: ${(e as Error).message}`)], texts: new Map() };
  }
  const names = all.filter(isConfigFile);
  const files: SourceFile[] = [];
  // every text read, those that do not parse too: diagnostics show their lines
  const texts = new Map<string, string>();
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    texts.set(name, text);
    const parsed = await parseSource(name, text);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.file) files.push(parsed.file);
  }
  if (names.length === 0) {
    const ignored = all.length ? `It holds ${all.join(', ')}, none of which dew reads${all.some((n) => /\.tf(\.json)?$/.test(n)) ? ' (Terraform files: rename *.tf to *.hcl, *.tf.json to *.dew.json)' : ''}.` : 'It is empty.';
    diagnostics.push(error('No configuration files', `The folder ${dir} holds no *.hcl or *.dew.json files. ${ignored}`, undefined, 'Run dew in the folder that holds your resource files, or pass it as the last argument or with -chdir=DIR.'));
  }
  return { files, diagnostics, texts };
}

/** Parses one file's text by its extension. */
export async function parseSource(name: string, text: string): Promise<{ file?: SourceFile; diagnostics: Diagnostic[] }> {
  if (name.endsWith('.json')) {
    // a saved plan's sources keep the names they were read under: *.dew.json
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      const offset = m ? Number(m[1]) : 0;
      const before = text.slice(0, offset).split('\n');
      return {
        diagnostics: [error('Invalid JSON', (e as Error).message, { file: name, line: before.length, column: before[before.length - 1].length + 1 })],
      };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { diagnostics: [error('Invalid JSON configuration', 'The root of a JSON configuration file must be an object.', { file: name, line: 1, column: 1 })] };
    if (SAVED_PLAN_MARKER in body) return { diagnostics: [] };
    return { file: { name, kind: 'json', text, body: body as Record<string, unknown>, map: scanJson(name, text) }, diagnostics: [] };
  }
  const res = await parseHcl(name, text);
  if (!res.body) return { diagnostics: res.diagnostics };
  return { file: { name, kind: 'hcl', text, body: res.body, map: scanHcl(name, text) }, diagnostics: [] };
}
