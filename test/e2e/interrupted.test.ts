/**
 * Apply failures against a real daemon: independent work goes on, dependents are skipped (naming the instance
 * that failed), failures are reported together, and the stack stays truthful — also when the process is
 * killed mid-apply (test/e2e/killed-apply.test.ts kills daemon and apply under a larger stack).
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { world } from './harness.js';

t.test('failed nodes skip their dependents, independent work goes on, the next plan is truthful', async (t) => {
  const w = await world(t);
  // two aliases taken outside dew: both creates fail in the daemon (KMS.1104), not in validation
  await w.kms('create-key', { key_alias: 'taken-1' });
  await w.kms('create-key', { key_alias: 'taken-2' });
  w.write({
    'main.hcl': `resource "dew_kms_key" "bad1" {
  key_alias = "taken-1"
}

resource "dew_kms_key" "bad2" {
  key_alias = "taken-2"
}

resource "dew_kms_key" "child" {
  key_alias       = "child-of-bad1"
  key_description = dew_kms_key.bad1.key_id
}

resource "dew_kms_key" "ok" {
  count     = 3
  key_alias = "independent-\${count.index}"
}
`,
  });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 1);
  t.match(a.err, /Error: dew_kms_key\.bad1: KMS\.1104/);
  t.match(a.err, /Error: dew_kms_key\.bad2: KMS\.1104/, 'both failures reported together');
  t.match(a.err, /Skipped: dew_kms_key\.child, because dew_kms_key\.bad1 did not complete/);
  t.match(a.out, /Apply failed: 2 error\(s\), 1 skipped\. Resources: 3 added/);
  t.equal((await w.dew('state', 'list')).out, 'dew_kms_key.ok[0]\ndew_kms_key.ok[1]\ndew_kms_key.ok[2]\n', 'independent work recorded');
  const p = await w.dew('plan');
  t.match(p.out, /Plan: 3 to add, 0 to change, 0 to destroy\./, 'the next plan describes what is left');
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 2);
  const s = JSON.parse((await w.dew('show', '-json')).out);
  t.equal(s.stack.lock, null, 'the lock was released after the failed apply');
});

t.test('a skipped instance names the instance it waited for, not another instance of that resource', async (t) => {
  const w = await world(t);
  await w.kms('create-key', { key_alias: 'taken-m2' });
  w.write({
    'main.hcl': `resource "dew_kms_key" "m" {
  count     = 4
  key_alias = "taken-m\${count.index}"
}

resource "dew_kms_alias" "ma" {
  count  = 4
  key_id = dew_kms_key.m[count.index].key_id
  alias  = "alias/ma-\${count.index}"
}
`,
  });
  await w.kms('create-key', { key_alias: 'other' }); // an unrelated key: the stack must not mention it
  const a = await w.dew('apply', '-auto-approve', '-parallelism', '1');
  t.equal(a.code, 1);
  t.match(a.err, /Error: dew_kms_key\.m\[2\]: KMS\.1104/);
  t.equal((a.err.match(/Skipped: /g) ?? []).length, 1, 'only the alias of the failed key is skipped');
  t.match(a.err, /Skipped: dew_kms_alias\.ma\[2\], because dew_kms_key\.m\[2\] did not complete/);
  t.match(a.out, /Apply failed: 1 error\(s\), 1 skipped\. Resources: 6 added/);
  t.equal((await w.dew('state', 'list', 'dew_kms_alias.ma')).out, 'dew_kms_alias.ma[0]\ndew_kms_alias.ma[1]\ndew_kms_alias.ma[3]\n', 'the other aliases did not wait for m[2]');
});

t.test('killing `dew apply` mid-way leaves a stack the next plan describes truthfully', async (t) => {
  const w = await world(t);
  const n = 40;
  w.write({ 'main.hcl': `dew {\n  stack = "killed"\n}\n\nresource "dew_kms_key" "k" {\n  count     = ${n}\n  key_alias = "killed-\${count.index}"\n}\n` });
  const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');
  const child = spawn(process.execPath, [cli, 'apply', '-auto-approve', '-parallelism', '1'], { cwd: w.dir, env: { ...process.env, ...w.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      if ((out.match(/Creation complete/g) ?? []).length >= 5 && child.exitCode === null) child.kill('SIGKILL');
    });
    child.once('exit', () => resolve());
  });
  const recorded = (await w.dew('state', 'list')).out.split('\n').filter(Boolean);
  t.ok(recorded.length >= 5 && recorded.length < n, `some keys recorded (${recorded.length})`);
  const keys = (await w.td.client.kms('list-keys', { limit: '1000' })) as { key_details: { key_alias: string }[] };
  const made = keys.key_details.filter((k) => k.key_alias.startsWith('killed-')).length;
  t.ok(made - recorded.length <= 1, `at most the one in-flight create is unrecorded (${made} made, ${recorded.length} recorded)`);

  const locked = await w.dew('plan');
  t.equal(locked.code, 0, 'plan takes no lock');
  t.match(locked.err, /Note: stack "killed" is locked by \S+ \(apply\) since \S+, lock ID \S+\./, 'and says who holds it');
  const blocked = await w.dew('apply', '-auto-approve');
  t.equal(blocked.code, 1);
  const id = /dew force-unlock (\S+)/.exec(blocked.err)?.[1];
  t.ok(id, 'the dead apply still holds the lock, and the error says how to release it');
  t.equal((await w.dew('force-unlock', '-force', id!)).code, 0);
  const p = await w.dew('plan');
  const adopt = made - recorded.length;
  t.match(p.out, new RegExp(`Plan: ${n - made} to add, 0 to change, 0 to destroy${adopt ? `, ${adopt} to adopt` : ''}\\.`));
  // the in-flight key, made but never recorded, is adopted: its alias does not fail the next apply
  if (adopt) t.match(p.out, /dew_kms_key\.k\[\d+\]: adopting key \S+ created by an interrupted apply/);
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  t.notMatch(a.err, /KMS\.1104/);
  t.equal((await w.dew('state', 'list')).out.split('\n').filter(Boolean).length, n);
});

/** Runs `dew apply` as a process and sends it `signal` once `after` creations completed. */
async function interruptApply(w: Awaited<ReturnType<typeof world>>, after: number, signal: NodeJS.Signals) {
  const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');
  const child = spawn(process.execPath, [cli, 'apply', '-auto-approve', '-parallelism', '2'], { cwd: w.dir, env: { ...process.env, ...w.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout.on('data', (c: Buffer) => {
    const before = (out.match(/Creation complete/g) ?? []).length;
    out += c;
    if (before < after && (out.match(/Creation complete/g) ?? []).length >= after && child.exitCode === null) child.kill(signal);
  });
  return { code: await exited, out, err };
}

t.test('Ctrl-C during `dew apply`: what is under way finishes and is recorded, nothing new starts, the lock is released', async (t) => {
  const w = await world(t);
  const n = 40;
  w.write({ 'main.hcl': `dew {\n  stack = "interrupted"\n}\n\nresource "dew_kms_key" "k" {\n  count     = ${n}\n  key_alias = "int-\${count.index}"\n}\n` });
  const r = await interruptApply(w, 4, 'SIGINT');
  t.equal(r.code, 1, 'exit 1');
  t.match(r.err, /Interrupt received\.\nPlease wait for dew to exit or data loss may occur\.\nGracefully shutting down\.\.\./);
  t.match(r.err, /Skipped: dew_kms_key\.k\[\d+\], because the run was interrupted/);
  t.match(r.out, /Apply interrupted: 0 error\(s\), \d+ not started\. Resources: \d+ added/);
  const recorded = (await w.dew('state', 'list')).out.split('\n').filter(Boolean);
  const keys = (await w.td.client.kms('list-keys', { limit: '1000' })) as { key_details: { key_alias: string }[] };
  const made = keys.key_details.filter((k) => k.key_alias.startsWith('int-')).length;
  t.ok(recorded.length >= 4 && recorded.length < n, `stopped early (${recorded.length} of ${n})`);
  t.equal(made, recorded.length, 'every key it made is recorded: nothing orphaned');
  t.equal(Number(/(\d+) added/.exec(r.out)?.[1]), recorded.length, 'the summary counts them');
  const s = JSON.parse((await w.dew('show', '-json')).out);
  t.equal(s.stack.lock, null, 'the lock was released');
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, `the next apply finishes the rest without force-unlock: ${a.err}`);
  t.match(a.out, new RegExp(`Resources: ${n - recorded.length} added`));
});

t.test('a second interrupt ends the process at once (exit 130); unregistering restores the default', async (t) => {
  const mod = join(process.cwd(), 'dist', 'provider', 'commands', 'interrupts.js');
  const script = `
    const { onInterrupt } = await import(${JSON.stringify(mod)});
    const dispose = onInterrupt(() => process.stdout.write('first\\n'));
    process.kill(process.pid, process.argv[1]);
    setTimeout(() => {
      if (process.argv[2] === 'dispose') dispose();
      process.kill(process.pid, 'SIGINT');
    }, 100);
    setTimeout(() => process.stdout.write('still running\\n'), 3000);
  `;
  const twice = spawnSync(process.execPath, ['--input-type=module', '-e', script, 'SIGTERM'], { encoding: 'utf8', timeout: 10_000 });
  t.equal(twice.status, 130);
  t.equal(twice.stdout, 'first\n', 'the first went to the handler');
  t.match(twice.stderr, /Two interrupts received \(SIGINT\)\. Exiting immediately: changes under way may not be recorded\./);
  const disposed = spawnSync(process.execPath, ['--input-type=module', '-e', script, 'SIGINT', 'dispose'], { encoding: 'utf8', timeout: 10_000 });
  t.equal(disposed.signal, 'SIGINT', 'after dispose, Ctrl-C ends the process the default way');
  t.equal(disposed.stdout, 'first\n');
});
