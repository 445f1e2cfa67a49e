/**
 * `dew daemon --workers N` (node:cluster) as the executable runs it: two workers serve the KMS
 * operations on one port, a key disabled through one connection is refused on fresh connections
 * to every worker, kill -9 of a worker under load loses no acknowledged ciphertext while the other
 * serves and the primary restarts it, SIGTERM drains and exits 0, and the usage errors.
 */
import t from 'tap';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemonProcess, cli, type DaemonProcess } from '../helpers/daemon-process.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { DewApiError } from '../../provider/client/errors.js';
import { eventually, databaseFor } from '../helpers/daemon.js';
import { createClient } from '@libsql/client';

type Any = Record<string, any>;

/** The pids `answered` heard in x-dew-worker (DEW_DEBUG_WORKER=1 only). */
interface Seen {
  pids: string[];
}

/** A fetch that opens a fresh connection for every request (no keep-alive pool), so successive calls land on different workers. */
function freshFetch(seen: Seen): typeof fetch {
  return ((url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) =>
    new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method, headers: init.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const pid = res.headers['x-dew-worker'];
          if (typeof pid === 'string') seen.pids.push(pid);
          const headers = Object.entries(res.headers).filter((e): e is [string, string] => typeof e[1] === 'string');
          resolve(new Response(chunks.length ? Buffer.concat(chunks) : null, { status: res.statusCode, headers }));
        });
      });
      req.on('error', reject);
      init.signal?.addEventListener('abort', () => req.destroy(new Error('timed out')), { once: true });
      req.end(init.body);
    })) as unknown as typeof fetch;
}

/** The global (keep-alive) fetch, noting the worker of each answer. */
function pooledFetch(seen: Seen): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    const r = await fetch(url, init);
    const pid = r.headers.get('x-dew-worker');
    if (pid) seen.pids.push(pid);
    return r;
  }) as unknown as typeof fetch;
}

