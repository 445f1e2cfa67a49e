/**
 * Terraform schema objects: toProtoSchema encoded by proto-loader (the fixed options, a Schema message
 * written here from tfplugin6.8's field list) and read back intact; objectTypeOf; validateBlock.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { toProtoSchema, objectTypeOf, validateBlock, RESERVED_NAMES, type TfSchema } from '../../provider/terraform/schema/block.js';
import { T, typeJsonText } from '../../provider/terraform/cty/types.js';
import { encodeMsgpack, decodeMsgpack } from '../../provider/terraform/cty/msgpack.js';

const PROTO = `syntax = "proto3";
package tfplugin6;
enum StringKind { PLAIN = 0; MARKDOWN = 1; }
message Schema {
  message Block {
    int64 version = 1; repeated Attribute attributes = 2; repeated NestedBlock block_types = 3;
    string description = 4; StringKind description_kind = 5; bool deprecated = 6;
  }
  message Attribute {
    string name = 1; bytes type = 2; Object nested_type = 10; string description = 3; bool required = 4;
    bool optional = 5; bool computed = 6; bool sensitive = 7; StringKind description_kind = 8; bool deprecated = 9; bool write_only = 11;
  }
  message NestedBlock {
    enum NestingMode { INVALID = 0; SINGLE = 1; LIST = 2; SET = 3; MAP = 4; GROUP = 5; }
    string type_name = 1; Block block = 2; NestingMode nesting = 3; int64 min_items = 4; int64 max_items = 5;
  }
  message Object {
    enum NestingMode { INVALID = 0; SINGLE = 1; LIST = 2; SET = 3; MAP = 4; }
    repeated Attribute attributes = 1; NestingMode nesting = 3;
  }
  int64 version = 1;
  Block block = 2;
}
message Empty {}
service Probe { rpc Get(Empty) returns (Schema); }
`;

const schema: TfSchema = {
  version: 2,
  block: {
    description: 'A thing.',
    attributes: [
      { name: 'name', type: T.string, required: true, description: 'Its name.' },
      { name: 'id', type: T.string, computed: true },
      { name: 'tags', type: T.map(T.string), optional: true },
      { name: 'secret', type: T.string, optional: true, sensitive: true, write_only: true },
      { name: 'enabled', type: T.bool, optional: true, computed: true },
    ],
    block_types: [
      { type_name: 'rule', nesting: 'LIST', min_items: 1, block: { attributes: [{ name: 'port', type: T.number, required: true }] } },
      { type_name: 'options', nesting: 'SINGLE', block: { attributes: [{ name: 'mode', type: T.string, optional: true }] } },
    ],
  },
};

t.test('toProtoSchema: sorted attributes, type bytes, PLAIN descriptions; proto-loader encodes it intact', async (t) => {
  const p = toProtoSchema(schema);
  t.equal(p.version, 2);
  t.same(p.block.attributes.map((a) => a.name), ['enabled', 'id', 'name', 'secret', 'tags']);
  t.same(p.block.block_types.map((b) => b.type_name), ['options', 'rule']);
  const name = p.block.attributes.find((a) => a.name === 'name')!;
  t.ok(Buffer.isBuffer(name.type));
  t.equal(name.type.toString(), '"string"');
  t.equal(p.block.attributes.find((a) => a.name === 'tags')!.type.toString(), '["map","string"]');
  t.same({ ...name, type: undefined }, { name: 'name', type: undefined, description: 'Its name.', required: true, optional: false, computed: false, sensitive: false, description_kind: 'PLAIN', deprecated: false, write_only: false });
  t.equal(p.block.description_kind, 'PLAIN');

  const dir = mkdtempSync(join(tmpdir(), 'dew-schema-proto-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'schema.proto'), PROTO);
  const def = protoLoader.loadSync(join(dir, 'schema.proto'), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const get = (def['tfplugin6.Probe'] as protoLoader.ServiceDefinition).Get;
  const bytes = get.responseSerialize(p);
  t.ok(bytes.length > 100);
  const back = get.responseDeserialize(bytes) as Record<string, unknown>;
  // Every field we produce exists in the message (an unknown name would vanish in the round trip).
  const strip = (o: unknown): unknown => {
    if (Buffer.isBuffer(o)) return o.toString('hex');
    if (Array.isArray(o)) return o.map(strip);
    if (o && typeof o === 'object') {
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) if (k !== 'nested_type') r[k] = strip(v);
      return r;
    }
    return o;
  };
  t.same(strip(back), strip(p));
  t.equal(((back.block as { block_types: { nesting: string }[] }).block_types[1]).nesting, 'LIST');
});

t.test('objectTypeOf: attributes and nested blocks by nesting mode', async (t) => {
  const ty = objectTypeOf({
    attributes: [{ name: 'a', type: T.string, optional: true }],
    block_types: [
      { type_name: 'l', nesting: 'LIST', block: { attributes: [{ name: 'x', type: T.number, required: true }] } },
      { type_name: 's', nesting: 'SET', block: { attributes: [] } },
      { type_name: 'm', nesting: 'MAP', block: { attributes: [] } },
      { type_name: 'one', nesting: 'SINGLE', block: { attributes: [] } },
      { type_name: 'g', nesting: 'GROUP', block: { attributes: [] } },
    ],
  });
  t.equal(typeJsonText(ty), '["object",{"a":"string","g":["object",{}],"l":["list",["object",{"x":"number"}]],"m":["map",["object",{}]],"one":["object",{}],"s":["set",["object",{}]]}]');
  const st = objectTypeOf(schema.block);
  const v = decodeMsgpack(st, encodeMsgpack(st, { name: 'n', rule: [{ port: 22 }] }));
  t.same(v, { name: 'n', id: null, tags: null, secret: null, enabled: null, rule: [{ port: 22 }], options: null });
});

t.test('validateBlock: what Terraform would refuse', async (t) => {
  t.same(validateBlock(schema.block), []);
  const bad = validateBlock({
    attributes: [
      { name: 'Bad-Name', type: T.string, optional: true },
      { name: 'dup', type: T.string, optional: true },
      { name: 'dup', type: T.string, optional: true },
      { name: 'nothing', type: T.string },
      { name: 'both', type: T.string, required: true, computed: true },
      { name: 'wo', type: T.string, optional: true, computed: true, write_only: true },
      { name: 'count', type: T.number, optional: true },
    ],
    block_types: [{ type_name: 'one', nesting: 'SINGLE', max_items: 2, block: { attributes: [{ name: 'x', type: T.string }] } }],
  }, { reserved: RESERVED_NAMES });
  t.equal(bad.length, 8, bad.join('\n'));
  t.match(bad.join('\n'), /"Bad-Name": name may contain only/);
  t.match(bad.join('\n'), /"dup": name defined more than once/);
  t.match(bad.join('\n'), /"nothing": must set required, optional or computed/);
  t.match(bad.join('\n'), /"both": required cannot be optional or computed/);
  t.match(bad.join('\n'), /"wo": write_only cannot be computed/);
  t.match(bad.join('\n'), /"count": name is reserved/);
  t.match(bad.join('\n'), /block type "one": SINGLE nesting takes at most one block/);
  t.match(bad.join('\n'), /block type "one": attribute "x": must set/);
});
