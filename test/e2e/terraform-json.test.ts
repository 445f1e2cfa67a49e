/**
 * dew's machine output against the real Terraform: the plan JSON (planned_values, prior_state, resource_drift,
 * resource_changes) of the same change shape, and validate -json diagnostics, have Terraform's keys.
 * Terraform runs offline with its builtin terraform_data resource; a missing terraform binary fails the test.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { world } from './harness.js';

type Obj = Record<string, unknown>;

function findTerraform(): string | undefined {
  if (process.env.TERRAFORM) return process.env.TERRAFORM;
  for (const d of [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin']) if (d && existsSync(join(d, 'terraform'))) return join(d, 'terraform');
  return undefined;
}

/** A terraform working folder with no provider downloads and no prompts. */
function terraformDir(t: { teardown(fn: () => unknown): void }, bin: string): { write(tf: string): void; run(...args: string[]): string } {
  const dir = mkdtempSync(join(tmpdir(), 'dew-tf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cli.rc'), '');
  const env = { PATH: process.env.PATH ?? '', HOME: dir, TF_CLI_CONFIG_FILE: join(dir, 'cli.rc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  return {
    write: (tf) => writeFileSync(join(dir, 'main.tf'), tf),
    // terraform validate -json exits 1 on errors: its stdout is still the answer
    run: (...args) => {
      try {
        return execFileSync(bin, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const out = (e as { stdout?: string }).stdout;
        if (args.includes('-json') && out) return out;
        throw e;
      }
    },
  };
}

const keys = (o: unknown): string[] => Object.keys(o as Obj).sort();
/** The union of the keys of a list of objects. */
const keysOf = (list: unknown): string[] => [...new Set((list as Obj[]).flatMap((o) => Object.keys(o)))].sort();
const byActions = (rcs: unknown): Map<string, Obj> => new Map((rcs as Obj[]).map((rc) => [((rc.change as Obj).actions as string[]).join(','), rc]));
const without = (list: string[], drop: string[]): string[] => list.filter((k) => !drop.includes(k));

/** dew's documented extra top-level keys: its version and the stack it planned. */
const DEW_TOP_EXTRAS = ['dew_version', 'stack'];

const TF_V1 = `variable "secret" {
  type      = string
  sensitive = true
  default   = "tf-secret-value"
}
resource "terraform_data" "keep" { input = "a" }
resource "terraform_data" "upd" { input = "a" }
resource "terraform_data" "rep" {
  input            = "a"
  triggers_replace = ["x"]
}
resource "terraform_data" "del" { input = "a" }
resource "terraform_data" "sens" { input = var.secret }
output "o" { value = terraform_data.upd.output }
output "s" {
  value     = var.secret
  sensitive = true
}
`;
const TF_V2 = TF_V1.replace('"upd" { input = "a" }', '"upd" { input = "b" }').replace('["x"]', '["y"]').replace('"del" { input = "a" }', '"new" { input = "n" }');

const SECRET = 'dew-secret-never-shown';
const dewConfig = (v: { upd: string; rep: string; last: 'del' | 'new' }): string => `dew {
  stack = "tfjson"
}
variable "secret" {
  type      = string
  sensitive = true
  default   = "${SECRET}"
}
resource "dew_kms_key" "same" {
  key_alias = "tfjson-same"
}
resource "dew_kms_key" "keep" {
  key_alias       = "tfjson-keep"
  key_description = "kept"
}
resource "dew_kms_key" "upd" {
  key_alias       = "tfjson-upd"
  key_description = "${v.upd}"
}
resource "dew_kms_key" "rep" {
  key_alias     = "tfjson-rep"
  key_algorithm = "${v.rep}"
}
resource "dew_kms_key" "${v.last}" {
  key_alias = "tfjson-${v.last}"
}
resource "dew_kms_key" "sens" {
  key_alias       = "tfjson-sens"
  key_description = var.secret
}
output "o" {
  value = dew_kms_key.upd.key_description
}
output "s" {
  value     = var.secret
  sensitive = true
}
`;

t.test('the plan JSON has the keys terraform show -json gives for the same change shape', async (t) => {
  const bin = findTerraform();
  if (!bin) {
    t.fail('terraform is not installed (set TERRAFORM or put it on PATH): this test compares against it');
    return;
  }
  const tf = terraformDir(t, bin);
  tf.write(TF_V1);
  tf.run('init', '-input=false');
  tf.run('apply', '-auto-approve', '-input=false');
  tf.write(TF_V2);
  tf.run('plan', '-input=false', '-out', 'p');
  const tp = JSON.parse(tf.run('show', '-json', 'p')) as Obj;
  const tfRc = byActions(tp.resource_changes);
  t.same([...tfRc.keys()].sort(), ['create', 'delete', 'delete,create', 'no-op', 'update'], 'terraform plans every kind of change');

  const w = await world(t, { stack: 'tfjson' });
  w.write({ 'main.hcl': dewConfig({ upd: 'one', rep: 'AES_256', last: 'del' }) });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  // drift: keep's description changed outside dew, which the plan undoes (so it is relevant)
  const keepId = (JSON.parse((await w.dew('show', '-json')).out).resources as { address: string; object_id: string }[]).find((r) => r.address === 'dew_kms_key.keep')!.object_id;
  await w.kms('update-key-description', { key_id: keepId, key_description: 'changed by hand' });
  w.write({ 'main.hcl': dewConfig({ upd: 'two', rep: 'SM4', last: 'new' }) });
  const p = await w.dew('plan', '-json', '-out', 'p.plan');
  t.equal(p.code, 0, p.err);
  const dp = JSON.parse(p.out) as Obj;
  const dewRc = byActions(dp.resource_changes);
  t.same([...dewRc.keys()].sort(), ['create', 'delete', 'delete,create', 'no-op', 'update'], 'dew plans every kind of change');
  t.notOk(JSON.stringify(dp).includes(SECRET), 'no secret anywhere in the plan JSON');

  // top level: Terraform omits resource_drift when nothing drifted (terraform_data never drifts offline)
  t.same(without(keys(dp), DEW_TOP_EXTRAS), [...new Set([...keys(tp), 'resource_drift'])].sort(), 'top-level keys');
  const tpv = tp.planned_values as Obj;
  const dpv = dp.planned_values as Obj;
  t.same(keys(dpv), keys(tpv), 'planned_values keys');
  t.same(keys(dpv.root_module), keys(tpv.root_module), 'planned_values.root_module keys');
  t.same(keysOf((dpv.root_module as Obj).resources), keysOf((tpv.root_module as Obj).resources), 'planned_values resources keys');
  t.notOk(((dpv.root_module as Obj).resources as Obj[]).some((r) => r.address === 'dew_kms_key.del'), 'a deleted object is not planned');
  for (const o of Object.values(dpv.outputs as Obj)) t.same(without(keys(o), ['sensitive', 'type', 'value']), [], 'planned output keys are Terraform’s');
  t.same((dpv.outputs as Obj).s, { sensitive: true, type: 'string', value: '(sensitive value)' });

  const tps = tp.prior_state as Obj;
  const dps = dp.prior_state as Obj;
  t.same(keys(dps), keys(tps), 'prior_state keys');
  t.same(keys(dps.values), keys(tps.values), 'prior_state.values keys');
  t.same(keysOf(((dps.values as Obj).root_module as Obj).resources), keysOf(((tps.values as Obj).root_module as Obj).resources), 'prior_state resources keys');
  t.same(keysOf(Object.values((dps.values as Obj).outputs as Obj)), keysOf(Object.values((tps.values as Obj).outputs as Obj)), 'prior_state outputs keys');
  const priorKeep = (((dps.values as Obj).root_module as Obj).resources as Obj[]).find((r) => r.address === 'dew_kms_key.keep')!;
  t.equal((priorKeep.values as Obj).key_description, 'changed by hand', 'prior_state holds the object as the daemon has it now');

  // resource_drift uses the resource change representation: compare with Terraform's update
  const drift = dp.resource_drift as Obj[];
  t.same(drift.map((d) => d.address), ['dew_kms_key.keep']);
  t.same(keysOf(drift), keys(tfRc.get('update')), 'resource_drift keys');
  t.same(keysOf(drift.map((d) => d.change)), keys(tfRc.get('update')!.change), 'resource_drift change keys');
  t.match(drift[0].change, { actions: ['update'], after: { key_description: 'changed by hand' } });
  t.same(dp.relevant_attributes, [{ resource: 'dew_kms_key.keep', attribute: ['key_description'] }]);
  t.same(keysOf(dp.relevant_attributes), keysOf(tp.relevant_attributes), 'relevant_attributes keys');

  for (const [action, trc] of tfRc) {
    const drc = dewRc.get(action)!;
    t.same(keys(drc), keys(trc), `resource_changes[${action}] keys`);
    t.same(keys(drc.change), keys(trc.change), `resource_changes[${action}].change keys`);
  }

  // the saved plan shows the same document
  const shown = JSON.parse((await w.dew('show', '-json', 'p.plan')).out) as Obj;
  t.same(without(keys(shown), ['timestamp']), without(keys(dp), ['timestamp']), 'show -json PLAN: the same keys');
  t.same(shown.prior_state, dp.prior_state);
  t.same(shown.resource_drift, dp.resource_drift);
});

t.test('validate -json and plan -json on errors: Terraform’s diagnostics object', async (t) => {
  const bin = findTerraform();
  if (!bin) {
    t.fail('terraform is not installed (set TERRAFORM or put it on PATH): this test compares against it');
    return;
  }
  const tf = terraformDir(t, bin);
  tf.write('resource "terraform_data" "x" {\n  input = "a"\n  bogus = 1\n}\n');
  tf.run('init', '-input=false');
  const tv = JSON.parse(tf.run('validate', '-json')) as Obj;
  t.equal(tv.valid, false);

  const w = await world(t, { stack: 'tfjson' });
  // a multi-byte character before the error: byte offsets differ from columns
  const src = 'resource "dew_kms_key" "x" {\n  key_alias = "ключ"\n  bogus = 1\n}\n';
  w.write({ 'main.hcl': src });
  const v = await w.dew('validate', '-json');
  t.equal(v.code, 1);
  const dv = JSON.parse(v.out) as Obj;
  t.same(keys(dv), keys(tv), 'top-level keys');
  t.match(dv, { format_version: '1.0', valid: false, warning_count: 0 });
  const tdiag = (tv.diagnostics as Obj[])[0];
  const ddiags = dv.diagnostics as Obj[];
  t.equal(dv.error_count, ddiags.length);
  const d = ddiags.find((x) => /bogus/.test(String(x.summary) + String(x.detail)))!;
  t.ok(d, 'the unknown argument is a diagnostic');
  t.same(keys(d), keys(tdiag), 'diagnostic keys');
  t.same(keys(d.range), keys(tdiag.range), 'range keys');
  t.same(keys((d.range as Obj).start), keys((tdiag.range as Obj).start), 'range.start keys');
  t.same(keys(d.snippet), keys(tdiag.snippet), 'snippet keys');
  const at = Buffer.from(src).indexOf('bogus');
  t.same(d.range, { filename: 'main.hcl', start: { line: 3, column: 3, byte: at }, end: { line: 3, column: 8, byte: at + 5 } });
  t.same(d.snippet, { context: 'resource "dew_kms_key" "x"', code: '  bogus = 1', start_line: 3, highlight_start_offset: 2, highlight_end_offset: 7, values: [] });

  // plan -json: the same object on stdout and nothing else, exit 1; the text goes to stderr
  const p = await w.dew('plan', '-json');
  t.equal(p.code, 1);
  t.same(JSON.parse(p.out), dv, 'plan -json prints the diagnostics object');
  t.match(p.err, /bogus/);

  // a plan error (not a load error): also diagnostics
  w.write({ 'main.hcl': 'resource "dew_kms_key" "x" {\n  key_alias = "a"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n' });
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  w.write({ 'main.hcl': 'resource "dew_kms_key" "x" {\n  key_alias     = "a"\n  key_algorithm = "SM4"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n' });
  const pe = await w.dew('plan', '-json');
  t.equal(pe.code, 1);
  const dpe = JSON.parse(pe.out) as Obj;
  t.match(dpe, { valid: false, error_count: 1, diagnostics: [{ severity: 'error', summary: 'Instance cannot be destroyed', range: { filename: 'main.hcl', start: { line: 1, column: 1, byte: 0 } } }] });
});
