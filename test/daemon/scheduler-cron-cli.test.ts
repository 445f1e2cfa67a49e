/** The cron wiring, per-item failures reported together, and `dew rotate --due` from the command line. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestDaemon, databaseFor } from '../helpers/daemon.js';
import { clockClient, kmsOf, sqlOn, eventually, DAY, type Any } from './scheduler-helpers.js';

const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

t.test('the cron schedule runs the jobs on its own', async (t) => {
  let clock = Date.now();
  const now = () => clock;
  const d = await startTestDaemon(t, { dbUrl: await databaseFor(t, 'file'), now, args: ['--schedule', '* * * * * *'] });
  const kms = kmsOf(clockClient(d, now));
  await kms('create-key', { key_alias: 'cron' });
  await kms('enable-key-rotation', { key_id: 'cron' });
  clock += 366 * DAY;
  t.ok(await eventually(async () => (await kms('get-key-rotation-status', { key_id: 'cron' })).number_of_rotations === 1, 60_000), 'a tick every second rotated the due key (the bound is liveness, not speed)');
  await new Promise((r) => setTimeout(r, 1200));
  t.equal((await kms('get-key-rotation-status', { key_id: 'cron' })).number_of_rotations, 1, 'and only once');
  t.ok(d.logs.some((l) => l.includes('"msg":"scheduled jobs"') && l.includes('"rotated"')), 'the run was logged');
});

t.test('a bad --schedule is refused at start with a clear message', async (t) => {
  for (const bad of ['every 5 minutes', '61 * * * *', '* * *', '']) {
    await t.rejects(startTestDaemon(t, { dbUrl: await databaseFor(t, 'file'), args: ['--schedule', bad] }), { name: 'ConfigError', message: /--schedule: .*cron expression/ }, JSON.stringify(bad));
  }
});

t.test('one failing key does not stop the others; failures are reported together and retried', async (t) => {
  let clock = Date.now();
  const now = () => clock;
  const dbUrl = await databaseFor(t, 'file');
  const d = await startTestDaemon(t, { dbUrl, now, args: ['--schedule', 'off'] });
  const kms = kmsOf(clockClient(d, now));
  const ids: string[] = [];
  for (const alias of ['f1', 'f2', 'f3']) {
    ids.push((await kms('create-key', { key_alias: alias })).key_info.key_id);
    await kms('enable-key-rotation', { key_id: alias });
  }
  // Sabotage f2: a stray row where its next version would go makes its rotation batch fail.
  await sqlOn(dbUrl, "INSERT INTO key_versions (key_id, version, material_wrapped, created_at) VALUES (?, 2, x'00', 0)", [ids[1]]);
  clock += 366 * DAY;
  const r = await d.daemon.runJobs();
  t.same(r.rotated.sort(), [ids[0], ids[2]].sort(), 'the others rotated');
  t.equal(r.failed.length, 1);
  t.match(r.failed[0], { job: 'rotate-key', key_id: ids[1], error: /UNIQUE|constraint/i });
  t.ok(d.logs.some((l) => l.includes('"level":"error"') && l.includes(ids[1])), 'the failure was logged');
  const failedRecord = await sqlOn(dbUrl, "SELECT * FROM audit_records WHERE resource_id = ? AND operation = 'scheduler/rotate-key'", [ids[1]]);
  t.match(failedRecord, [{ outcome: 'failed', status: 500 }], 'the failed action is audited too');
  t.equal((await kms('get-key-rotation-status', { key_id: 'f2' })).number_of_rotations, 0, 'the failing key was left as it was');
  await sqlOn(dbUrl, "DELETE FROM key_versions WHERE key_id = ? AND version = 2 AND material_wrapped = x'00'", [ids[1]]);
  const retry = await d.daemon.runJobs();
  t.same(retry.rotated, [ids[1]], 'still due, so the next run retries it');
  t.same(retry.failed, []);
});

t.test('dew rotate --due from the command line', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off', '--sync-interval', '50'] });
  const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
  const due = (await kms('create-key', { key_alias: 'due' })).key_info.key_id;
  await kms('enable-key-rotation', { key_id: due });
  const ct = (await kms('encrypt-data', { key_id: due, plain_text: 'v1' })).cipher_text;
  const doomed = (await kms('create-key', { key_alias: 'doomed' })).key_info.key_id;
  await kms('schedule-key-deletion', { key_id: doomed, pending_days: '7' });
  // Make them due now (the command line runs on the real clock).
  await sqlOn(dbUrl, 'UPDATE rotation_policies SET enabled_at = ? WHERE key_id = ?', [Date.now() - 400 * DAY, due]);
  await sqlOn(dbUrl, 'UPDATE keys SET creation_date = ?, scheduled_deletion_date = ? WHERE key_id = ?', [Date.now() - 400 * DAY, Date.now() - 1000, doomed]);
  const run = () => spawnSync(process.execPath, [cli, 'rotate', '--due', '--data-dir', d.dataDir, '--db', dbUrl], { encoding: 'utf8' });
  let r = run();
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.same(report.rotated, [due]);
  t.same(report.destroyed, [doomed]);
  t.same(report.failed, []);
  t.ok(await eventually(async () => (await kms('get-key-rotation-status', { key_id: due })).number_of_rotations === 1), 'the running daemon sees the rotation');
  t.equal((await kms('decrypt-data', { cipher_text: ct })).plain_text, 'v1');
  t.equal(Buffer.from((await kms('encrypt-data', { key_id: due, plain_text: 'v2' })).cipher_text, 'base64').readUInt32BE(8), 2, 'and encrypts with the new version');
  r = run();
  t.equal(r.status, 0);
  t.same(JSON.parse(r.stdout).rotated, [], 'a second run finds nothing due');
  const v = spawnSync(process.execPath, [cli, 'audit', 'verify', '--db', dbUrl], { encoding: 'utf8' });
  t.equal(v.status, 0, v.stderr);
  t.ok(JSON.parse(v.stdout).chains >= 2, 'the command line keeps its own chain');
  t.equal(spawnSync(process.execPath, [cli, 'rotate', '--due', '--listen', 'x'], { encoding: 'utf8' }).status, 1, 'unknown flags are refused');
});
