/**
 * The msgpack codec: byte vectors re-derived from Terraform's object-wire-format.md and cty's msgpack
 * rules, the unknowns Terraform 1.11 sends, round trips, big numbers and the refusal paths.
 */
import t from 'tap';
import { decodeMsgpack, encodeMsgpack, parseRefinements, refinementPayload } from '../../provider/terraform/cty/msgpack.js';
import { thrown } from './cty-thrown.js';
import { T, type CtyType } from '../../provider/terraform/cty/types.js';
import { BigNum, Dynamic, UNKNOWN, Unknown, isUnknown, isWhollyKnown, type CtyValue } from '../../provider/terraform/cty/values.js';
import { attr, index, key } from '../../provider/terraform/cty/path.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const str = (s: string) => Buffer.from(s, 'utf8').toString('hex');

// [type, value, exact bytes both ways]
const vectors: [string, CtyType, CtyValue, string][] = [
  ['string', T.string, 'hello', 'a5' + str('hello')],
  ['empty string', T.string, '', 'a0'],
  ['utf-8 string', T.string, 'é', 'a2 c3a9'],
  ['null string', T.string, null, 'c0'],
  ['true', T.bool, true, 'c3'],
  ['false', T.bool, false, 'c2'],
  ['small int', T.number, 1, '01'],
  ['negative int', T.number, -1, 'ff'],
  ['uint16', T.number, 1000, 'cd 03e8'],
  ['int32', T.number, -100000, 'd2 fffe7960'],
  ['float', T.number, 1.5, 'cb 3ff8000000000000'],
  ['2^63 as float (exact)', T.number, 9223372036854775808, 'cb 43e0000000000000'],
  ['decimal string beyond int64', T.number, new BigNum('9223372036854775809'), 'b3' + str('9223372036854775809')],
  ['fraction as decimal string', T.number, new BigNum('0.8'), 'a3' + str('0.8')],
  ['list', T.list(T.string), ['hello'], '91 a5' + str('hello')],
  ['empty list', T.list(T.string), [], '90'],
  ['list with null', T.list(T.string), [null], '91 c0'],
  ['set', T.set(T.number), [1, 2], '92 01 02'],
  ['map', T.map(T.string), { greeting: 'hello' }, '81 a8' + str('greeting') + 'a5' + str('hello')],
  ['empty map', T.map(T.string), {}, '80'],
  ['tuple', T.tuple([T.string, T.bool]), ['a', true], '92 a161 c3'],
  ['object (keys sorted, null explicit)', T.object({ b: T.string, a: T.string }), { a: null, b: 'x' }, '82 a161 c0 a162 a178'],
  ['dynamic string', T.dynamic, new Dynamic(T.string, 'hello'), '92 c408' + str('"string"') + 'a5' + str('hello')],
  ['dynamic list', T.dynamic, new Dynamic(T.list(T.number), [1]), '92 c411' + str('["list","number"]') + '91 01'],
  ['dynamic null', T.dynamic, null, 'c0'],
  ['dynamic typed null', T.dynamic, new Dynamic(T.string, null), '92 c408' + str('"string"') + 'c0'],
  ['unknown', T.string, UNKNOWN, 'd4 0000'],
  ['unknown dynamic', T.dynamic, UNKNOWN, 'd4 0000'],
];

t.test('byte vectors: decode and encode', async (t) => {
  for (const [name, type, value, bytes] of vectors) {
    const b = hex(bytes);
    const got = decodeMsgpack(type, b);
    if (value instanceof Unknown) t.ok(isUnknown(got), `${name} decodes as unknown`);
    else t.same(got, value, `${name} decodes`);
    t.equal(encodeMsgpack(type, value).toString('hex'), b.toString('hex'), `${name} encodes`);
  }
});

t.test('numbers: other encodings Terraform may choose decode to the same value', async (t) => {
  t.equal(decodeMsgpack(T.number, hex('cb 3ff0000000000000')), 1, 'float 1.0');
  t.equal(encodeMsgpack(T.number, 1).toString('hex'), '01', '1 goes out as int');
  t.equal(decodeMsgpack(T.number, hex('ca 3fc00000')), 1.5, 'float32');
  t.equal(decodeMsgpack(T.number, hex('a2' + str('42'))), 42, 'decimal string of a safe integer');
  t.equal(decodeMsgpack(T.number, hex('d3 0000000000000005')), 5, 'int64 holding a small value');
  t.equal(decodeMsgpack(T.number, hex('cf 0000000000000005')), 5, 'uint64 holding a small value');
  t.equal(decodeMsgpack(T.number, hex('cf 001fffffffffffff')), 9007199254740991, '2^53-1 stays a number');
});

