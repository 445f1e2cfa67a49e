/** Several daemons on one sqld database: safe concurrent start, one bootstrap, shared cache invalidation, quota races. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, databaseFor, apiError, eventually } from '../helpers/daemon.js';
import { startDaemon } from '../../daemon/main.js';
import { parseDaemonArgs } from '../../daemon/config.js';

const env = { DEW_MASTER_PASSPHRASE: 'correct horse battery staple' };


t.test('two daemons on one sqld', async (t) => {
  const dbUrl = await databaseFor(t, 'sqld');
  const args = ['--sync-interval', '50', '--key-quota', '4'];
  const [a, b] = await Promise.all([startTestDaemon(t, { dbUrl, env, args }), startTestDaemon(t, { dbUrl, env, args })]);
  t.equal(a.daemon.credentials.access_key, b.daemon.credentials.access_key, 'one bootstrap admin, whichever daemon won');
  t.equal(a.daemon.credentials.secret_key, b.daemon.credentials.secret_key);

  const created = (await a.client.kms('create-key', { key_alias: 'shared' })) as any;
  const ct = ((await a.client.kms('encrypt-data', { key_id: 'shared', plain_text: 'across daemons' })) as any).cipher_text;
  t.ok(await eventually(async () => ((await b.client.kms('list-keys', {})) as any).keys.includes(created.key_info.key_id)), 'B sees the key A created');
  t.equal(((await b.client.kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'across daemons');

  await a.client.kms('disable-key', { key_id: 'shared' });
  t.ok(
    await eventually(async () => (await apiError(b.client.kms('encrypt-data', { key_id: 'shared', plain_text: 'x' })).catch(() => undefined))?.code === 'KMS.0209'),
    'a key disabled on A is refused by B within the sync interval',
  );
  await b.client.kms('enable-key', { key_id: 'shared' });
  t.ok(await eventually(async () => !!(await a.client.kms('encrypt-data', { key_id: 'shared', plain_text: 'x' }).catch(() => undefined))), 'and enabled again on B works on A');

  // Quota races: both daemons create at once; the database enforces the quota, not a process-local count.
  const attempts = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).client.kms('create-key', { key_alias: `race-${i}` })),
  );
  t.equal(attempts.filter((r) => r.status === 'fulfilled').length, 3, 'exactly quota − 1 more keys were created: ' + JSON.stringify(attempts.map((r) => (r.status === 'rejected' ? String(r.reason.code ?? r.reason.message) : 'ok'))));
  t.ok(attempts.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'KMS.1105'));
  t.ok(await eventually(async () => ((await a.client.kms('list-keys', { key_spec: 'ALL' })) as any).total === 4), 'both daemons list the 4 keys');

  // Default keys created on both daemons at once resolve to one key.
  const [x, y] = await Promise.all([
    a.client.kms('encrypt-data', { key_id: 'kps/default', plain_text: 'x' }) as Promise<any>,
    b.client.kms('encrypt-data', { key_id: 'kps/default', plain_text: 'y' }) as Promise<any>,
  ]);
  t.equal(x.key_id, y.key_id, 'one kps/default');
});

t.test('master key checks at start', async (t) => {
  const dbUrl = await databaseFor(t, 'sqld');
  const first = await startTestDaemon(t, { dbUrl, env });
  const dir = mkdtempSync(join(tmpdir(), 'dew-mk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(
    startDaemon(parseDaemonArgs(['--listen', '127.0.0.1:0', '--data-dir', dir, '--db', dbUrl], { DEW_MASTER_PASSPHRASE: 'wrong' }, dir), { log: () => {} }),
    { name: 'WrongPassphraseError', message: /wrong passphrase/ },
    'a wrong passphrase refuses to start and says so',
  );
  await t.rejects(
    startDaemon(parseDaemonArgs(['--listen', '127.0.0.1:0', '--data-dir', dir, '--db', dbUrl], {}, dir), { log: () => {} }),
    { message: /sealed by a passphrase: set DEW_MASTER_PASSPHRASE/ },
  );
  t.equal(((await first.client.kms('gen-random', { random_data_length: '8' })) as any).random_data.length, 2, 'the running daemon is unaffected');

  const fileDb = await databaseFor(t, 'file');
  await startTestDaemon(t, { dbUrl: fileDb });
  const otherDir = mkdtempSync(join(tmpdir(), 'dew-mk2-'));
  t.teardown(() => rmSync(otherDir, { recursive: true, force: true }));
  await t.rejects(
    startDaemon(parseDaemonArgs(['--listen', '127.0.0.1:0', '--data-dir', otherDir, '--db', fileDb], {}, otherDir), { log: () => {} }),
    { message: /not the master key this database was created with/ },
    'a dev master key from another data dir is refused',
  );
});
