/** `dew daemon` and `dew kms` as real processes: start, bootstrap files, CLI calls, graceful SIGTERM, restart. */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../../provider/client/signer.js';

const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

/** A daemon process; `exited` settles with its exit code whenever it exits (even before anyone waits for it). */
function startDaemon(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; log: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c) => (log += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${log}`)), 15_000);
    child.stderr?.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], log: () => log, exited });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited ${code}: ${log}`));
    });
  });
}

/** One POST on its own connection; settles with the status, or 0 when the connection ends without an answer. */
function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(res.statusCode ?? 0));
      res.once('close', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', () => resolve(0));
    req.once('close', () => setImmediate(() => resolve(0)));
    req.end(body);
  });
}

/** Waits for `p`, holding the event loop open, and names what was awaited if it takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()}: not settled after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function dew(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

t.test('the daemon and the CLI as a user runs them', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'dew-cli-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const dataDir = join(home, '.dew');
  let d = await startDaemon(dataDir);
  t.teardown(() => {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
  });
  const credPath = join(dataDir, 'credentials.json');
  const creds = JSON.parse(readFileSync(credPath, 'utf8'));
  t.equal(statSync(credPath).mode & 0o777, 0o600);
  t.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  t.equal(creds.endpoint, d.url);
  t.notOk(d.log().includes(creds.secret_key), 'the secret key is not printed');

  // From the folder holding .dew/, `dew kms` finds the credentials by itself.
  const created = dew(['kms', 'create-key', '--key-alias', 'app'], home);
  t.equal(created.code, 0, created.err);
  t.match(created.json().key_info.key_id, /^[0-9a-f-]{36}$/);
  const enc = dew(['kms', 'encrypt-data', '--key-id', 'app', '--plain-text', 'hi'], home);
  const kept = dew(['kms', 'encrypt-data', '--key-id', 'csms/default', '--plain-text', 'kept'], home);
  t.equal(enc.code, 0, enc.err);
  const dec = dew(['kms', 'decrypt-data', '--cipher-text', enc.json().cipher_text], home);
  t.equal(dec.json().plain_text, 'hi');
  const sched = dew(['kms', 'schedule-key-deletion', '--key-id', 'app', '--pending-days', '7'], home);
  t.equal(sched.json().key_state, '4');
  const quotas = dew(['kms', 'user-quotas'], home);
  t.equal(quotas.json().quotas.resources[0].used, 1);
  const bad = dew(['kms', 'schedule-key-deletion', '--key-id', 'app', '--pending-days', '3'], home);
  t.equal(bad.code, 1);
  t.match(JSON.parse(bad.err), { status: 400, error_code: 'KMS.1401' });
  const again402 = dew(['kms', 'schedule-key-deletion', '--key-id', 'app', '--pending-days', '8'], home);
  t.match(JSON.parse(again402.err), { status: 400, error_code: 'KMS.1402' });
  const other = mkdtempSync(join(tmpdir(), 'dew-cli-other-'));
  t.teardown(() => rmSync(other, { recursive: true, force: true }));
  const viaEnv = dew(['kms', 'gen-random', '--random-data-length', '64'], other, {
    DEW_ENDPOINT: creds.endpoint,
    DEW_ACCESS_KEY: creds.access_key,
    DEW_SECRET_KEY: creds.secret_key,
    DEW_PROJECT_ID: creds.project_id,
  });
  t.equal(viaEnv.code, 0, viaEnv.err);
  const viaFlag = dew(['kms', 'gen-random', '--random-data-length', '64', '--credentials', credPath], other);
  t.equal(viaFlag.code, 0, viaFlag.err);
  const none = dew(['kms', 'gen-random', '--random-data-length', '64'], other);
  t.equal(none.code, 1);
  t.match(none.err, /dew daemon/, 'a hint says how to get credentials: ' + none.err);
  const bare = dew(['auth', 'token'], home);
  t.equal(bare.code, 0, bare.err);
  const token = bare.out.trim();
  t.match(token, /^[A-Za-z0-9._~+/=-]{20,}$/, 'dew auth token prints the bare token, ready for DEW_TOKEN="$(dew auth token)"');
  t.equal(dew(['auth', 'token', '-json'], home).json().token === undefined, false, '-json prints the object with the token');
  const withToken = dew(['kms', 'gen-random', '--random-data-length', '8'], home, { DEW_TOKEN: token });
  t.equal(withToken.code, 0, withToken.err);
  // with credentials only (no --db), audit verify asks the running daemon (GET …/dew/audit/verify)
  const verified = dew(['audit', 'verify'], home);
  t.equal(verified.code, 0, verified.err);
  t.equal(verified.json().ok, true, 'the daemon verified the trail');
  // The last calls, newest first: the verify just above, the gen-random made with the token, …
  const latest = dew(['audit', 'list', '--newest-first', '--limit', '3', '--json'], home);
  t.equal(latest.code, 0, latest.err);
  const ops = latest.json() as { operation: string; seq: number }[];
  t.equal(ops.length, 3, '--limit 3');
  t.ok(ops[0].seq > ops[1].seq && ops[1].seq > ops[2].seq, '--newest-first: in falling trail order');
  t.same(ops.slice(0, 2).map((r) => r.operation), ['verify-audit', 'gen-random'], 'the latest calls first');
  const keyUsage = dew(['audit', 'usage', '--key', 'app', '--days', '2'], home);
  t.equal(keyUsage.code, 0, keyUsage.err);
  t.equal(keyUsage.json().per_day.length, 2, 'dew audit usage --days 2: two days of counts');

  // SIGTERM while requests are in flight: every answered request succeeded, and the daemon exits 0.
  const url = `${d.url}/v1.0/${creds.project_id}/kms/encrypt-data`;
  const body = JSON.stringify({ key_id: 'csms/default', plain_text: 'in flight' });
  const headers = { 'content-type': 'application/json' };
  const send = () => post(url, { ...headers, ...signRequest({ method: 'POST', url, headers, body }, { accessKey: creds.access_key, secretKey: creds.secret_key }) }, body);
  const inflight = Array.from({ length: 40 }, send);
  await new Promise((r) => setTimeout(r, 5));
  t.equal(d.child.exitCode, null, `the daemon still runs before SIGTERM (log: ${d.log()})`);
  d.child.kill('SIGTERM');
  const statuses = await within(Promise.all(inflight), 20_000, () => 'the in-flight requests');
  t.equal(await within(d.exited, 20_000, () => `the daemon's exit after SIGTERM (log: ${d.log()})`), 0, 'exit code 0 after SIGTERM');
  t.ok(statuses.filter((s) => s !== 0).every((s) => s === 200), `answered requests succeeded: ${statuses.join(',')}`);
  t.match(d.log(), /SIGTERM, finishing in-flight requests[\s\S]*stopped/);

  // A restart reuses the credentials and everything still decrypts.
  d = await startDaemon(dataDir);
  const again = JSON.parse(readFileSync(credPath, 'utf8'));
  t.equal(again.access_key, creds.access_key);
  t.equal(again.secret_key, creds.secret_key);
  const after = dew(['kms', 'decrypt-data', '--cipher-text', kept.json().cipher_text], home);
  t.equal(after.code, 0, after.err);
  t.equal(after.json().plain_text, 'kept');
  d.child.kill('SIGINT');
  t.equal(await within(d.exited, 20_000, () => `the daemon's exit after SIGINT (log: ${d.log()})`), 0, 'exit code 0 after SIGINT');
});

t.test('a wrong passphrase refuses to start, with the reason', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-pass-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const d = await startDaemon(dataDir, { DEW_MASTER_PASSPHRASE: 'right one' });
  d.child.kill('SIGTERM');
  await within(d.exited, 20_000, () => `the daemon's exit after SIGTERM (log: ${d.log()})`);
  const r = spawnSync(process.execPath, [cli, 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...process.env, DEW_MASTER_PASSPHRASE: 'wrong one' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(r.status, 2);
  t.match(r.stderr, /wrong passphrase/);
  const bad = spawnSync(process.execPath, [cli, 'daemon', '--listen', 'nonsense'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--listen: HOST:PORT or :PORT expected, got nonsense/);
});

/** A TCP server holding a free loopback port, closed by the test. */
async function holdPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  return (server.address() as { port: number }).port;
}

