/**
 * The smaller messages of issue 11 (item 13), as a user meets them with a real daemon and the real
 * `dew` executable: valid values named, a caret under a syntax error, map outputs as HCL, the
 * rotation interval a plan can already tell, force-unlock on an unlocked stack, `echo yes | dew apply`.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startDaemonProcess } from '../helpers/daemon-process.js';

t.test('item 13 against a running daemon', async (t) => {
  const d = await startDaemonProcess(t);
  const home = mkdtempSync(join(tmpdir(), 'dew-small-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '', NO_COLOR: '1', DEW_CREDENTIALS: join(d.dataDir, 'credentials.json') };
  const dew = (argv: string[], input?: string) => {
    const r = spawnSync(process.execPath, [cli, ...argv], { cwd: home, env, encoding: 'utf8', timeout: 60_000, input });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const stack = (name: string, body: string): string => {
    const dir = join(home, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.hcl'), `dew {\n  stack = "${name}"\n}\n\n${body}`);
    return dir;
  };

  t.test('an invalid key_spec lists the valid values', async (t) => {
    const r = dew(['kms', 'create-key', '--key-alias', 'bad-spec', '--key-spec', 'AES_999']);
    t.equal(r.code, 1);
    const body = JSON.parse(r.err);
    t.equal(body.error_code, 'KMS.0308');
    t.match(body.error_msg, /^Invalid key_spec: must be one of AES_256, SM4, .*SM2/);
  });

  t.test('a syntax error shows the source line with a caret under the spot', async (t) => {
    const dir = stack('syntax', 'resource "dew_kms_key" "k" {\n  key_alias = \n}\n');
    const r = dew(['plan', dir]);
    t.equal(r.code, 1);
    t.match(r.err, '    6:   key_alias = \n                     ^\n', 'the line, then ^ under column 15');
    const unclosed = stack('unclosed', 'resource "dew_kms_key" "k" {\n  key_alias = "x"\n');
    const u = dew(['plan', unclosed]);
    t.match(u.err, 'Unclosed configuration block');
    t.match(u.err, '    5: resource "dew_kms_key" "k" {\n                                  ^\n', 'a file that does not parse still shows its line');
  });

  t.test('map and list outputs render as HCL over several lines', async (t) => {
    const dir = stack('outputs', 'resource "dew_kms_key" "k" {\n  key_alias = "outputs-k"\n}\n\noutput "facts" {\n  value = { alias = dew_kms_key.k.key_alias, "two words" = 2, list = ["a", "b"] }\n}\n');
    const r = dew(['apply', dir, '-auto-approve']);
    t.equal(r.code, 0, r.err);
    const hcl = 'facts = {\n  alias       = "outputs-k"\n  list        = [\n    "a",\n    "b",\n  ]\n  "two words" = 2\n}\n';
    t.match(r.out, `Outputs:\n\n${hcl}`);
    t.equal(dew(['output', '-chdir', dir]).out, hcl);
    t.equal(dew(['output', '-chdir', dir, 'facts']).out, hcl.slice('facts = '.length));
    t.same(JSON.parse(dew(['output', '-chdir', dir, '-json', 'facts']).out), { alias: 'outputs-k', 'two words': 2, list: ['a', 'b'] }, '-json stays JSON');
  });

  t.test('rotation_interval: the value the plan can tell, never a bare "~ … (known after apply)"', async (t) => {
    const key = (extra: string) => `resource "dew_kms_key" "k" {\n  key_alias = "rot-k"\n${extra}}\n`;
    const dir = stack('rot', key(''));
    t.equal(dew(['apply', dir, '-auto-approve']).code, 0);
    writeFileSync(join(dir, 'main.hcl'), `dew {\n  stack = "rot"\n}\n\n${key('  rotation_enabled = true\n')}`);
    const on = dew(['plan', dir]);
    t.equal(on.code, 0, on.err);
    t.match(on.out, /~ rotation_enabled += false -> true\n\s+\+ rotation_interval = 365\n/, 'turning rotation on shows the interval it gets');
    writeFileSync(join(dir, 'main.hcl'), `dew {\n  stack = "rot"\n}\n\n${key('  key_algorithm = "SM4"\n')}`);
    const replace = dew(['plan', dir]);
    t.match(replace.out, /must be replaced/);
    t.notMatch(replace.out, /~ rotation_interval += \(known after apply\)/, 'no old-value-less change');
    t.match(replace.out, /\+ key_id += \(known after apply\)|~ key_id += "[0-9a-f-]+" -> \(known after apply\)/);
  });

  t.test('force-unlock on an unlocked stack is an error, in one line', async (t) => {
    const dir = stack('unlocked', 'resource "dew_kms_key" "k" {\n  key_alias = "unlocked-k"\n}\n');
    const r = dew(['force-unlock', '-chdir', dir, '-force', 'some-lock-id']);
    t.equal(r.code, 1);
    t.equal(r.err, 'Error: Stack "unlocked" is not locked, so there is no lock "some-lock-id" to remove\n');
  });

  t.test('echo yes | dew apply approves, as Terraform reads a piped answer', async (t) => {
    const dir = stack('piped', 'resource "dew_kms_key" "k" {\n  key_alias = "piped-k"\n}\n');
    const no = dew(['apply', dir], 'no\n');
    t.equal(no.code, 1, 'any other answer cancels');
    t.match(no.err, /Apply cancelled/);
    const none = dew(['apply', dir], '');
    t.equal(none.code, 1, 'no answer at all');
    t.match(none.err, 'Error: No input available to approve the plan');
    t.match(none.err, 'echo yes | dew apply');
    const yes = dew(['apply', dir], 'yes\n');
    t.equal(yes.code, 0, yes.err);
    t.match(yes.out, /Enter a value: \n/);
    t.match(yes.out, /Apply complete! Resources: 1 added, 0 changed, 0 destroyed\./);
    const destroy = dew(['destroy', dir], 'yes');
    t.equal(destroy.code, 0, `an answer without a newline counts (${destroy.err})`);
    t.match(destroy.out, /Destroy complete!/);
  });
});