function clientOf(d: DaemonProcess, f: typeof fetch, timeoutMs?: number): DewClient {
  const c = d.credentials;
  return new DewClient({ endpoint: d.url, projectId: c.project_id, accessKey: c.access_key, secretKey: c.secret_key, fetch: f, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** The worker processes of a primary, from /proc. */
function workerPids(primary: number): number[] {
  const path = `/proc/${primary}/task/${primary}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof DewApiError) return err.code;
    throw err;
  }
}

function dewAudit(dbUrl: string) {
  return spawnSync(process.execPath, [cli, 'audit', 'verify', '--db', dbUrl], { encoding: 'utf8' });
}

t.test('two workers serve the KMS operations; a key disabled through one connection is refused on every worker; the audit chains verify', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-workers-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // A sync interval of an hour: whatever another worker sees at once, the write barrier brought it.
  const d = await startDaemonProcess(t, ['--workers', '2', '--sync-interval', '3600000'], { DEW_DEBUG_WORKER: '1' }, { dataDir });
  const health = await fetch(`${d.url}/healthz`);
  t.same(await health.json(), { status: 'ok', workers: 2 }, '/healthz says 2 workers');
  t.match(d.log(), /dew daemon listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers, database file:/, 'one line names the address and the workers');
  t.equal(d.log().match(/listening on/g)?.length, 1, 'the listening line is logged once');
  t.equal(d.log().match(/^credentials: /gm)?.length, 1, 'credentials.json is written once');
  t.equal((d.credentials as Any).endpoint, d.url, 'credentials.json names the shared address');
  t.equal(workerPids(d.child.pid!).length, 2, 'the primary has two worker processes');

  const seen: Seen = { pids: [] };
  const kms = (op: string, body: object = {}) => clientOf(d, freshFetch(seen)).kms(op, body) as Promise<Any>;
  const key = await kms('create-key', { key_alias: 'w-shared' });
  const keyId = key.key_info.key_id as string;
  const ct = await kms('encrypt-data', { key_id: 'w-shared', plain_text: 'across workers' });
  for (let i = 0; i < 6; i++) t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'across workers', `decrypt ${i} on a fresh connection`);
  const dk = await kms('create-datakey', { key_id: keyId, datakey_length: '256' });
  t.match(dk.plain_text, /^[0-9a-f]{64}$/, 'a 256-bit data key');
  for (let i = 0; i < 4; i++) {
    const back = await kms('decrypt-datakey', { key_id: keyId, cipher_text: dk.cipher_text, datakey_cipher_length: '32' });
    t.equal(back.data_key, dk.plain_text, `decrypt-datakey ${i} gives the data key back`);
  }
  t.equal(new Set(seen.pids).size, 2, 'fresh connections were answered by both workers');

  await kms('disable-key', { key_id: 'w-shared' });
  seen.pids = [];
  const codes: string[] = [];
  for (let i = 0; i < 10; i++) codes.push(await codeOf(kms('encrypt-data', { key_id: 'w-shared', plain_text: 'x' })));
  t.same(new Set(codes), new Set(['KMS.0209']), 'once disable-key answered, every fresh connection is refused KMS.0209 at once');
  t.equal(new Set(seen.pids).size, 2, 'by both workers');
  seen.pids = [];
  // Each write is seen by the next request on the other worker: alias, then the key enabled again.
  for (let i = 0; i < 4; i++) {
    await clientOf(d, freshFetch(seen)).request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: keyId, alias: `alias/w-${i}` });
    t.equal((await kms('describe-key', { key_id: `alias/w-${i}` })).key_info.key_id, keyId, `alias ${i} resolves on the next connection`);
  }
  await kms('enable-key', { key_id: keyId });
  for (let i = 0; i < 4; i++) t.ok((await kms('encrypt-data', { key_id: 'w-shared', plain_text: 'x' })).cipher_text, `enabled: encrypt ${i} on a fresh connection`);
  t.equal(new Set(seen.pids).size, 2, 'writes and reads landed on both workers');
  const rekey = await clientOf(d, freshFetch(seen)).request('POST', '/v1/sys/rekey', { to: 'dev' }).then(
    () => undefined,
    (e: DewApiError) => e,
  );
  t.equal(`${rekey?.status} ${rekey?.code}`, '409 DEW.1010', 'a rekey is refused in a cluster');
  t.match(rekey?.message, /runs in one process.*2 workers.*--workers 1.*Nothing was changed/, 'the refusal says how to rekey');
  // dew operator seal through one worker seals them all.
  await clientOf(d, freshFetch(seen)).request('POST', '/v1/sys/seal', {});
  seen.pids = [];
  t.ok(
    await eventually(async () => (await Promise.all(Array.from({ length: 6 }, () => codeOf(kms('describe-key', { key_id: keyId }))))).every((c) => c === 'DEW.0503')),
    'sealed through one worker: every connection is answered 503 DEW.0503',
  );
  t.equal(new Set(seen.pids).size, 2, 'by both workers');
  t.match(d.log(), /sealing every worker/, 'the primary logs it');

  await d.stop();
  const r = dewAudit(`file:${join(d.dataDir, 'dew.db')}`);
  t.equal(r.status, 0, r.stderr);
  const verdict = JSON.parse(r.stdout) as Any;
  t.equal(verdict.ok, true, 'the audit trail verifies');
  t.equal(verdict.chains, 1, 'one chain: the primary writes every worker\'s records');
  const db = createClient({ url: `file:${join(d.dataDir, 'dew.db')}` });
  t.teardown(() => db.close());
  const ops = (await db.execute('SELECT operation, outcome, count(*) AS n FROM audit_records GROUP BY operation, outcome')).rows.map((r) => `${r.operation} ${r.outcome} ${r.n}`);
  // Every call answered before the seal is on it, state changes (placed by the primary, written in the change's batch) and data-path calls alike.
  for (const want of ['create-key allowed 1', 'disable-key allowed 1', 'enable-key allowed 1', 'create-alias allowed 4', 'decrypt-data allowed 6', 'decrypt-datakey allowed 4', 'encrypt-data failed 10', 'describe-key allowed 4'])
    t.ok(ops.includes(want), `the chain holds ${want}`);
});

t.test('two workers on a sqld database', async (t) => {
  const dbUrl = await databaseFor(t, 'sqld');
  const d = await startDaemonProcess(t, ['--workers', '2', '--db', dbUrl, '--sync-interval', '50'], { DEW_DEBUG_WORKER: '1', DEW_MASTER_PASSPHRASE: 'workers on sqld' });
  t.match(d.log(), /\(2 workers, database http:/, 'the listening line names the workers and the database');
  const seen: Seen = { pids: [] };
  const kms = (op: string, body: object = {}) => clientOf(d, freshFetch(seen)).kms(op, body) as Promise<Any>;
  await kms('create-key', { key_alias: 'w-sqld' });
  const ct = await kms('encrypt-data', { key_id: 'w-sqld', plain_text: 'on sqld' });
  for (let i = 0; i < 6; i++) t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'on sqld', `decrypt ${i}`);
  t.equal(new Set(seen.pids).size, 2, 'both workers answered');
  await kms('disable-key', { key_id: 'w-sqld' });
  t.ok(
    await eventually(async () => (await Promise.all(Array.from({ length: 8 }, () => codeOf(kms('encrypt-data', { key_id: 'w-sqld', plain_text: 'x' }))))).every((c) => c === 'KMS.0209')),
    'a disabled key is refused on every connection',
  );
  // The primary writes the one chain on sqld too (no writer thread there: its own connection).
  const listed = (await clientOf(d, freshFetch(seen)).request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: '1000' })).body as { records: Any[] };
  t.equal(new Set(listed.records.map((r) => r.chain_id)).size, 1, 'the records listed through a worker are on one chain');
  t.ok(listed.records.some((r) => r.operation === 'disable-key') && listed.records.filter((r) => r.operation === 'decrypt-data').length === 6, 'with the state changes and the data-path calls of both workers');
  const v = (await clientOf(d, freshFetch(seen)).request('GET', '/v1.0/{project_id}/dew/audit/verify')).body as Any;
  t.match(v, { ok: true, chains: 1 }, 'and it verifies through the API');
});

t.test('kill -9 of one worker under load: acknowledged ciphertexts decrypt, the other worker serves, the primary restarts the dead one', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-workers-kill-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const d = await startDaemonProcess(t, ['--workers', '2'], { DEW_DEBUG_WORKER: '1' }, { dataDir });
  const seen: Seen = { pids: [] };
  // A connection handed to the worker as it is killed may never be answered: each attempt gives up after 5 s.
  const client = clientOf(d, pooledFetch(seen), 5000);
  await client.kms('create-key', { key_alias: 'w-load' });
  const [victim, survivor] = workerPids(d.child.pid!);
  const acked: { pt: string; ct: string; pid: string; afterKill: boolean }[] = [];
  let killed = false;
  let stop = false;
  let failures = 0;
  // Eight loops, each on its own fresh connections (spread over both workers), and one on the pool.
  const loop = async (n: number) => {
    const own: Seen = { pids: [] };
    const c = n === 0 ? client : clientOf(d, freshFetch(own), 5000);
    for (let i = 0; !stop; i++) {
      const pt = `p-${n}-${i}`;
      const afterKill = killed;
      try {
        const r = (await c.kms('encrypt-data', { key_id: 'w-load', plain_text: pt })) as Any;
        acked.push({ pt, ct: r.cipher_text, pid: (n === 0 ? seen : own).pids.at(-1) ?? '', afterKill });
      } catch (err) {
        failures++;
        t.comment(`loop ${n}: ${(err as Error).message}`);
      }
    }
  };
  const loops = Promise.all(Array.from({ length: 8 }, (_, n) => loop(n)));
  t.ok(await eventually(async () => acked.length >= 200), 'load runs');
  process.kill(victim, 'SIGKILL');
  killed = true;
  t.ok(await eventually(async () => /worker died/.test(d.log())), 'the primary logs the death');
  t.ok(await eventually(async () => workerPids(d.child.pid!).filter((p) => p !== victim).length === 2), 'and starts a new worker');
  const replacement = workerPids(d.child.pid!).find((p) => p !== survivor)!;
  t.ok(await eventually(async () => acked.some((a) => a.pid === String(replacement))), 'the new worker serves');
  stop = true;
  await loops;
  t.ok(acked.some((a) => a.afterKill && a.pid === String(survivor)), 'the other worker kept serving after the kill');
  t.comment(`${acked.length} acknowledged, ${failures} failed calls (connections to the killed worker)`);

  const line = d.log().split('\n').find((l) => l.includes('worker died'))!;
  t.match(JSON.parse(line), { level: 'warn', pid: victim, signal: 'SIGKILL', code: null }, 'one JSON warn line with the pid and the signal');

  const bad: string[] = [];
  for (let i = 0; i < acked.length; i += 32) {
    await Promise.all(
      acked.slice(i, i + 32).map(async (a) => {
        const r = (await client.kms('decrypt-data', { cipher_text: a.ct })) as Any;
        if (r.plain_text !== a.pt) bad.push(a.pt);
      }),
    );
  }
  t.same(bad, [], `all ${acked.length} acknowledged ciphertexts decrypt`);
  // The killed worker's last records in flight are lost (as a killed daemon's are), but the primary's chain stays whole.
  await d.stop();
  const r = dewAudit(`file:${join(dataDir, 'dew.db')}`);
  t.match(JSON.parse(r.stdout), { ok: true, chains: 1 }, 'after the kill the one chain still verifies');
});

t.test('SIGTERM drains the workers (a request in flight is answered) and exits 0; no debug header by default', async (t) => {
  const d = await startDaemonProcess(t, ['--workers', '2']);
  const workers = workerPids(d.child.pid!);
  t.equal(workers.length, 2);
  const plain = await fetch(`${d.url}/healthz`);
  t.equal(plain.headers.get('x-dew-worker'), null, 'no x-dew-worker header without DEW_DEBUG_WORKER');
  // A request whose body is still coming when the signal arrives.
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${d.url}/v1.0/none/kms/describe-key`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '2' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.write('{');
    req.once('socket', (s) =>
      s.once('connect', () => {
        setTimeout(() => {
          const exit = new Promise<number | null>((r) => d.child.once('exit', (code) => r(code)));
          d.child.kill('SIGTERM');
          void eventually(async () => /finishing in-flight requests/.test(d.log())).then(() => req.end('}'));
          exitCode = exit;
        }, 200);
      }),
    );
  });
  let exitCode: Promise<number | null> | undefined;
  const r = await answered;
  t.equal(r.status, 401, 'the request in flight got its answer (an unsigned call: 401)');
  t.equal(await exitCode, 0, 'the primary exits 0');
  t.match(d.log(), /SIGTERM, finishing in-flight requests[\s\S]*dew daemon: stopped/);
  t.same(workers.filter(alive), [], 'no worker is left');
});