t.test('big numbers survive: int64/uint64 beyond 2^53 become BigNum, encoded as decimal strings', async (t) => {
  const max = decodeMsgpack(T.number, hex('d3 7fffffffffffffff'));
  t.ok(max instanceof BigNum);
  t.equal((max as BigNum).text, '9223372036854775807');
  t.equal((decodeMsgpack(T.number, hex('cf 7fffffffffffffff')) as BigNum).text, '9223372036854775807', 'as uint64 too');
  t.equal((decodeMsgpack(T.number, hex('d3 8000000000000000')) as BigNum).text, '-9223372036854775808');
  t.equal((decodeMsgpack(T.number, hex('cf ffffffffffffffff')) as BigNum).text, '18446744073709551615');
  t.equal((decodeMsgpack(T.number, hex('cf 0020000000000001')) as BigNum).text, '9007199254740993', '2^53+1');
  const big = '9'.repeat(100);
  const dec = decodeMsgpack(T.number, hex('d9 64' + str(big)));
  t.equal((dec as BigNum).text, big, 'a 100-digit decimal string');
  t.equal(encodeMsgpack(T.number, dec).toString('hex'), hex('d9 64' + str(big)).toString('hex'));
  t.equal(encodeMsgpack(T.number, max).toString('hex'), 'b3' + str('9223372036854775807'));
  t.equal(encodeMsgpack(T.number, 2 ** 60).toString('hex'), 'cb43b0000000000000', 'an unsafe integral JS number goes out as float');
  t.equal(encodeMsgpack(T.number, Infinity).toString('hex'), 'cb7ff0000000000000', 'infinity as float');
});

t.test('unknowns: every extension is an Unknown and passes through unchanged', async (t) => {
  const seen = [
    'd4 0000', // code 0, the classic unknown
    'c7 03 0c 81 01 c2', // TF 1.11: refined, not null
    'c7 0e 0c 82 01 c2 02 a9' + str('child-of-'), // not null, prefix "child-of-"
    'd4 05 00', // another code: still unknown
    'd6 ff 00000000', // the timestamp code (-1): still unknown
    'c7 00 0c', // empty ext8
    'c8 0003 0c 81 01 c2', // long form header
  ];
  for (const h of seen) {
    const b = hex(h);
    const v = decodeMsgpack(T.string, b);
    t.ok(v instanceof Unknown, `${h} is unknown`);
    t.ok((v as Unknown).raw, `${h} keeps raw`);
    const back = encodeMsgpack(T.string, v).toString('hex');
    if (h.startsWith('c8')) t.equal(back, 'c7030c8101c2', 'a long header comes back in its shortest form');
    else t.equal(back, b.toString('hex'), `${h} passes through`);
  }
  const refined = decodeMsgpack(T.string, hex('c7 0e 0c 82 01 c2 02 a9' + str('child-of-'))) as Unknown;
  t.same(refined.refinements, { notNull: true, stringPrefix: 'child-of-' });
  t.same((decodeMsgpack(T.string, hex('c7 03 0c 81 01 c2')) as Unknown).refinements, { notNull: true });
  t.equal((decodeMsgpack(T.string, hex('d4 0000')) as Unknown).refinements, undefined);
  // In an object: the config's refined unknown goes back exactly as it came.
  const ty = T.object({ id: T.string, name: T.string });
  const cfg = hex('82 a2' + str('id') + 'c0 a4' + str('name') + 'c7 03 0c 81 01 c2');
  const v = decodeMsgpack(ty, cfg) as Record<string, CtyValue>;
  t.equal(v.id, null);
  t.ok(isUnknown(v.name));
  t.notOk(isWhollyKnown(v));
  t.equal(encodeMsgpack(ty, { ...v, id: UNKNOWN }).toString('hex'), hex('82 a2' + str('id') + 'd40000 a4' + str('name') + 'c7 03 0c 81 01 c2').toString('hex'));
});

