/**
 * The key quota as a user meets it, against a real daemon with --key-quota 3: keys pending deletion
 * count, so a replacement at the quota is refused by plan and apply before anything is destroyed.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startDaemonProcess } from '../helpers/daemon-process.js';

const stackOf = (algorithm: string, extra = '') => `dew {
  stack = "quota"
}

resource "dew_kms_key" "a" {
  key_alias     = "quota-a"
  key_algorithm = "${algorithm}"
}

resource "dew_kms_key" "b" {
  key_alias = "quota-b"
}
${extra}`;

t.test('a replacement at the key quota is refused up front, with the numbers', async (t) => {
  const d = await startDaemonProcess(t, ['--key-quota', '3']);
  const home = mkdtempSync(join(tmpdir(), 'dew-quota-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const dir = join(home, 'stack');
  mkdirSync(dir);
  const env = { PATH: process.env.PATH ?? '', NO_COLOR: '1', DEW_CREDENTIALS: join(d.dataDir, 'credentials.json') };
  const dew = (...argv: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...argv], { cwd: home, env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  writeFileSync(join(dir, 'main.hcl'), stackOf('AES_256'));
  const first = dew('apply', dir, '-auto-approve');
  t.equal(first.code, 0, first.err);
  // A third key, pending deletion: it still counts toward the quota.
  const extra = dew('kms', 'create-key', '--key-alias', 'quota-extra');
  t.equal(extra.code, 0, extra.err);
  const extraId = JSON.parse(extra.out).key_info.key_id;
  t.equal(dew('kms', 'schedule-key-deletion', '--key-id', extraId, '--pending-days', '7').code, 0);

  writeFileSync(join(dir, 'main.hcl'), stackOf('SM4'));
  const numbers = 'The plan needs 1 new key; the quota allows 3 and 3 exist (1 pending deletion), so none can be created.';
  const plan = dew('plan', dir);
  t.equal(plan.code, 1, 'plan refuses');
  t.match(plan.err, 'Key quota exceeded');
  t.match(plan.err, numbers);
  t.match(plan.err, '--key-quota');
  t.notMatch(plan.out, /must be replaced/, 'no plan is offered');

  const apply = dew('apply', dir, '-auto-approve');
  t.equal(apply.code, 1, 'apply refuses');
  t.match(apply.err, numbers);
  const keys = JSON.parse(dew('kms', 'list-keys', '--key-spec', 'ALL').out).key_details as { key_alias: string; key_state: string }[];
  t.equal(keys.find((k) => k.key_alias === 'quota-a')?.key_state, '2', 'the old key is still enabled: nothing was destroyed');
  t.match(dew('state', 'list', '-chdir', dir).out, /^dew_kms_key\.a$/m, 'and the stack still holds it');

  // Two more keys than fit, counted in the plural.
  writeFileSync(join(dir, 'main.hcl'), stackOf('AES_256', '\nresource "dew_kms_key" "c" {\n  key_alias = "quota-c"\n}\n\nresource "dew_kms_key" "e" {\n  key_alias = "quota-e"\n}\n'));
  const two = dew('plan', dir);
  t.equal(two.code, 1);
  t.match(two.err, 'The plan needs 2 new keys; the quota allows 3 and 3 exist (1 pending deletion)');

  // A plan that needs no new key goes ahead at the quota.
  writeFileSync(join(dir, 'main.hcl'), stackOf('AES_256'));
  const same = dew('plan', dir);
  t.equal(same.code, 0, same.err);
  t.match(same.out, /No changes/);
});
