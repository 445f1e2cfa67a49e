/** `dew quickstart` as the README runs it: starts the daemon, applies examples/quickstart, keeps the daemon up until Ctrl-C. */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('dew quickstart on a clean folder', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'dew-qs-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');
  const env: NodeJS.ProcessEnv = { ...process.env, DEW_LISTEN: '127.0.0.1:0', NO_COLOR: '1' };
  delete env.DEW_CREDENTIALS;
  const child = spawn(process.execPath, [cli, 'quickstart'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`quickstart did not finish applying:\n${out}\n${err}`)), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      if (out.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await ready;
  t.match(err, /dew daemon listening on http:\/\/127\.0\.0\.1:\d+/, 'the daemon was started and logs to stderr');
  t.match(out, /Stack: quickstart/);
  t.match(out, /Plan: 6 to add, 0 to change, 0 to destroy\./, 'the plan is shown');
  t.match(out, /Apply complete! Resources: 6 added, 0 changed, 0 destroyed\./);
  t.match(out, /app_key_id = "[0-9a-f-]{36}"/);
  t.match(out, /grant_id = "[0-9a-f]{64}"/, 'the grant to the quickstart user was created');
  t.match(out, /rotation_enabled\s+= true/, 'rotation is part of the plan');
  t.match(out, /app_user_id = "[0-9a-f]{32}"/, 'the grantee is a user the stack made');
  // issue 11.7: every dew command just works afterwards, with no extra variables
  const plan = spawnSync(process.execPath, [cli, 'plan', '-detailed-exitcode', join(process.cwd(), 'examples', 'quickstart')], { cwd: home, env, encoding: 'utf8' });
  t.equal(plan.status, 0, `dew plan examples/quickstart after dew quickstart: no changes, no error\n${plan.stdout}${plan.stderr}`);
  t.match(plan.stdout, /No changes\./);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C stops the daemon and quickstart exits 0');
  t.match(err, /dew daemon: stopped/);
});
