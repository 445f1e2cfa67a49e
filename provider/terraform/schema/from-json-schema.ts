/**
 * Terraform blocks from dew's resource JSON Schemas (schemas/resources/<type>.json): each property
 * becomes an attribute whose cty type follows the JSON Schema type, readOnly → computed, `required`
 * → required, other arguments optional (and computed too when they have a default or the daemon
 * fills them in), with the resource type's sensitive and write-only lists applied.
 */
import type { JsonSchemaProperty, ResourceSchema } from '../../resources/resource-type.js';
import { T, type CtyType } from '../cty/types.js';
import type { TfAttribute, TfBlock } from './block.js';

export interface ResourceSchemaFlags {
  /** Attributes Terraform must mask (ResourceType.sensitive). */
  sensitive: readonly string[];
  /** Optional arguments the daemon fills in when unset (ResourceType.optionalComputed). */
  optionalComputed: readonly string[];
  /** Arguments to declare write_only (never stored in state; Terraform ≥ 1.11). */
  writeOnlyArgs?: readonly string[];
}

/** The JSON Schema `type` of a property, `"null"` taken out of a type list. */
function jsonType(p: JsonSchemaProperty): string | undefined {
  const t = p.type as unknown;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const rest = t.filter((x) => x !== 'null');
    return rest.length === 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
  }
  return undefined;
}

/** The cty type of a JSON Schema property: string, number (integer too), bool, set/list, map, object; dynamic otherwise. */
export function ctyTypeOfProperty(p: JsonSchemaProperty): CtyType {
  switch (jsonType(p)) {
    case 'string':
      return T.string;
    case 'integer':
    case 'number':
      return T.number;
    case 'boolean':
      return T.bool;
    case 'array': {
      const element = p.items && typeof p.items === 'object' && !Array.isArray(p.items) ? ctyTypeOfProperty(p.items) : T.dynamic;
      return p.uniqueItems === true ? T.set(element) : T.list(element);
    }
    case 'object': {
      const props = p.properties as Record<string, JsonSchemaProperty> | undefined;
      if (props && typeof props === 'object' && Object.keys(props).length > 0) {
        const attributes: Record<string, CtyType> = {};
        for (const [k, sub] of Object.entries(props)) attributes[k] = ctyTypeOfProperty(sub);
        return T.object(attributes);
      }
      const ap = p.additionalProperties;
      if (ap && typeof ap === 'object') return T.map(ctyTypeOfProperty(ap));
      if (ap === true) return T.map(T.dynamic);
      return T.dynamic;
    }
    default:
      return T.dynamic;
  }
}

/** The Terraform block of a resource JSON Schema; attributes in the schema's declaration order. */
export function tfBlockFromResourceSchema(schema: ResourceSchema, flags: ResourceSchemaFlags): TfBlock {
  const required = new Set(schema.required ?? []);
  const sensitive = new Set(flags.sensitive);
  const optionalComputed = new Set(flags.optionalComputed);
  const writeOnly = new Set(flags.writeOnlyArgs ?? []);
  const attributes: TfAttribute[] = Object.entries(schema.properties).map(([name, p]) => {
    const a: TfAttribute = { name, type: ctyTypeOfProperty(p) };
    if (typeof p.description === 'string' && p.description !== '') a.description = p.description;
    if (p.readOnly === true) a.computed = true;
    else if (required.has(name)) a.required = true;
    else {
      a.optional = true;
      if ((p.default !== undefined || optionalComputed.has(name)) && !writeOnly.has(name)) a.computed = true;
    }
    if (sensitive.has(name)) a.sensitive = true;
    if (writeOnly.has(name) && p.readOnly !== true) a.write_only = true;
    return a;
  });
  const block: TfBlock = { attributes };
  const description = schema['description'];
  if (typeof description === 'string' && description !== '') block.description = description;
  return block;
}