t.test('refinements: number and length bounds, unknown keys ignored, encoding without raw', async (t) => {
  t.same(parseRefinements(hex('82 03 92 00 c3 04 92 cb4024000000000000 c2')), {
    numberLower: { value: 0, inclusive: true },
    numberUpper: { value: 10, inclusive: false },
  });
  t.same(parseRefinements(hex('82 05 01 06 02')), { lengthLower: 1, lengthUpper: 2 });
  t.same(parseRefinements(hex('82 01 c2 63 c3')), { notNull: true }, 'key 99 ignored');
  t.equal(parseRefinements(hex('ff')), undefined, 'not a map');
  t.same((decodeMsgpack(T.list(T.string), hex('c7 05 0c 82 05 01 06 02')) as Unknown).refinements, { lengthLower: 1, lengthUpper: 2 });
  t.equal(encodeMsgpack(T.string, new Unknown({ refinements: { notNull: true } })).toString('hex'), 'c7030c8101c2');
  t.equal(encodeMsgpack(T.string, new Unknown({ refinements: { notNull: true, stringPrefix: 'ab' } })).toString('hex'), 'c7070c8201c202a26162');
  t.equal(encodeMsgpack(T.number, new Unknown({ refinements: { numberLower: { value: 0, inclusive: true } } })).toString('hex'), 'c7050c81039200c3');
  t.equal(encodeMsgpack(T.number, new Unknown({ refinements: { numberUpper: { value: new BigNum('0.5'), inclusive: false } } })).toString('hex'), 'd70c810492a3' + str('0.5') + 'c2', 'an 8-byte payload takes fixext8');
  t.equal(encodeMsgpack(T.string, new Unknown({ refinements: {} })).toString('hex'), 'd40000', 'no refinements: code 0');
  t.equal(refinementPayload({ stringPrefix: '' }), null, 'an empty prefix is no refinement');
});

const keyType = T.object({
  id: T.string,
  key_alias: T.string,
  is_enabled: T.bool,
  rotation_interval: T.number,
  tags: T.map(T.string),
  roles: T.set(T.string),
  rules: T.list(T.object({ name: T.string, weight: T.number })),
  extra: T.dynamic,
});

t.test('round trips of a resource-like object', async (t) => {
  const values: CtyValue[] = [
    { id: 'k-1', key_alias: 'a', is_enabled: true, rotation_interval: 365, tags: { env: 'prod', '': 'empty key' }, roles: ['x', 'y'], rules: [{ name: 'r', weight: 0.25 }], extra: new Dynamic(T.object({ n: T.number }), { n: new BigNum('123456789012345678901234567890') }) },
    { id: null, key_alias: 'a', is_enabled: null, rotation_interval: null, tags: null, roles: [], rules: [], extra: null },
    { id: UNKNOWN, key_alias: UNKNOWN, is_enabled: UNKNOWN, rotation_interval: UNKNOWN, tags: UNKNOWN, roles: UNKNOWN, rules: UNKNOWN, extra: UNKNOWN },
    { id: 'x', key_alias: 'b', is_enabled: false, rotation_interval: -7, tags: { a: UNKNOWN }, roles: [UNKNOWN], rules: [{ name: UNKNOWN, weight: 1 }], extra: new Dynamic(T.string, UNKNOWN) },
  ];
  for (const v of values) {
    const once = encodeMsgpack(keyType, v);
    const back = decodeMsgpack(keyType, once);
    t.equal(encodeMsgpack(keyType, back).toString('hex'), once.toString('hex'), 'stable bytes');
    t.same(JSON.parse(JSON.stringify(back, (_k, x) => (x instanceof Unknown ? '<unknown>' : x))), JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Unknown ? '<unknown>' : x))), 'same value');
  }
  // A map key "__proto__" encodes, but @msgpack/msgpack refuses to decode it: a CtyError, not a polluted prototype.
  const proto = encodeMsgpack(T.map(T.string), JSON.parse('{"__proto__":"x"}'));
  t.equal(proto.toString('hex'), '81a9' + str('__proto__') + 'a178');
  t.match(thrown(() => decodeMsgpack(T.map(T.string), proto)).message, /__proto__/);
});

t.test('encoding fills missing attributes with null and infers dynamic types', async (t) => {
  t.same(decodeMsgpack(keyType, encodeMsgpack(keyType, { key_alias: 'only' })), {
    id: null, key_alias: 'only', is_enabled: null, rotation_interval: null, tags: null, roles: null, rules: null, extra: null,
  });
  const d = decodeMsgpack(T.dynamic, encodeMsgpack(T.dynamic, { a: [1, 'x'], b: true }));
  t.ok(d instanceof Dynamic);
  t.equal(JSON.stringify((d as Dynamic).type), JSON.stringify(T.object({ a: T.tuple([T.number, T.string]), b: T.bool })));
  t.same((d as Dynamic).value, { a: [1, 'x'], b: true });
});

