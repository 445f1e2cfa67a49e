/**
 * `dew operator …` as an operator types it, through the executable (dist/) against a real daemon
 * process started with --seal shamir: status, init, unseal from stdin and as an argument (progress,
 * a refused share), seal with the admin's credentials, and a shamir rekey whose new shares are
 * given back on stdin before it commits. What is printed is what the README's session shows.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startDaemonProcess } from '../helpers/daemon-process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `dew ARGS` with stdin a pipe, as in a script: `input` is piped in, or `feed` answers each
 * question (asked on stderr when stdin is not a terminal) seeing stdout so far.
 */
function dew(args: string[], env: Record<string, string>, input: string | ((stdout: string, question: string, write: (line: string) => void) => void) = ''): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
    if (typeof input === 'function') input(stdout, stderr, (line) => child.stdin.write(line + '\n'));
  });
  if (typeof input === 'string') child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

t.test('an operator session', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-operator-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const d = await startDaemonProcess(t, ['--seal', 'shamir'], {}, { dataDir });
  const env = { DEW_ENDPOINT: d.url };

  let r = await dew(['operator', 'status'], env);
  t.equal(r.code, 0);
  t.equal(r.stdout, 'Mode:        shamir\nInitialised: no\nSealed:      yes (uninitialised)\n');

  r = await dew(['operator', 'init', '--shares', '3', '--threshold', '1'], env);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'Error: DEW.1001: Invalid threshold: at least 2 (with 1, each share would be the master key itself).\n');

  r = await dew(['operator', 'init', '--shares', '3', '--threshold', '2'], env);
  t.equal(r.code, 0, r.stderr);
  const shares = [...r.stdout.matchAll(/^Key share \d: (dew1-\S+)$/gm)].map((m) => m[1]!);
  t.equal(shares.length, 3);
  t.match(r.stdout, /The master key is split into 3 shares; any 2 of them rebuild it\.\nThese shares are shown once and dew keeps none of them: give each to a different person and store\nthem apart/);
  t.comment(r.stdout.replace(/dew1-\S+/g, 'dew1-…'));

  r = await dew(['operator', 'unseal', '--json'], env, `${shares[0]!}\n`);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { sealed: true, progress: 1, threshold: 2 }, 'a share piped in: no question asked, stdout is the JSON alone');
  t.equal(r.stdout[0], '{', 'not even a blank line before it');
  t.equal(r.stderr, 'Key share (0 of 2 given): \n', 'the question and its line end on stderr');
  r = await dew(['operator', 'unseal', shares[0]!], env);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'Error: DEW.1003: Share 1 was already given (1 of 2 shares given); give a different share.\n');
  r = await dew(['operator', 'unseal', 'dew1-not-a-share'], env);
  t.match(r.stderr, /^Error: DEW\.1002: Invalid share: not a dew key share: .*; nothing was counted\.\n$/);
  r = await dew(['operator', 'status'], env);
  t.equal(r.stdout, 'Mode:        shamir\nInitialised: yes\nSealed:      yes\nShares:      3 (threshold 2)\nProgress:    1 of 2 shares given\n');

  r = await dew(['operator', 'unseal', shares[2]!], env);
  t.equal(r.stdout, 'Unsealed: the master key is rebuilt and the daemon serves (2 of 2 shares given).\n');
  const creds = { DEW_CREDENTIALS: join(dataDir, 'credentials.json') };
  r = await dew(['kms', 'create-key', '--key-alias', 'app'], creds);
  t.equal(r.code, 0, r.stderr);

  r = await dew(['operator', 'rekey', '--to', 'shamir', '--shares', '3', '--threshold', '2'], creds, (out, asked, write) => {
    const fresh = [...out.matchAll(/^New key share \d: (dew1-\S+)$/gm)].map((m) => m[1]!);
    if (asked.endsWith('(0 of 2 given back): ')) write(fresh[1]!);
    if (asked.endsWith('(1 of 2 given back): ')) write(fresh[0]!);
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Nothing is changed yet: give back 2 of the new shares to confirm they were kept; the rekey commits then\.\n/);
  t.match(r.stdout, /Rekeyed: the master key is now split into the new shares\. The old shares no longer unseal this daemon\.\n/);
  const newShares = [...r.stdout.matchAll(/^New key share \d: (dew1-\S+)$/gm)].map((m) => m[1]!);
  t.comment(r.stdout.replace(/dew1-\S+/g, 'dew1-…'));

  r = await dew(['operator', 'seal'], creds);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'Sealed: the services are stopped and the master key wiped from memory; every API call answers 503 until 2 shares are given with `dew operator unseal`.\n');
  r = await dew(['kms', 'list-keys'], creds);
  t.equal(r.code, 1);
  t.match(r.stderr, /DEW\.0503/);
  t.match(r.stderr, /the daemon is sealed: give 2 key shares with `dew operator unseal` \(0 of 2 shares given\)/);
  r = await dew(['operator', 'unseal', shares[0]!], env);
  t.match(r.stderr, /^Error: DEW\.1004: Invalid share: it belongs to another split/, 'an old share after the rekey');
  await dew(['operator', 'unseal', newShares[2]!], env);
  r = await dew(['operator', 'unseal', newShares[0]!], env);
  t.match(r.stdout, /^Unsealed/);
  r = await dew(['kms', 'list-keys'], creds);
  t.equal(r.code, 0, 'serving again with the same credentials');
  t.notOk(d.log().includes(shares[1]!.slice(5, 40)) || d.log().includes(newShares[1]!.slice(5, 40)), 'no share in the daemon log');
});
