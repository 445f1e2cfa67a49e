/**
 * kill -9 during `dew apply` (of the daemon, or of the apply itself): every create records its intent first,
 * so the next plan adopts what the dead apply made and says so, and the next apply finishes without a second
 * object, a KMS.1104 or a hand import. Real daemon processes on one database, the real `dew` process.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { dewRunner } from './harness.js';

const N = 40;
const USERS = 3;
const STACK = 'killed';
const HCL = `dew {
  stack = "${STACK}"
}

resource "dew_kms_key" "k" {
  count     = ${N}
  key_alias = "kill-\${count.index}"
}

resource "dew_kms_alias" "a" {
  count  = ${N}
  key_id = dew_kms_key.k[count.index].key_id
  alias  = "alias/kill-\${count.index}"
}

resource "dew_iam_user" "u" {
  count = ${USERS}
  name  = "kill-user-\${count.index}"
  roles = ["KMS ReadOnlyAccess"]
}
`;

interface Teardown {
  teardown(fn: () => unknown): void;
}

const clientOf = (d: DaemonProcess) => new DewClient({ endpoint: d.url, projectId: d.credentials.project_id, accessKey: d.credentials.access_key, secretKey: d.credentials.secret_key });

async function keysOf(d: DaemonProcess): Promise<{ key_id: string; key_alias: string }[]> {
  const r = (await clientOf(d).kms('list-keys', { limit: '1000' })) as { key_details: { key_id: string; key_alias: string }[] };
  return r.key_details.filter((k) => k.key_alias.startsWith('kill-'));
}

/** A data folder for daemons that restart on it, and a config folder; both removed at teardown. */
function scene(t: Teardown) {
  const home = mkdtempSync(join(tmpdir(), 'dew-killed-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const dataDir = join(home, 'data');
  const dir = join(home, STACK);
  mkdirSync(dataDir, { mode: 0o700 });
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), HCL);
  const env = { DEW_CREDENTIALS: join(dataDir, 'credentials.json'), NO_COLOR: '1', USER: 'e2e' };
  const daemon = () => startDaemonProcess(t, ['--key-quota', '500'], {}, { dataDir });
  return { dir, env, daemon, dew: dewRunner(dir, env) };
}

/**
 * `dew apply -auto-approve` as its own process; stopped at teardown if still running. `keysCreated(n)`
 * resolves true once it has printed n key creations (each printed after the daemon answered), false
 * if it exits first: the test waits on the apply's own output rather than polling the daemon.
 */