t.test('encoding refuses values not of the type, with the path', async (t) => {
  let e = thrown(() => encodeMsgpack(keyType, { key_alias: 'a', colour: 'red' }));
  t.same(e.path, [attr('colour')]);
  t.match(e.message, /colour: unsupported attribute/);
  e = thrown(() => encodeMsgpack(keyType, { key_alias: 7 }));
  t.same(e.path, [attr('key_alias')]);
  t.match(e.detail, /string is required/);
  e = thrown(() => encodeMsgpack(keyType, { tags: { env: 1 } }));
  t.same(e.path, [attr('tags'), key('env')]);
  t.equal(e.message, 'tags["env"]: string is required (got a number)');
  e = thrown(() => encodeMsgpack(keyType, { rules: [{ name: 'a', weight: 1 }, { name: 'b', weight: '2' }] }));
  t.same(e.path, [attr('rules'), index(1), attr('weight')]);
  e = thrown(() => encodeMsgpack(keyType, { rules: [{ name: 'a', weight: 1, x: 1 }] }));
  t.same(e.path, [attr('rules'), index(0), attr('x')]);
  e = thrown(() => encodeMsgpack(keyType, { roles: 'x' }));
  t.same(e.path, [attr('roles')]);
  e = thrown(() => encodeMsgpack(keyType, { is_enabled: 'true' }));
  t.match(e.detail, /bool is required/);
  e = thrown(() => encodeMsgpack(keyType, [] as CtyValue));
  t.same(e.path, []);
  thrown(() => encodeMsgpack(T.number, NaN));
  thrown(() => encodeMsgpack(T.tuple([T.string]), ['a', 'b']));
  thrown(() => encodeMsgpack(T.string, new Dynamic(T.string, 'a')));
  thrown(() => encodeMsgpack(T.list(T.string), [undefined as unknown as CtyValue]));
});

t.test('decoding refuses bytes not of the type, with the path', async (t) => {
  const ty = T.object({ a: T.string, b: T.number });
  let e = thrown(() => decodeMsgpack(ty, hex('81 a161 a178')));
  t.equal(e.detail, 'an object with 2 attributes is required (1 given)');
  e = thrown(() => decodeMsgpack(ty, hex('82 a161 a178 a163 01')));
  t.same(e.path, [attr('c')]);
  t.equal(e.detail, 'unsupported attribute');
  e = thrown(() => decodeMsgpack(ty, hex('82 a161 01 a162 01')));
  t.same(e.path, [attr('a')]);
  t.equal(e.detail, 'string is required');
  e = thrown(() => decodeMsgpack(T.map(T.list(T.number)), hex('81 a16b 91 a178')));
  t.same(e.path, [key('k'), index(0)]);
  t.equal(e.detail, 'number is required');
  e = thrown(() => decodeMsgpack(T.map(T.string), hex('81 01 a178')));
  t.match(e.message, /keys must be strings/);
  thrown(() => decodeMsgpack(T.string, hex('a5 6865')));
  thrown(() => decodeMsgpack(T.string, hex('a161 00')));
  thrown(() => decodeMsgpack(T.number, hex('a3' + str('abc'))));
  thrown(() => decodeMsgpack(T.bool, hex('01')));
  thrown(() => decodeMsgpack(T.tuple([T.string]), hex('92 a161 a162')));
  thrown(() => decodeMsgpack(T.dynamic, hex('92 a8' + str('"string"') + 'a161')));
  thrown(() => decodeMsgpack(T.dynamic, hex('93 c408' + str('"string"') + 'a161 c0')));
  thrown(() => decodeMsgpack(T.dynamic, hex('92 c404' + str('"sx"') + 'a161')));
  thrown(() => decodeMsgpack(T.list(T.string), hex('81 a161 a161')));
  // An empty map stands for the object with every attribute null.
  t.same(decodeMsgpack(ty, hex('80')), { a: null, b: null });
});

t.test('isWhollyKnown', async (t) => {
  t.ok(isWhollyKnown({ a: [1, { b: 'x' }], c: null, d: new BigNum('1.5') }));
  t.notOk(isWhollyKnown({ a: [1, { b: UNKNOWN }] }));
  t.notOk(isWhollyKnown(new Dynamic(T.string, UNKNOWN)));
  t.ok(isWhollyKnown(null));
});
