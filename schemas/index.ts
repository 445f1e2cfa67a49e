/** Loads the JSON Schemas in this folder: the one source of truth shared by the daemon and the provider. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export type JsonSchema = Record<string, unknown> & { $id?: string; properties?: Record<string, JsonSchema> };

/** The schemas folder in the sources, whether this file runs from the sources or from dist/. */
export function schemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'schemas');
    dir = dirname(dir);
  }
  throw new Error('schemas: cannot find the package root');
}

/** Every schema under `sub` (e.g. "kms"), keyed by its `$id`. */
export function loadSchemas(sub: string): Map<string, JsonSchema> {
  const dir = join(schemasDir(), sub);
  const out = new Map<string, JsonSchema>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json')) continue;
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as JsonSchema;
    out.set(schema.$id ?? `${sub}/${file.slice(0, -5)}`, schema);
  }
  return out;
}