function spawnApply(t: Teardown, dir: string, env: Record<string, string>): { child: ChildProcess; exited: Promise<void>; output: () => string; keysCreated: (n: number) => Promise<boolean> } {
  const child = spawn(process.execPath, [cli, 'apply', '-auto-approve', '-parallelism', '10'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiting: { n: number; resolve: (ok: boolean) => void }[] = [];
  const created = () => (output.match(/^dew_kms_key\.k\[\d+\]: Creation complete/gm) ?? []).length;
  const settle = (ended: boolean) => {
    for (const w of waiting.splice(0)) {
      if (ended || created() >= w.n) w.resolve(created() >= w.n);
      else waiting.push(w);
    }
  };
  child.stdout!.on('data', (c: Buffer) => {
    output += c;
    settle(false);
  });
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let closed = false;
  // 'close': after the last output was read.
  child.once('close', () => {
    closed = true;
    settle(true);
  });
  const keysCreated = (n: number) => (closed || created() >= n ? Promise.resolve(created() >= n) : new Promise<boolean>((resolve) => waiting.push({ n, resolve })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, exited, output: () => output, keysCreated };
}

type StackBody = { stack: { lock: { id: string } | null; objects: { address: string; object_id: string; pending?: { object_id: string | null } }[] } };

/**
 * The stack and the keys once the requests the dead apply had sent are all answered: a request the
 * daemon had read before its client died still runs to the end (its change, its audit record, the
 * other workers' barrier), so the two are read until two reads 100 ms apart agree.
 */
async function settled(d: DaemonProcess): Promise<{ stack: StackBody; keys: { key_id: string; key_alias: string }[] }> {
  const read = async () => ({ stack: (await clientOf(d).request('GET', `/v1.0/{project_id}/dew/stacks/${STACK}`, undefined, { limit: '1000' })).body as StackBody, keys: await keysOf(d) });
  let last = await read();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await read();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
}

/** What the interrupted apply left: keys the daemon has that the stack does not record, and the lock. */
async function aftermath(t: Test, d: DaemonProcess) {
  const { stack, keys } = await settled(d);
  const recorded = new Set(stack.stack.objects.filter((o) => !o.pending).map((o) => o.object_id));
  const stranded = keys.filter((k) => !recorded.has(k.key_id));
  const pending = stack.stack.objects.filter((o) => o.pending);
  t.comment(`${keys.length} keys made, ${stranded.length} not recorded, ${pending.length} pending entries`);
  t.ok(keys.length > 0 && keys.length < N, `the apply was cut short (${keys.length} of ${N} keys made)`);
  for (const k of stranded) t.ok(pending.some((o) => o.pending?.object_id === k.key_id), `the unrecorded key ${k.key_alias} is found through its pending entry`);
  return { stranded, lock: stack.stack.lock };
}

/** The next plan adopts and says so (and that the dead apply holds the lock); after force-unlock the next apply finishes cleanly. */
async function recover(t: Test, s: ReturnType<typeof scene>, d: DaemonProcess, stranded: { key_id: string; key_alias: string }[]) {
  const plan = await s.dew('plan');
  t.equal(plan.code, 0, plan.err);
  const m = /Note: stack "killed" is locked by \S+@\S+ \(apply\) since \S+, lock ID (\S+)\./.exec(plan.err);
  t.ok(m, `dew plan says the stack is locked and by whom: ${plan.err}`);
  t.match(plan.err, /release the lock with: dew force-unlock \S+/);
  for (const k of stranded) {
    const i = k.key_alias.slice('kill-'.length);
    t.match(plan.out, `dew_kms_key.k[${i}]: adopting key ${k.key_id} created by an interrupted apply`, `the plan adopts k[${i}] and says so`);
  }
  if (stranded.length) t.match(plan.out, new RegExp(`Plan: \\d+ to add, \\d+ to change, 0 to destroy, \\d+ to adopt\\.`));
  t.equal((await s.dew('force-unlock', '-force', m![1])).code, 0);

  const a = await s.dew('apply', '-auto-approve');
  t.equal(a.code, 0, `the next apply succeeds: ${a.err}`);
  t.notMatch(a.out + a.err, /KMS\.1104/, 'no alias conflicts');
  t.notMatch(a.err, /Skipped/, 'nothing skipped');
  for (const k of stranded) t.match(a.out, `dew_kms_key.k[${k.key_alias.slice('kill-'.length)}]: Adopted [id=${k.key_id}]`);

  const list = (await s.dew('state', 'list')).out.split('\n').filter(Boolean);
  t.equal(list.length, 2 * N + USERS, 'every resource is in the stack');
  const keys = await keysOf(d);
  t.equal(keys.length, N, 'one key per instance: nothing made twice');
  t.equal(new Set(keys.map((k) => k.key_alias)).size, N);
  const aliases = (await clientOf(d).request('GET', '/v1.0/{project_id}/kms/aliases', undefined, { limit: '100' })).body as { aliases: { alias: string }[] };
  t.equal(aliases.aliases.filter((x) => x.alias.startsWith('alias/kill-')).length, N, 'one alias per instance');
  const users = (await clientOf(d).request('GET', '/v1.0/{project_id}/dew/iam/users')).body as { users: { name: string }[] };
  t.equal(users.users.filter((u) => u.name.startsWith('kill-user-')).length, USERS, 'one user per instance');
  const again = await s.dew('plan', '-detailed-exitcode');
  t.equal(again.code, 0, `and the configuration now matches: ${again.out}`);
}

t.test('kill -9 of the daemon mid-apply: after a restart on the same database the plan adopts, the apply finishes', async (t) => {
  const s = scene(t);
  const d1 = await s.daemon();
  const run = spawnApply(t, s.dir, s.env);
  t.ok(await run.keysCreated(10), 'the apply printed ten key creations', { output: run.output() });
  t.ok((await keysOf(d1)).length >= 10, 'and the daemon has them');
  d1.child.kill('SIGKILL');
  await new Promise<void>((r) => (d1.child.exitCode !== null || d1.child.signalCode !== null ? r() : d1.child.once('exit', () => r())));
  await run.exited;
  t.not(run.child.exitCode, 0, 'the apply fails once its daemon is gone');
  const d2 = await s.daemon();
  const { stranded, lock } = await aftermath(t, d2);
  t.ok(lock, 'the dead daemon could not take the lock back from the apply');
  await recover(t, s, d2, stranded);
});

t.test('kill -9 of `dew apply` mid-apply: the next plan adopts what it made, the next apply finishes', async (t) => {
  const s = scene(t);
  const d = await s.daemon();
  const run = spawnApply(t, s.dir, s.env);
  t.ok(await run.keysCreated(10), 'the apply printed ten key creations', { output: run.output() });
  t.ok((await keysOf(d)).length >= 10, 'and the daemon has them');
  run.child.kill('SIGKILL');
  await run.exited;
  const { stranded, lock } = await aftermath(t, d);
  t.ok(lock, 'the killed apply still holds the lock');
  await recover(t, s, d, stranded);
});