t.test('--workers usage errors, and the shamir seal mode in one process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dew-workers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [cli, 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  for (const [args, env] of [[['--workers', '0'], {}], [['--workers', '65'], {}], [['--workers', 'two'], {}], [[], { DEW_WORKERS: '1.5' }]] as const) {
    const r = run([...args], env);
    t.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: exit 2`);
    t.match(r.stderr, /--workers: 1 to 64 processes expected/, 'says the range');
  }
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => holder.close());
  const busy = run(['--workers', '2', '--listen', `127.0.0.1:${(holder.address() as AddressInfo).port}`]);
  t.equal(busy.status, 2, 'a port in use with --workers 2: exit 2');
  t.match(busy.stderr, /is already in use \(EADDRINUSE\)/, 'one line says so');
  t.equal(busy.stderr.match(/already in use/g)?.length, 1, 'once');

  const shamir = run(['--seal', 'shamir', '--workers', '2']);
  t.equal(shamir.status, 2, 'shamir with --workers 2: refused');
  t.match(shamir.stderr, /shamir seal mode runs one process/, 'naming the reason');

  const d = await startDaemonProcess(t, ['--seal', 'shamir']);
  t.notMatch(d.log(), /workers/, 'shamir without --workers: one process');
  t.same(workerPids(d.child.pid!), [], 'no cluster');
  t.same(await (await fetch(`${d.url}/healthz`)).json(), { status: 'uninitialised' });
});

