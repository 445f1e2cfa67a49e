/** End-to-end command tests against an in-memory daemon: plan, apply, drift, destroy, locks, saved plans, import, fmt, validate. */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../../provider/commands/context.js';
import type { CommandDeps } from '../../provider/commands/session.js';
import { makePlanCommand } from '../../provider/commands/plan.js';
import { makeApplyCommand, makeDestroyCommand } from '../../provider/commands/apply.js';
import { makeStateCommand } from '../../provider/commands/state.js';
import { makeOutputCommand } from '../../provider/commands/output.js';
import { makeImportCommand } from '../../provider/commands/import.js';
import { makeForceUnlockCommand } from '../../provider/commands/force-unlock.js';
import { makeShowCommand } from '../../provider/commands/show.js';
import { validateCommand } from '../../provider/commands/validate.js';
import { fmtCommand } from '../../provider/commands/fmt.js';
import { FakeDaemon } from './fixtures/fake-daemon.js';

const MAIN = `dew {
  stack = "quick"
}

variable "env" {
  type    = string
  default = "dev"
}

resource "dew_kms_key" "app" {
  key_alias        = "\${var.env}-app"
  rotation_enabled = true
  tags             = { env = var.env }
}

resource "dew_kms_key" "mac" {
  key_alias     = "\${var.env}-mac"
  key_algorithm = "HMAC_256"
  key_usage     = "GENERATE_VERIFY_MAC"
}

resource "dew_kms_alias" "app" {
  key_id = dew_kms_key.app.key_id
  alias  = "alias/\${var.env}-app"
}

resource "dew_kms_grant" "reader" {
  key_id            = dew_kms_key.app.key_id
  grantee_principal = "user123"
  operations        = ["encrypt-data", "decrypt-data"]
  depends_on        = [dew_kms_alias.app]
}

output "app_key_id" {
  value = dew_kms_key.app.key_id
}
`;

function setup(files: Record<string, string> = { 'main.hcl': MAIN }) {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-cmd-')), 'quickstart');
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const daemon = new FakeDaemon();
  const deps: CommandDeps = { openSession: () => ({ api: daemon, store: daemon.store }) };
  let out = '';
  let err = '';
  const answers: string[] = [];
  const ctx = (argv: string[]): CommandContext => ({
    argv,
    cwd: dir,
    env: { NO_COLOR: '1' },
    stdout: { write: (s) => void (out += s), isTTY: false },
    stderr: { write: (s) => void (err += s) },
    prompt: async () => answers.shift() ?? '',
    now: () => 0,
  });
  const run = async (cmd: (deps: CommandDeps) => (c: CommandContext) => Promise<number>, argv: string[]) => {
    out = '';
    err = '';
    const code = await cmd(deps)(ctx(argv));
    return { code, out, err };
  };
  return { dir, daemon, deps, run, ctx, answers, output: () => out, errors: () => err };
}

