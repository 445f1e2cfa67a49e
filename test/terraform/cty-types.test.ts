/** cty types: the exact JSON bytes of Schema.Attribute.type, parsing them back, refusals. */
import t from 'tap';
import { T, parseType, typeJson, typeEquals, friendlyTypeName, type CtyType } from '../../provider/terraform/cty/types.js';
import { CtyError } from '../../provider/terraform/cty/errors.js';

const cases: [CtyType, string][] = [
  [T.string, '"string"'],
  [T.number, '"number"'],
  [T.bool, '"bool"'],
  [T.dynamic, '"dynamic"'],
  [T.list(T.string), '["list","string"]'],
  [T.set(T.number), '["set","number"]'],
  [T.map(T.list(T.bool)), '["map",["list","bool"]]'],
  [T.object({ b: T.number, a: T.string }), '["object",{"a":"string","b":"number"}]'],
  [T.object({}), '["object",{}]'],
  [T.tuple([T.string, T.number]), '["tuple",["string","number"]]'],
  [T.tuple([]), '["tuple",[]]'],
  [T.object({ z: T.string, a: T.number }, ['z', 'a']), '["object",{"a":"number","z":"string"},["a","z"]]'],
  [T.list(T.object({ x: T.set(T.dynamic) })), '["list",["object",{"x":["set","dynamic"]}]]'],
];

t.test('typeJson gives the exact bytes Terraform expects', async (t) => {
  for (const [type, text] of cases) {
    const bytes = typeJson(type);
    t.ok(Buffer.isBuffer(bytes), `${text} is a Buffer`);
    t.equal(bytes.toString('utf8'), text);
  }
  // The pitfall that crashes Terraform: the quotes are part of the bytes.
  t.same([...typeJson(T.string)], [0x22, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x22]);
});

t.test('parseType reads bytes, JSON text and parsed values back', async (t) => {
  for (const [type, text] of cases) {
    t.ok(typeEquals(parseType(Buffer.from(text)), type), `bytes ${text}`);
    t.ok(typeEquals(parseType(text), type), `text ${text}`);
    t.ok(typeEquals(parseType(JSON.parse(text)), type), `value ${text}`);
  }
  t.same(parseType('string'), { kind: 'string' });
  t.same(parseType(new Uint8Array(Buffer.from(' ["map" , "number"] '))), { kind: 'map', element: { kind: 'number' } });
  t.same(parseType('["object",{"a":"string"},["a"]]'), { kind: 'object', attributes: { a: { kind: 'string' } }, optional: ['a'] });
});

t.test('parseType refuses what is not a type', async (t) => {
  for (const bad of ['strin', '"str"', '["list"]', '["list","string","x"]', '["bag","string"]', '["object",[]]', '["tuple","string"]', '["object",{"a":"string"},["b"]]', '[', 42, null, Buffer.from('string')]) {
    t.throws(() => parseType(bad), CtyError, `refuses ${JSON.stringify(bad instanceof Buffer ? bad.toString() : bad)}`);
  }
});

t.test('typeEquals and names', async (t) => {
  t.ok(typeEquals(T.object({ a: T.string, b: T.bool }), T.object({ b: T.bool, a: T.string })));
  t.notOk(typeEquals(T.list(T.string), T.set(T.string)));
  t.notOk(typeEquals(T.object({ a: T.string }), T.object({ a: T.string }, ['a'])));
  t.equal(friendlyTypeName(T.map(T.list(T.number))), 'map of list of number');
  t.equal(friendlyTypeName(T.object({})), 'object');
});
