/** Loads a JSON Schema of schemas/ (`data-sources/x`, `terraform/provider`) from the source tree or from dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceSchema } from '../resources/resource-type.js';

export function loadJsonSchema(name: string): ResourceSchema {
  // provider/terraform/ → ../../schemas; dist/provider/terraform/ → ../../../schemas
  for (const rel of [`../../schemas/${name}.json`, `../../../schemas/${name}.json`]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return Object.freeze(JSON.parse(readFileSync(path, 'utf8'))) as ResourceSchema;
  }
  throw new Error(`schema ${name} not found under schemas/`);
}