t.test('plan, apply, re-plan with no changes, drift, destroy', async (t) => {
  const s = setup();
  const p = await s.run(makePlanCommand, ['-detailed-exitcode']);
  t.equal(p.code, 2, '-detailed-exitcode: 2 when there are changes');
  t.match(p.out, /^Stack: quick\n/);
  t.match(p.out, /Plan: 4 to add, 0 to change, 0 to destroy\./);
  t.notMatch(p.out, /\x1b\[/, 'no colour when piped / NO_COLOR');

  const a = await s.run(makeApplyCommand, ['--auto-approve']);
  t.equal(a.code, 0, a.err);
  t.match(a.out, /dew_kms_key\.app: Creation complete after 0s \[id=/);
  t.match(a.out, /Apply complete! Resources: 4 added, 0 changed, 0 destroyed\./);
  t.match(a.out, /Outputs:\n\napp_key_id = "00000000-/);
  t.equal(s.daemon.keys.size, 2);
  t.equal(s.daemon.aliases.size, 1);
  t.equal(s.daemon.grants.size, 1);
  const created = [...s.daemon.calls];
  t.ok(created.indexOf('create-grant') > created.indexOf('POST /v1.0/{project_id}/kms/aliases'), 'depends_on orders the grant after the alias');
  const app = [...s.daemon.keys.values()].find((k) => k.key_alias === 'dev-app')!;
  t.equal(app.key_rotation_enabled, 'true');
  t.same(app.tags, { env: 'dev' });

  const again = await s.run(makePlanCommand, ['-detailed-exitcode']);
  t.equal(again.code, 0);
  t.match(again.out, /No changes\. Your infrastructure matches the configuration\./);

  app.key_description = 'changed by hand';
  app.key_state = '3';
  const drift = await s.run(makePlanCommand, ['-detailed-exitcode']);
  t.equal(drift.code, 2);
  t.match(drift.out, /# dew_kms_key\.app will be updated in-place/);
  t.match(drift.out, /is_enabled += false -> true/);
  const fix = await s.run(makeApplyCommand, ['-auto-approve']);
  t.equal(fix.code, 0);
  t.equal(app.key_state, '2', 'drift applied back');

  const list = await s.run(makeStateCommand, ['list']);
  t.equal(list.out, 'dew_kms_alias.app\ndew_kms_grant.reader\ndew_kms_key.app\ndew_kms_key.mac\n');
  const o = await s.run(makeOutputCommand, ['app_key_id', '-json']);
  t.equal(JSON.parse(o.out), app.key_id);

  const d = await s.run(makeDestroyCommand, ['-auto-approve']);
  t.equal(d.code, 0, d.err);
  t.match(d.out, /Destroy complete! Resources: 0 added, 0 changed, 4 destroyed\./);
  t.equal(app.key_state, '4', 'destroying a key schedules its deletion');
  t.equal(app.scheduled_deletion_date, String(7 * 86400000), 'with pending_days 7 by default');
  t.equal(s.daemon.grants.size, 0);
  const calls = s.daemon.calls;
  t.ok(calls.lastIndexOf('revoke-grant') < calls.lastIndexOf('schedule-key-deletion'), 'deletes run in reverse dependency order');
  t.equal((await s.run(makeStateCommand, ['list'])).out, '');
});

t.test('interactive approval needs exactly "yes"', async (t) => {
  const s = setup();
  s.answers.push('y');
  const no = await s.run(makeApplyCommand, []);
  t.equal(no.code, 1);
  t.match(no.out, /Do you want to perform these actions\?/);
  t.match(no.err, /Apply cancelled/);
  t.equal(s.daemon.keys.size, 0);
  s.answers.push('yes');
  t.equal((await s.run(makeApplyCommand, [])).code, 0);
  t.equal(s.daemon.keys.size, 2);
});

t.test('a failed step skips its dependents; the rest is applied and recorded', async (t) => {
  const s = setup();
  s.daemon.failOn.set('create-alias', () => true);
  const a = await s.run(makeApplyCommand, ['-auto-approve']);
  t.equal(a.code, 1);
  t.match(a.err, /Error: dew_kms_alias\.app: KMS\.0000: create-alias failed on purpose/);
  t.match(a.err, /Skipped: dew_kms_grant\.reader, because dew_kms_alias\.app did not complete/);
  t.equal((await s.run(makeStateCommand, ['list'])).out, 'dew_kms_key.app\ndew_kms_key.mac\n', 'finished steps were recorded');
  s.daemon.failOn.clear();
  const p = await s.run(makePlanCommand, []);
  t.match(p.out, /Plan: 2 to add, 0 to change, 0 to destroy\./, 'the next plan describes the stack truthfully');
});

t.test('the stack lock keeps two applies apart; force-unlock releases it', async (t) => {
  const s = setup();
  const held = await s.daemon.store.lock('quick', 'alice@host', 'apply');
  await t.rejects(s.run(makeApplyCommand, ['-auto-approve']), { code: 'stack.locked', message: /locked[\s\S]*alice@host[\s\S]*apply/ });
  await t.rejects(s.run(makeForceUnlockCommand, ['wrong-id', '-force']), { code: 'unlock.mismatch' });
  const u = await s.run(makeForceUnlockCommand, [held.id, '-force']);
  t.equal(u.code, 0);
  t.equal((await s.run(makeApplyCommand, ['-auto-approve'])).code, 0);
  t.equal((await s.daemon.store.read('quick')).lock, null, 'apply released its lock');
});

t.test('saved plans apply exactly once and refuse when the daemon moved', async (t) => {
  const s = setup();
  const planFile = join(s.dir, 'reviewed.plan.json');
  t.equal((await s.run(makePlanCommand, ['-out', planFile])).code, 0);
  const saved = JSON.parse(readFileSync(planFile, 'utf8'));
  t.equal(saved.plan.stack, 'quick');
  t.equal(saved.plan.serial, 0);
  t.ok(saved.sources['main.hcl']);
  t.equal((await s.run(makePlanCommand, [])).code, 0, 'a saved plan in the folder is not read as configuration');
  const a = await s.run(makeApplyCommand, [planFile]);
  t.equal(a.code, 0, a.err);
  t.equal(s.daemon.keys.size, 2);
  await t.rejects(s.run(makeApplyCommand, [planFile]), { code: 'plan.stale', message: /Saved plan is stale/ }, 'the same plan cannot apply twice');

  writeFileSync(join(s.dir, 'main.hcl'), MAIN.replace('rotation_enabled = true', 'rotation_enabled = false'));
  const second = join(s.dir, 'second.plan.json');
  t.equal((await s.run(makePlanCommand, [`-out=${second}`])).code, 0);
  // someone changes an object outside dew after the review: its revision moves
  s.daemon.store.setLive('quick', 'dew_kms_key.mac', s.daemon.liveOf('dew_kms_key', s.daemon.store.stacks.get('quick')!.objects.find((o) => o.address === 'dew_kms_key.mac')!.object_id));
  await t.rejects(s.run(makeApplyCommand, [second]), { code: 'plan.stale', message: /Saved plan is stale[\s\S]*dew_kms_key\.mac/ });
  const show = await s.run(makeShowCommand, [second, '-json']);
  t.equal(JSON.parse(show.out).format_version, '1.2');
});

t.test('import adopts an existing key', async (t) => {
  const s = setup({ 'main.hcl': 'resource "dew_kms_key" "app" {\n  key_alias = "adopted"\n}\n' });
  const res = (await s.daemon.kms('create-key', { key_alias: 'adopted' })) as { key_info: { key_id: string } };
  const i = await s.run(makeImportCommand, ['dew_kms_key.app', res.key_info.key_id]);
  t.equal(i.code, 0, i.err);
  t.match(i.out, /Import successful!/);
  const p = await s.run(makePlanCommand, ['-detailed-exitcode']);
  t.equal(p.code, 0, 'the adopted key matches the configuration');
  await t.rejects(s.run(makeImportCommand, ['dew_kms_key.app', res.key_info.key_id]), { code: 'import.exists' });
  await t.rejects(s.run(makeImportCommand, ['dew_kms_key.nope', 'x']), { code: 'import.no_config' });
});

t.test('plan -json and -markdown', async (t) => {
  const s = setup();
  const j = await s.run(makePlanCommand, ['-json']);
  const body = JSON.parse(j.out);
  t.equal(body.format_version, '1.2');
  t.equal(body.resource_changes.length, 4);
  const m = await s.run(makePlanCommand, ['--markdown']);
  t.match(m.out, /### dew plan for stack `quick`/);
});

t.test('flags: unknown flags are refused with a suggestion; -var and -chdir work', async (t) => {
  const s = setup();
  await t.rejects(s.run(makePlanCommand, ['-detailed-exitcod']), { code: 'usage', hint: /-detailed-exitcode/ });
  const p = await s.run(makePlanCommand, ['-var', 'env=prod', `-chdir=${s.dir}`]);
  t.match(p.out, /key_alias += "prod-app"/);
});

t.test('validate reports every error with its position, or success', async (t) => {
  const s = setup();
  const ok = await s.run(() => validateCommand, []);
  t.equal(ok.code, 0);
  t.match(ok.out, /Success! The configuration is valid\./);
  writeFileSync(join(s.dir, 'main.hcl'), 'resource "dew_kms_key" "a" {\n  key_alias = var.missing\n  key_algoritm = "SM4"\n}\n');
  const bad = await s.run(() => validateCommand, []);
  t.equal(bad.code, 1);
  t.match(bad.err, /Error: Reference to undeclared input variable\n\n  on main\.hcl:2:3:/);
  t.match(bad.err, /Error: Unsupported argument "key_algoritm"[\s\S]*Hint: Did you mean "key_algorithm"\?/);
});

t.test('fmt -check exits 3 when files need formatting; fmt rewrites them', async (t) => {
  const messy = 'resource "dew_kms_key" "a" {\nkey_alias = "a"\n    key_algorithm= "SM4"\n  tags = {\n  x = "1"\n  }\n}\n';
  const s = setup({ 'main.hcl': messy });
  const c = await s.run(() => fmtCommand, ['-check']);
  t.equal(c.code, 3);
  t.equal(c.out, 'main.hcl\n');
  t.equal(readFileSync(join(s.dir, 'main.hcl'), 'utf8'), messy, '-check does not write');
  t.equal((await s.run(() => fmtCommand, [])).code, 0);
  t.equal(readFileSync(join(s.dir, 'main.hcl'), 'utf8'), 'resource "dew_kms_key" "a" {\n  key_alias     = "a"\n  key_algorithm = "SM4"\n  tags          = {\n    x = "1"\n  }\n}\n');
  t.equal((await s.run(() => fmtCommand, ['-check'])).code, 0, 'formatted files pass -check');
  writeFileSync(join(s.dir, 'main.hcl'), 'a = [\n');
  t.equal((await s.run(() => fmtCommand, ['-check'])).code, 2, 'syntax errors exit 2');
});

t.test('apply sends what was planned: ignored attributes keep their daemon value', async (t) => {
  const hcl = (alias: string) => `resource "dew_kms_key" "k" {\n  key_alias = "${alias}"\n  tags      = { owner = "dev" }\n  lifecycle {\n    ignore_changes = [tags]\n  }\n}\n`;
  const s = setup({ 'main.hcl': hcl('one') });
  t.equal((await s.run(makeApplyCommand, ['-auto-approve'])).code, 0);
  const key = [...s.daemon.keys.values()][0];
  t.same(key.tags, { owner: 'dev' }, 'ignore_changes does not stop the value at create');
  key.tags = { owner: 'ops' };
  writeFileSync(join(s.dir, 'main.hcl'), hcl('two'));
  const a = await s.run(makeApplyCommand, ['-auto-approve']);
  t.equal(a.code, 0, a.err);
  t.equal(key.key_alias, 'two');
  t.same(key.tags, { owner: 'ops' }, 'the ignored tags were not touched');
});
