/** The lifecycle jobs on two daemons sharing one sqld, with an injected clock: each due action happens exactly once. */
import t from 'tap';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { clockClient, kmsOf, importedKey, sqlOn, eventually, DAY } from './scheduler-helpers.js';

t.test('two daemons on one sqld run the same jobs at the same time', async (t) => {
  let clock = Date.UTC(2031, 0, 1);
  const now = () => clock;
  const dbUrl = await databaseFor(t, 'sqld');
  const env = { DEW_MASTER_PASSPHRASE: 'scheduler passphrase' };
  const args = ['--schedule', 'off', '--sync-interval', '50', '--key-quota', '50'];
  const [a, b] = await Promise.all([startTestDaemon(t, { dbUrl, env, args, now }), startTestDaemon(t, { dbUrl, env, args, now })]);
  const kmsA = kmsOf(clockClient(a, now));
  const kmsB = kmsOf(clockClient(b, now));

  const r30 = (await kmsA('create-key', { key_alias: 'r30' })).key_info.key_id;
  await kmsA('enable-key-rotation', { key_id: r30 });
  await kmsA('update-key-rotation-interval', { key_id: r30, rotation_interval: 30 });
  const r90 = (await kmsA('create-key', { key_alias: 'r90' })).key_info.key_id;
  await kmsA('enable-key-rotation', { key_id: r90 });
  await kmsA('update-key-rotation-interval', { key_id: r90, rotation_interval: 90 });
  const plain = (await kmsA('create-key', { key_alias: 'plain' })).key_info.key_id;
  const doomed = (await kmsA('create-key', { key_alias: 'doomed' })).key_info.key_id;
  await clockClient(a, now).request('POST', `/v1.0/{project_id}/kms/${doomed}/tags`, { tag: { key: 'team', value: 'x' } });
  t.equal(Number((await sqlOn(dbUrl, 'SELECT count(*) AS n FROM key_tags WHERE key_id = ?', [doomed]))[0].n), 1);
  const ext = await importedKey(kmsA, 'ext', clock + 10 * DAY);

  const ct30 = (await kmsA('encrypt-data', { key_id: r30, plain_text: 'under r30 v1' })).cipher_text;
  const ctDoomed = (await kmsA('encrypt-data', { key_id: doomed, plain_text: 'gone soon' })).cipher_text;
  await kmsA('schedule-key-deletion', { key_id: doomed, pending_days: '7' });

  // Nothing is due yet: running the jobs changes nothing.
  const idle = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
  t.same(idle.map((r) => [r.rotated, r.destroyed, r.expired, r.failed]), [[[], [], [], []], [[], [], [], []]], 'nothing due on day 0');

  clock += 31 * DAY;
  const [ra, rb] = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
  t.same([...ra.failed, ...rb.failed], [], 'no failures');
  t.same([...ra.rotated, ...rb.rotated], [r30], 'the 30-day key rotated once, by one of the daemons');
  t.same([...ra.destroyed, ...rb.destroyed], [doomed], 'the key pending deletion was destroyed once');
  t.same([...ra.expired, ...rb.expired], [ext], 'the expired material was deleted once');

  const rows = await sqlOn(dbUrl, 'SELECT operation, resource_id FROM audit_records WHERE user_id = ? ORDER BY seq', ['system']);
  t.same(
    rows.map((r) => `${r.operation} ${r.resource_id}`).sort(),
    [`scheduler/delete-expired-material ${ext}`, `scheduler/destroy-key ${doomed}`, `scheduler/rotate-key ${r30}`].sort(),
    'each action has exactly one audit record',
  );
  t.same(await sqlOn(dbUrl, 'SELECT version FROM key_versions WHERE key_id = ? ORDER BY version', [r30]).then((r) => r.map((x) => Number(x.version))), [1, 2]);
  t.same(await sqlOn(dbUrl, 'SELECT count(*) AS n FROM key_versions WHERE key_id IN (?, ?)', [doomed, ext]).then((r) => Number(r[0].n)), 0, 'destroyed and expired material is gone from the database');
  t.same(await sqlOn(dbUrl, 'SELECT count(*) AS n FROM key_tags WHERE key_id = ?', [doomed]).then((r) => Number(r[0].n)), 0, 'and the tags of the destroyed key');

  for (const [name, kms] of [['A', kmsA], ['B', kmsB]] as const) {
    t.ok(await eventually(async () => (await kms('get-key-rotation-status', { key_id: r30 })).number_of_rotations === 1), `${name} sees one rotation`);
    t.equal((await kms('decrypt-data', { cipher_text: ct30 })).plain_text, 'under r30 v1', `${name}: the old ciphertext still decrypts`);
    t.ok(await eventually(async () => (await apiError(kms('describe-key', { key_id: doomed }))).code === 'KMS.0207'), `${name}: the destroyed key is gone`);
    t.equal((await apiError(kms('decrypt-data', { cipher_text: ctDoomed }))).status, 400, `${name}: its ciphertexts no longer decrypt`);
    t.ok(await eventually(async () => (await kms('describe-key', { key_id: ext })).key_info.key_state === '5'), `${name}: the expired key waits for new material`);
  }
  // A ciphertext made on B under the new version decrypts on A at once (A catches up on a newer version).
  const ctV2 = (await kmsB('encrypt-data', { key_id: r30, plain_text: 'under v2' })).cipher_text;
  t.equal(Buffer.from(ctV2, 'base64').readUInt32BE(8), 2);
  t.equal((await kmsA('decrypt-data', { cipher_text: ctV2 })).plain_text, 'under v2');

  // Again at the same time: nothing more is due.
  const again = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
  t.same(again.flatMap((r) => [...r.rotated, ...r.destroyed, ...r.expired]), [], 'a second run does nothing');

  // The clock jumps back: nothing is due and nothing fails.
  clock -= 60 * DAY;
  const back = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
  t.same(back.flatMap((r) => [...r.rotated, ...r.failed]), [], 'a clock that jumps back does nothing');
  clock += 60 * DAY;

  // 30 days after the last rotation the 30-day key is due again; the 90-day key waits for day 90.
  clock += 30 * DAY;
  const third = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
  t.same(third.flatMap((r) => r.rotated), [r30]);
  clock += 30 * DAY;
  const fourth = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
  t.same(fourth.flatMap((r) => r.rotated).sort(), [r30, r90].sort(), 'day 91: both rotate, once each');
  t.equal((await kmsB('get-key-rotation-status', { key_id: plain })).number_of_rotations, 0, 'a key without rotation never rotates');
});
