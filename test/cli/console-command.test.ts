/**
 * `dew console` against a real daemon process: it prints a one-time URL (text or --json) that the
 * sign-in exchange accepts once; with a desktop (DISPLAY) it runs xdg-open on the URL unless
 * --no-open, and a missing xdg-open is a note, never a failure.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startDaemonProcess } from '../helpers/daemon-process.js';

t.test('dew console prints a link that signs in once, and opens it only with a desktop', async (t) => {
  const d = await startDaemonProcess(t, ['--schedule', 'off']);
  const home = mkdtempSync(join(tmpdir(), 'dew-console-cli-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  // A stand-in xdg-open that records the URL it was given.
  const bin = join(home, 'bin');
  const opened = join(home, 'opened.txt');
  spawnSync('mkdir', [bin]);
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> "${opened}"\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const base = { NO_COLOR: '1', DEW_CREDENTIALS: join(d.dataDir, 'credentials.json') };
  const dew = (env: Record<string, string>, ...argv: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'console', ...argv], { cwd: home, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const noDesktop = { PATH: `${bin}:${process.env.PATH ?? ''}` };

  const text = dew(noDesktop);
  t.equal(text.code, 0, text.err);
  const url = text.out.trim();
  t.match(url, new RegExp(`^${d.url.replace(/[.]/g, '\\.')}/console/#sign-in=[A-Za-z0-9_-]{43}$`), 'stdout is the URL alone');
  t.match(text.err, /works once/, 'stderr says how long it works');
  t.notOk(existsSync(opened), 'no desktop: no browser');

  const token = url.split('#sign-in=')[1];
  const exchange = () => fetch(`${d.url}/v1.0/dew/console/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sign_in_token: token }) });
  t.equal((await exchange()).status, 201, 'the link signs in');
  t.equal((await exchange()).status, 401, 'once');

  const json = dew(noDesktop, '--json');
  t.equal(json.code, 0, json.err);
  const parsed = JSON.parse(json.out) as { url: string; expires_at: string };
  t.match(parsed.url, /\/console\/#sign-in=/);
  t.ok(Date.parse(parsed.expires_at) > Date.now(), 'with its expiry');

  const withDesktop = { ...noDesktop, DISPLAY: ':99' };
  const kept = dew(withDesktop, '--no-open');
  t.equal(kept.code, 0, kept.err);
  t.notOk(existsSync(opened), '--no-open opens nothing');
  const open = dew(withDesktop);
  t.equal(open.code, 0, open.err);
  // xdg-open runs detached: wait for its line.
  for (let i = 0; i < 200 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(readFileSync(opened, 'utf8').trim(), open.out.trim(), 'with a desktop, xdg-open gets the URL');

  const missing = dew({ PATH: '/nonexistent', DISPLAY: ':99' });
  t.equal(missing.code, 0, 'no xdg-open is not a failure');
  t.match(missing.err, /could not start a browser/, 'it says so');
  t.match(missing.out, /\/console\/#sign-in=/, 'and the link is printed');

  const bad = dew(noDesktop, 'extra');
  t.equal(bad.code, 2, 'an unexpected argument is a usage error');
});