/** A child run to its end without blocking the event loop (the port holder must keep answering). */
function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const done = new Promise<{ code: number | null; out: string; err: string }>((r) => child.once('exit', (code) => r({ code, out, err })));
  return within(done, 60_000, () => `dew ${args.join(' ')} (stderr so far: ${err})`).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

t.test('a port in use: one line naming the address, and the daemon exits at once', async (t) => {
  const port = await holdPort(t);
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-busy-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  for (const [args, env] of [
    [['--listen', `127.0.0.1:${port}`], {}],
    [[], { DEW_LISTEN: `:${port}` }],
  ] as [string[], Record<string, string>][]) {
    const r = await run(['daemon', '--data-dir', dataDir, ...args], dataDir, env);
    t.equal(r.code, 2, `exits 2 (${r.err})`);
    t.equal(r.err, `dew daemon: 127.0.0.1:${port} is already in use (EADDRINUSE); pick another with --listen HOST:PORT or DEW_LISTEN\n`, 'one line, naming the address and what to do');
  }
});

t.test('dew quickstart on a busy port says so and how to pick another', async (t) => {
  const port = await holdPort(t);
  const home = mkdtempSync(join(tmpdir(), 'dew-busy-qs-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  for (const [args, env] of [
    [['--listen', `127.0.0.1:${port}`], {}],
    [[], { DEW_LISTEN: `127.0.0.1:${port}` }],
  ] as [string[], Record<string, string>][]) {
    const r = await run(['quickstart', '--data-dir', join(home, '.dew'), '--no-daemon-wait', ...args], home, env);
    t.equal(r.code, 1, r.err);
    t.match(r.err, `Error: 127.0.0.1:${port} is already in use, so the dew daemon could not start`);
    t.match(r.err, `Pick another port: dew quickstart --listen 127.0.0.1:${port + 1} (or DEW_LISTEN=127.0.0.1:${port + 1} dew quickstart)`);
    t.notMatch(r.err, /healthz|unexpected error|^\s+at /m, 'no wait for /healthz, no trace');
  }
});

t.test('--listen :0 and :PORT serve on 127.0.0.1, and the start line names the bound address', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-colon-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [cli, 'daemon', '--listen', ':0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  child.stderr.on('data', (c) => (log += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await within(
    new Promise<string>((resolve, reject) => {
      child.stderr.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(log);
        if (m) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`daemon exited ${code}: ${log}`)));
    }),
    60_000,
    () => `the start line (log: ${log})`,
  );
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback, with the port the system picked');
  t.not(url, 'http://127.0.0.1:0');
  const health = await fetch(`${url}/healthz`);
  t.equal(health.status, 200);
  t.equal(JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')).endpoint, url, 'credentials.json names it too');
  child.kill('SIGTERM');
  t.equal(await within(exited, 20_000, () => `the exit after SIGTERM (log: ${log})`), 0);

  // :PORT is loopback too: a port held on 127.0.0.1 is the one it collides with.
  const port = await holdPort(t);
  const r = await run(['daemon', '--listen', `:${port}`, '--data-dir', dataDir], dataDir);
  t.match(r.err, `127.0.0.1:${port} is already in use`);
});
