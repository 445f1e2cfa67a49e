/** Loads a resource type's JSON Schema from schemas/resources/, from the source tree or from dist/. */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceSchema } from './resource-type.js';

export function loadResourceSchema(type: string): ResourceSchema {
  // provider/resources/ → ../../schemas; dist/provider/resources/ → ../../../schemas
  for (const rel of [`../../schemas/resources/${type}.json`, `../../../schemas/resources/${type}.json`]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return Object.freeze(JSON.parse(readFileSync(path, 'utf8'))) as ResourceSchema;
  }
  throw new Error(`schema for resource type ${type} not found under schemas/resources/`);
}
