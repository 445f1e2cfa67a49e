/** The HCL expression parser and evaluator: templates, references, operators, functions, unknown and sensitive marks. */
import t from 'tap';
import { parseTemplate, parseExpression, referencesOf } from '../../provider/config/expression-parser.js';
import { evaluate } from '../../provider/config/evaluate.js';
import { Sensitive, UNKNOWN, isSensitive, isUnknown, type Value } from '../../provider/config/values.js';

const scope: Record<string, Value> = {
  var: { env: 'prod', n: 3, secret: new Sensitive('s3cr3t'), tags: { a: '1' } },
  local: { names: ['x', 'y'] },
  dew_kms_key: { app: { key_id: 'k-1', id: 'k-1' }, many: { a: { key_id: 'ka' } }, list: [{ key_id: 'k0' }], fresh: { key_id: UNKNOWN } },
  count: { index: 2 },
  each: { key: 'kk', value: 'vv' },
};
const ev = (src: string): Value => evaluate(parseTemplate(src), (n) => scope[n]);

t.test('literals, templates and references', async (t) => {
  t.equal(ev('plain'), 'plain');
  t.equal(ev('${var.env}-app'), 'prod-app');
  t.equal(ev('${var.n}'), 3, 'a lone interpolation keeps its type');
  t.equal(ev('$${not} ${var.env}'), '${not} prod', '$${ escapes interpolation');
  t.equal(ev('${dew_kms_key.app.key_id}'), 'k-1');
  t.equal(ev('${dew_kms_key.many["a"].key_id}'), 'ka');
  t.equal(ev('${dew_kms_key.list[0].key_id}'), 'k0');
  t.equal(ev('${dew_kms_key.list.0.key_id}'), 'k0', 'legacy .0 index');
  t.equal(ev('${each.key}=${each.value}#${count.index}'), 'kk=vv#2');
  t.same(ev('${[for s in local.names : upper(s)]}'), ['X', 'Y']);
  t.same(ev('${{for s in local.names : s => length(s)}}'), { x: 1, y: 1 });
  t.same(ev('${dew_kms_key.list[*].key_id}'), ['k0']);
});

t.test('operators and conditionals', async (t) => {
  t.equal(ev('${1 + 2 * 3}'), 7);
  t.equal(ev('${(1 + 2) * 3}'), 9);
  t.equal(ev('${var.n > 2 && !false}'), true);
  t.equal(ev('${var.env == "prod" ? "big" : "small"}'), 'big');
  t.equal(ev('${10 % 4 - -1}'), 3);
  t.equal(ev('${"a" != "b" || false}'), true);
});

t.test('functions', async (t) => {
  t.same(ev('${merge(var.tags, {b = "2"})}'), { a: '1', b: '2' });
  t.same(ev('${concat(["a"], ["b", "c"])}'), ['a', 'b', 'c']);
  t.equal(ev('${lookup(var.tags, "zz", "dflt")}'), 'dflt');
  t.equal(ev('${format("%s-%03d", "k", 7)}'), 'k-007');
  t.equal(ev('${join(",", ["a", "b"])}'), 'a,b');
  t.equal(ev('${upper("x")}${lower("Y")}'), 'Xy');
  t.same(ev('${toset(["b", "a", "b"])}'), ['a', 'b']);
  t.same(ev('${tomap({a = 1})}'), { a: 1 });
  t.equal(ev('${jsonencode({a = [1, true]})}'), '{"a":[1,true]}');
  t.equal(ev('${length(keys(var.tags))}'), 1);
  t.same(ev('${values({b = 2, a = 1})}'), [1, 2]);
  t.equal(ev('${contains(["a"], "a")}'), true);
  t.equal(ev('${coalesce("", "x")}'), 'x');
  t.equal(ev('${tostring(5)}'), '5');
  t.equal(ev('${tonumber("5") + 1}'), 6);
  t.throws(() => ev('${nosuch(1)}'), /no function named "nosuch"/);
});

t.test('unknown and sensitive propagate', async (t) => {
  t.ok(isUnknown(ev('${dew_kms_key.fresh.key_id}')));
  t.ok(isUnknown(ev('prefix-${dew_kms_key.fresh.key_id}')), 'a template over an unknown is unknown');
  t.ok(isUnknown(ev('${upper(dew_kms_key.fresh.key_id)}')));
  t.equal(ev('${true ? "known" : dew_kms_key.fresh.key_id}'), 'known', 'the branch not taken does not matter');
  const s = ev('x-${var.secret}');
  t.ok(isSensitive(s), 'derived from a sensitive variable');
  t.equal((s as Sensitive).value, 'x-s3cr3t');
  const m = ev('${{a = var.secret, b = "open"}}') as Record<string, Value>;
  t.ok(isSensitive(m.a));
  t.equal(m.b, 'open', 'only the sensitive leaf is marked');
});

t.test('references for the dependency graph', async (t) => {
  const refs = referencesOf(parseTemplate('${dew_kms_key.app.key_id}-${var.env}-${[for k, v in local.m : v if k != each.key]}'));
  t.same(refs.map((r) => [r.root, r.steps]), [
    ['dew_kms_key', ['app', 'key_id']],
    ['var', ['env']],
    ['local', ['m']],
    ['each', ['key']],
  ]);
  t.throws(() => parseExpression('a +'), /expression/);
});
