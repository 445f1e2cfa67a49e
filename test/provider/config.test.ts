/** Configuration loading, variables and diagnostics (file:line:col, did-you-mean, cycles, types) on temp fixture folders. */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan } from '../../provider/plan/create-plan.js';
import { emptyStack } from '../../provider/state/stack-state.js';
import { formatDiagnostic, type Diagnostic } from '../../provider/config/diagnostics.js';
import { splitHclErrors } from '../../provider/config/hcl.js';
import { isSensitive } from '../../provider/config/values.js';

function folder(files: Record<string, string>, name = 'myapp'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-cfg-')), name);
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

async function diagnose(files: Record<string, string>, vars: { kind: 'var'; text: string }[] = []): Promise<Diagnostic[]> {
  const { config, diagnostics } = await loadConfig(folder(files));
  if (diagnostics.some((d) => d.severity === 'error')) return diagnostics;
  const v = await resolveVariables(config, vars, {});
  if (v.diagnostics.length) return v.diagnostics;
  return createPlan({ config, variables: v.values, snapshot: emptyStack(config.stack) }).diagnostics;
}

const where = (d: Diagnostic): string => `${d.range?.file}:${d.range?.line}:${d.range?.column}`;

t.test('loads HCL and JSON files together; the stack defaults to the folder name', async (t) => {
  const dir = folder({
    'keys.hcl': 'resource "dew_kms_key" "a" {\n  key_alias = "a"\n}\n',
    'more.dew.json': JSON.stringify({ resource: { dew_kms_key: { b: { key_alias: '${dew_kms_key.a.key_alias}-b' } } }, output: { b: { value: '${dew_kms_key.b.key_alias}' } } }, null, 2),
  });
  const { config, diagnostics } = await loadConfig(dir);
  t.same(diagnostics, []);
  t.equal(config.stack, 'myapp');
  t.same([...config.resources.keys()].sort(), ['dew_kms_key.a', 'dew_kms_key.b']);
  const r = createPlan({ config, variables: new Map(), snapshot: emptyStack('myapp') });
  t.same(r.diagnostics, []);
  t.same(r.plan.outputs, [{ name: 'b', action: 'create', before: null, value: 'a-b', unknown: false, sensitive: false }], 'JSON expressions are evaluated too');
});

t.test('only *.hcl and *.dew.json are configuration: package.json, tsconfig.json, main.tf are not (issue 11.5)', async (t) => {
  const dir = folder({
    'main.hcl': 'resource "dew_kms_key" "a" {\n  key_alias = "a"\n}\n',
    'package.json': '{"name": "app", "version": "1.0.0", "scripts": {"test": "tap"}}',
    'package-lock.json': '{"lockfileVersion": 3, "packages": {}}',
    'tsconfig.json': '{"compilerOptions": {"strict": true}}',
  });
  const { config, diagnostics } = await loadConfig(dir);
  t.same(diagnostics, []);
  t.same([...config.resources.keys()], ['dew_kms_key.a']);
  t.same([...config.sources.keys()], ['main.hcl']);

  const none = await loadConfig(folder({ 'main.tf': 'resource "dew_kms_key" "a" {}\n', 'package.json': '{}' }));
  t.match(none.diagnostics, [{ severity: 'error', summary: 'No configuration files' }]);
  const said = `${none.diagnostics[0].detail}\n${none.diagnostics[0].hint ?? ''}`;
  t.match(said, /\*\.hcl/);
  t.match(said, /\*\.dew\.json/);
  t.match(said, /main\.tf/, 'the ignored main.tf is named');
  t.match(said, /package\.json/, 'and every other file looked at');
});

t.test('dew { stack } names the stack', async (t) => {
  const { config } = await loadConfig(folder({ 'main.hcl': 'dew {\n  stack = "payments"\n}\n' }));
  t.equal(config.stack, 'payments');
});

t.test('syntax errors carry file, line and column; every file is reported', async (t) => {
  const diags = await diagnose({ 'a.hcl': 'resource "dew_kms_key" "a" {\n  key_alias = \n}\n', 'b.hcl': 'variable "x" {\n  default = [1,\n' });
  t.equal(diags.length, 2);
  t.match(diags[0], { severity: 'error', summary: 'Invalid expression', range: { file: 'a.hcl', line: 2 } });
  t.equal(diags[1].range?.file, 'b.hcl');
  t.match(formatDiagnostic(diags[0], new Map([['a.hcl', 'resource "dew_kms_key" "a" {\n  key_alias = \n}\n']])), /on a\.hcl:2:\d+:\n\s+2:   key_alias =/);
});

t.test('splits several parser diagnostics from one message', async (t) => {
  const d = splitHclErrors('m.hcl', 'parse config: [m.hcl:3,2-3: Attribute redefined; The argument "x" was already set at m.hcl:2,2-3. m.hcl:9,1-4,1: Bad thing; Detail here]');
  t.equal(d.length, 2);
  t.match(d[0], { summary: 'Attribute redefined', range: { line: 3, column: 2 } });
  t.match(d[1], { summary: 'Bad thing', detail: 'Detail here', range: { line: 9 } });
});

t.test('all configuration errors in one run, with did-you-mean hints and positions', async (t) => {
  const diags = await diagnose({
    'main.hcl': [
      'variable "env" {}',
      '',
      'resource "dew_kms_kye" "x" {',
      '  key_alias = "x"',
      '}',
      '',
      'resource "dew_kms_key" "a" {',
      '  key_alais = "a"',
      '  key_alias = var.evn',
      '  rotation_interval = local.nope',
      '}',
      '',
      'resource "dew_kms_alias" "b" {',
      '  key_id = dew_kms_key.a.kye_id',
      '  alias  = "alias/b"',
      '}',
      '',
      'output "o" {',
      '  value = dew_kms_key.c.key_id',
      '}',
      '',
    ].join('\n'),
  });
  const byLine = diags.map((d) => `${where(d)} ${d.summary} | ${d.hint ?? ''}`);
  t.match(byLine, [
    /main\.hcl:3:1 Unknown resource type "dew_kms_kye" \| Did you mean "dew_kms_key"\?/,
    /main\.hcl:8:3 Unsupported argument "key_alais" \| Did you mean "key_alias"\?/,
    /main\.hcl:9:3 Reference to undeclared input variable \| Did you mean "env"\?/,
    /main\.hcl:10:3 Reference to undeclared local value/,
    /main\.hcl:14:3 Unsupported attribute \| Did you mean "key_id"\?/,
    /main\.hcl:19:3 Reference to undeclared resource/,
  ]);
});

t.test('wrong attribute types and values are checked against the resource schema', async (t) => {
  const diags = await diagnose({
    'main.hcl': 'resource "dew_kms_key" "a" {\n  key_alias     = "a"\n  is_enabled    = "maybe"\n  key_algorithm = "AES_257"\n  tags          = ["x"]\n  rotation_interval = 20\n  rotation_enabled  = true\n}\n',
  });
  const text = diags.map((d) => `${where(d)} ${d.summary}: ${d.detail}`);
  t.match(text, [
    /main\.hcl:3:3 Incorrect attribute value type: .*"is_enabled": bool required/,
    /main\.hcl:4:3 Invalid attribute value: .*key_algorithm.* must be equal to one of the allowed values\. Allowed values: AES_256, SM4/,
    /main\.hcl:5:3 Incorrect attribute value type: .*"tags": map of string required/,
    /main\.hcl:6:3 Invalid attribute value: .*rotation_interval.* must be >= 30/,
  ]);
  t.equal(diags.length, 4);
});

t.test('dependency cycles name every address in the cycle', async (t) => {
  const diags = await diagnose({
    'main.hcl': [
      'resource "dew_kms_key" "a" {',
      '  key_alias = "a-${dew_kms_key.b.key_id}"',
      '}',
      'resource "dew_kms_key" "b" {',
      '  key_alias  = "b"',
      '  depends_on = [dew_kms_key.c]',
      '}',
      'resource "dew_kms_key" "c" {',
      '  key_alias = dew_kms_key.a.key_alias',
      '}',
    ].join('\n'),
  });
  const cycle = diags.find((d) => d.summary === 'Cycle');
  t.ok(cycle, 'a cycle is reported');
  t.match(cycle!.detail, /dew_kms_key\.a, dew_kms_key\.b, dew_kms_key\.c/);
  t.equal(cycle!.range?.line, 1);
});

t.test('variables: -var, -var-file (json and hcl), DEW_VAR_ env, types and sensitivity', async (t) => {
  const dir = folder({
    'main.hcl': [
      'variable "env" {',
      '  type = string',
      '}',
      'variable "days" {',
      '  type    = number',
      '  default = 7',
      '}',
      'variable "tags" {',
      '  type    = map(string)',
      '  default = {}',
      '}',
      'variable "pw" {',
      '  type      = string',
      '  sensitive = true',
      '  default   = "hunter2"',
      '}',
    ].join('\n'),
    'prod.json': '{"days": "30", "tags": {"team": "sec"}}',
    'prod.vars.hcl': 'env = "from-file"\n',
  });
  const { config } = await loadConfig(dir);
  const r = await resolveVariables(config, [{ kind: 'file', path: join(dir, 'prod.json') }, { kind: 'file', path: join(dir, 'prod.vars.hcl') }, { kind: 'var', text: 'env=cli' }], { DEW_VAR_days: '9' });
  t.same(r.diagnostics, []);
  t.equal(r.values.get('env'), 'cli', '-var given last wins');
  t.equal(r.values.get('days'), 30, 'var-file beats the environment; "30" converts to a number');
  t.same(r.values.get('tags'), { team: 'sec' });
  t.ok(isSensitive(r.values.get('pw')));

  const missing = await resolveVariables(config, [{ kind: 'var', text: 'nope=1' }], {});
  t.match(missing.diagnostics.map((d) => d.summary), ['Value for undeclared variable', 'No value for required variable "env"']);
  const bad = await resolveVariables(config, [{ kind: 'var', text: 'env=x' }, { kind: 'var', text: 'days=many' }], {});
  t.match(bad.diagnostics[0].summary, /Invalid value for variable "days"/);
});

t.test('an output derived from a sensitive value must be marked sensitive', async (t) => {
  const diags = await diagnose({
    'main.hcl': 'variable "pw" {\n  sensitive = true\n  default = "x"\n}\noutput "leak" {\n  value = "p-${var.pw}"\n}\noutput "ok" {\n  value     = var.pw\n  sensitive = true\n}\n',
  });
  t.equal(diags.length, 1);
  t.match(diags[0], { summary: 'Output refers to sensitive values', range: { line: 5 } });
});

t.test('for_each and count expand instances with each/count bound', async (t) => {
  const dir = folder({
    'main.hcl': [
      'locals {',
      '  keys = { app = "AES_256", sig = "SM4" }',
      '}',
      'resource "dew_kms_key" "k" {',
      '  for_each      = local.keys',
      '  key_alias     = "k-${each.key}"',
      '  key_algorithm = each.value',
      '}',
      'resource "dew_kms_key" "n" {',
      '  count     = 2',
      '  key_alias = "n-${count.index}"',
      '}',
      'resource "dew_kms_key" "bad" {',
      '  key_alias = each.key',
      '}',
    ].join('\n'),
  });
  const { config, diagnostics } = await loadConfig(dir);
  t.match(diagnostics, [{ summary: 'Reference to "each" in context without for_each', range: { line: 14 } }]);
  config.resources.delete('dew_kms_key.bad');
  const { plan } = createPlan({ config, variables: new Map(), snapshot: emptyStack('x') });
  t.same(plan.changes.map((c) => c.address), ['dew_kms_key.k["app"]', 'dew_kms_key.k["sig"]', 'dew_kms_key.n[0]', 'dew_kms_key.n[1]']);
  t.equal((plan.changes[1].change.after as Record<string, unknown>).key_algorithm, 'SM4');
  t.equal((plan.changes[3].change.after as Record<string, unknown>).key_alias, 'n-1');
});
