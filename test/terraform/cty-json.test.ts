/** The JSON fallback: DynamicValue json, UpgradeResourceState raw_state.json, encodeJson; DynamicValue helpers; paths. */
import t from 'tap';
import { decodeJson, encodeJson } from '../../provider/terraform/cty/json.js';
import { decodeDynamicValue, encodeDynamicValue } from '../../provider/terraform/cty/dynamic-value.js';
import { encodeMsgpack } from '../../provider/terraform/cty/msgpack.js';
import { CtyError } from '../../provider/terraform/cty/errors.js';
import { thrown } from './cty-thrown.js';
import { T } from '../../provider/terraform/cty/types.js';
import { BigNum, Dynamic, UNKNOWN } from '../../provider/terraform/cty/values.js';
import { attr, attributePath, index, key, pathString } from '../../provider/terraform/cty/path.js';

const ty = T.object({ id: T.string, name: T.string, port: T.number, enabled: T.bool, tags: T.map(T.string), roles: T.set(T.string) });

t.test('raw_state.json: attributes the type lacks are dropped, missing ones null', async (t) => {
  const raw = Buffer.from('{"id":"h-1","name":"web","port":22,"removed_in_v2":"x","tags":{"a":"b"}}');
  t.same(decodeJson(ty, raw), { id: 'h-1', name: 'web', port: 22, enabled: null, tags: { a: 'b' }, roles: null });
  t.same(decodeJson(ty, '{}'), { id: null, name: null, port: null, enabled: null, tags: null, roles: null });
  t.equal(decodeJson(ty, 'null'), null);
});

t.test('JSON numbers keep their precision', async (t) => {
  t.equal(decodeJson(T.number, '42'), 42);
  t.equal(decodeJson(T.number, '-0'), 0);
  t.equal((decodeJson(T.number, '9223372036854775807') as BigNum).text, '9223372036854775807');
  t.equal((decodeJson(T.number, '0.1') as BigNum).text, '0.1');
  t.equal((decodeJson(T.number, '1e400') as BigNum).text, '1e400');
  t.equal(encodeJson(T.number, new BigNum('123456789012345678901234567890.5')).toString(), '123456789012345678901234567890.5');
  t.equal(encodeJson(T.list(T.number), [1, 1.5, new BigNum('9007199254740993')]).toString(), '[1,1.5,9007199254740993]');
});

t.test("cty's primitive conversions from older states", async (t) => {
  t.equal(decodeJson(T.string, '12'), '12');
  t.equal(decodeJson(T.string, 'true'), 'true');
  t.equal(decodeJson(T.number, '"12"'), 12);
  t.equal(decodeJson(T.bool, '"false"'), false);
  thrown(() => decodeJson(T.number, '"twelve"'));
  thrown(() => decodeJson(T.bool, '"yes"'));
  thrown(() => decodeJson(T.string, '[]'));
});

t.test('dynamic and strings in JSON', async (t) => {
  const d = decodeJson(T.dynamic, '{"value":["a",1],"type":["tuple",["string","number"]]}');
  t.ok(d instanceof Dynamic);
  t.same((d as Dynamic).value, ['a', 1]);
  t.equal(encodeJson(T.dynamic, new Dynamic(T.list(T.string), ['x'])).toString(), '{"type":["list","string"],"value":["x"]}');
  t.equal(encodeJson(T.dynamic, { a: 1 }).toString(), '{"type":["object",{"a":"number"}],"value":{"a":1}}');
  t.equal(decodeJson(T.string, '"tab\\there \\u00e9 \\ud83d\\ude00 \\"q\\" \\\\"'), 'tab\there é 😀 "q" \\');
  const m = decodeJson(T.map(T.string), '{"__proto__":"x","b":"y"}') as Record<string, unknown>;
  t.same(Object.keys(m), ['__proto__', 'b'], '__proto__ is an ordinary key');
  t.equal(Object.getPrototypeOf(m), Object.prototype);
  thrown(() => decodeJson(T.dynamic, '{"type":"string"}'));
  thrown(() => decodeJson(T.dynamic, '{"type":"strin","value":"a"}'));
  thrown(() => decodeJson(T.dynamic, '"a"'));
});

t.test('JSON refusals carry the path', async (t) => {
  let e = thrown(() => decodeJson(ty, '{"tags":{"a":1,"b":[]}}'));
  t.same(e.path, [attr('tags'), key('b')]);
  e = thrown(() => decodeJson(T.list(T.object({ n: T.number })), '[{"n":1},{"n":true}]'));
  t.same(e.path, [index(1), attr('n')]);
  for (const bad of ['', '{', '{"a":}', '[1,]', '01', '1.', '{"a":1}x', "{'a':1}", '"\u0001"', '"\\x"', 'nul']) {
    t.match(thrown(() => decodeJson(T.dynamic, bad)).message, /invalid JSON/, `refuses ${JSON.stringify(bad)}`);
  }
  thrown(() => encodeJson(T.string, UNKNOWN));
  thrown(() => encodeJson(T.number, Infinity));
  t.same(thrown(() => encodeJson(ty, { nope: 1 })).path, [attr('nope')]);
  thrown(() => decodeJson(T.tuple([T.string]), '["a","b"]'));
});

t.test('encodeJson round trips through decodeJson', async (t) => {
  const v = { id: 'x', name: null, port: 22, enabled: true, tags: { z: '1', a: '2' }, roles: ['r'] };
  const text = encodeJson(ty, v).toString();
  t.equal(text, '{"enabled":true,"id":"x","name":null,"port":22,"roles":["r"],"tags":{"a":"2","z":"1"}}');
  t.same(decodeJson(ty, text), v);
});

t.test('DynamicValue: msgpack first, then json, else null; answers msgpack', async (t) => {
  const v = { id: 'x', name: 'n', port: 1, enabled: false, tags: {}, roles: [] };
  const mp = encodeMsgpack(ty, v);
  t.same(decodeDynamicValue(ty, { msgpack: mp, json: Buffer.from('{"id":"ignored"}') }), v);
  t.same(decodeDynamicValue(ty, { msgpack: Buffer.alloc(0), json: Buffer.from('{"id":"j"}') }), { id: 'j', name: null, port: null, enabled: null, tags: null, roles: null });
  t.equal(decodeDynamicValue(ty, { msgpack: Buffer.alloc(0), json: Buffer.alloc(0) }), null, 'proto-loader defaults: empty buffers');
  t.equal(decodeDynamicValue(ty, null), null);
  t.equal(decodeDynamicValue(ty, {}), null);
  const out = encodeDynamicValue(ty, v);
  t.same(Object.keys(out), ['msgpack']);
  t.equal(out.msgpack.toString('hex'), mp.toString('hex'));
});

t.test('attribute paths', async (t) => {
  t.same(attributePath('tags', key('env')), { steps: [{ attribute_name: 'tags' }, { element_key_string: 'env' }] });
  t.same(attributePath('rules', 0, 'name'), { steps: [{ attribute_name: 'rules' }, { element_key_int: 0 }, { attribute_name: 'name' }] });
  t.same(attributePath(), { steps: [] });
  t.equal(pathString([attr('rules'), index(2), attr('name'), key('a"b')]), 'rules[2].name["a\\"b"]');
  t.equal(pathString([]), '');
  const e = new CtyError('bad', [attr('a')]);
  t.equal(e.message, 'a: bad');
  t.equal(e.name, 'CtyError');
});
