/**
 * Every resource JSON Schema in schemas/resources/ becomes a valid Terraform block: `id` computed,
 * `required` arguments required, readOnly attributes computed, defaults optional+computed, the
 * resource type's sensitive and optionalComputed lists applied; plus the type mapping rules.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tfBlockFromResourceSchema, ctyTypeOfProperty } from '../../provider/terraform/schema/from-json-schema.js';
import { validateBlock, objectTypeOf, toProtoSchema, RESERVED_NAMES } from '../../provider/terraform/schema/block.js';
import { T, typeJsonText, parseType } from '../../provider/terraform/cty/types.js';
import { encodeMsgpack, decodeMsgpack } from '../../provider/terraform/cty/msgpack.js';
import { resourceType } from '../../provider/resources/registry.js';
import type { JsonSchemaProperty, ResourceSchema } from '../../provider/resources/resource-type.js';

const dir = fileURLToPath(new URL('../../schemas/resources/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

t.test('every schemas/resources file becomes a valid block', async (t) => {
  t.ok(files.length >= 12, `${files.length} schemas`);
  for (const f of files) {
    const schema = JSON.parse(readFileSync(dir + f, 'utf8')) as ResourceSchema;
    const rt = resourceType(schema.title);
    t.ok(rt, `${f}: a registered resource type`);
    const flags = { sensitive: rt?.sensitive ?? [], optionalComputed: rt?.optionalComputed ?? [] };
    const block = tfBlockFromResourceSchema(schema, flags);
    t.same(validateBlock(block, { reserved: RESERVED_NAMES }), [], `${f}: valid`);
    t.same(block.attributes.map((a) => a.name), Object.keys(schema.properties), `${f}: one attribute per property`);
    const byName = new Map(block.attributes.map((a) => [a.name, a]));
    const id = byName.get('id');
    t.ok(id?.computed && !id.required && !id.optional, `${f}: id computed`);
    for (const r of schema.required ?? []) t.ok(byName.get(r)?.required, `${f}: ${r} required`);
    for (const [name, p] of Object.entries(schema.properties)) {
      const a = byName.get(name)!;
      if (p.readOnly) t.ok(a.computed && !a.optional && !a.required, `${f}: ${name} readOnly → computed`);
      else if (!(schema.required ?? []).includes(name)) {
        t.ok(a.optional, `${f}: ${name} optional`);
        t.equal(a.computed === true, p.default !== undefined || flags.optionalComputed.includes(name), `${f}: ${name} computed iff default or optionalComputed`);
      }
      t.equal(a.sensitive === true, flags.sensitive.includes(name), `${f}: ${name} sensitivity`);
      if (typeof p.description === 'string') t.equal(a.description, p.description);
    }
    // The whole block: a proto Schema with parseable type bytes, and a value type that round-trips.
    const proto = toProtoSchema({ version: 0, block });
    for (const a of proto.block.attributes) parseType(a.type);
    const ty = objectTypeOf(block);
    t.same(decodeMsgpack(ty, encodeMsgpack(ty, {})), Object.fromEntries(block.attributes.map((a) => [a.name, null])), `${f}: null object round-trips`);
  }
});

t.test('the mapping of JSON Schema types', async (t) => {
  const cases: [JsonSchemaProperty, string][] = [
    [{ type: 'string' }, '"string"'],
    [{ type: 'integer' }, '"number"'],
    [{ type: 'number' }, '"number"'],
    [{ type: 'boolean' }, '"bool"'],
    [{ type: ['string', 'null'] } as unknown as JsonSchemaProperty, '"string"'],
    [{ type: 'array', items: { type: 'string' } }, '["list","string"]'],
    [{ type: 'array', uniqueItems: true, items: { type: 'integer' } }, '["set","number"]'],
    [{ type: 'array' }, '["list","dynamic"]'],
    [{ type: 'object', additionalProperties: { type: 'string' } }, '["map","string"]'],
    [{ type: 'object', properties: { b: { type: 'boolean' }, a: { type: 'array', items: { type: 'string' } } } }, '["object",{"a":["list","string"],"b":"bool"}]'],
    [{ type: 'object' }, '"dynamic"'],
    [{}, '"dynamic"'],
    [{ oneOf: [{ type: 'string' }, { type: 'integer' }] }, '"dynamic"'],
  ];
  for (const [p, text] of cases) t.equal(typeJsonText(ctyTypeOfProperty(p)), text, JSON.stringify(p));
});

t.test('flags: sensitive, optionalComputed, write-only arguments', async (t) => {
  const schema: ResourceSchema = {
    title: 'dew_x',
    type: 'object',
    description: 'X.',
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name.' },
      password: { type: 'string' },
      mode: { type: 'string' },
      size: { type: 'integer', default: 3 },
      id: { type: 'string', readOnly: true },
    },
  };
  const block = tfBlockFromResourceSchema(schema, { sensitive: ['password'], optionalComputed: ['mode'], writeOnlyArgs: ['password'] });
  t.equal(block.description, 'X.');
  t.same(block.attributes, [
    { name: 'name', type: T.string, description: 'Name.', required: true },
    { name: 'password', type: T.string, optional: true, sensitive: true, write_only: true },
    { name: 'mode', type: T.string, optional: true, computed: true },
    { name: 'size', type: T.number, optional: true, computed: true },
    { name: 'id', type: T.string, computed: true },
  ]);
  t.same(validateBlock(block), []);
});
