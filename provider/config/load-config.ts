/** Loads and decodes a configuration folder (or saved source texts) into the model, with all diagnostics. */
import { resolve } from 'node:path';
import { decodeConfig } from './decode.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { loadConfigFiles, parseSource, type SourceFile } from './load.js';
import type { Config } from './model.js';

export async function loadConfig(dir: string): Promise<{ config: Config; diagnostics: Diagnostic[] }> {
  const abs = resolve(dir);
  const { files, diagnostics, texts } = await loadConfigFiles(abs);
  const decoded = decodeConfig(abs, files);
  // a file that does not parse is not in the model, but its diagnostics show its lines
  for (const [name, text] of texts) if (!decoded.config.sources.has(name)) decoded.config.sources.set(name, text);
  return { config: decoded.config, diagnostics: sortDiagnostics([...diagnostics, ...decoded.diagnostics]) };
}

/** Rebuilds a configuration from the source texts a saved plan carries. */
export async function loadConfigFromSources(dir: string, sources: Readonly<Record<string, string>>): Promise<{ config: Config; diagnostics: Diagnostic[] }> {
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const name of Object.keys(sources).sort()) {
    const r = await parseSource(name, sources[name]);
    diagnostics.push(...r.diagnostics);
    if (r.file) files.push(r.file);
  }
  const decoded = decodeConfig(resolve(dir), files);
  for (const [name, text] of Object.entries(sources)) if (!decoded.config.sources.has(name)) decoded.config.sources.set(name, text);
  return { config: decoded.config, diagnostics: sortDiagnostics([...diagnostics, ...decoded.diagnostics]) };
}
