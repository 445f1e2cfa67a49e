/** Migration 0006 and the lockout rows: a database with per-AK lockouts (0005) migrates to per-(AK, source) rows. */
import t from 'tap';
import { openDatabase } from '../../daemon/store/db.js';
import { LockoutRepo } from '../../daemon/store/lockout-repo.js';
import { lockKey } from '../../daemon/store/lockout-key.js';
import { databaseBefore } from '../helpers/old-migrations.js';

t.test('a database with the per-AK lockout table migrates, and the new rows count per source', async (t) => {
  // The migrations as they were before 0006.
  const { url, client, lastTag } = await databaseBefore(t, 6);
  t.equal(lastTag, '0005_ak_lockouts');
  await client.execute({ sql: 'INSERT INTO ak_lockouts (access_key, failures, locked_until, version) VALUES (?, 5, ?, 7)', args: ['AKOLD', Date.now() + 60_000] });
  client.close();

  const database = await openDatabase(url);
  t.teardown(() => database.close());
  const cols = (await database.client.execute('PRAGMA table_info(ak_lockouts)')).rows.map((r) => `${r.name}${Number(r.pk) ? ' pk' : ''}`);
  t.same(cols, ['access_key pk', 'source pk', 'failures', 'locked_until', 'locked_version', 'last_failure_at', 'version']);
  t.equal(Number((await database.client.execute('SELECT count(*) AS n FROM ak_lockouts')).rows[0].n), 0, 'the per-AK rows (no source to keep) are gone');

  const at = 1_800_000_000_000;
  const lockMs = 300_000;
  const repo = new LockoutRepo(database.db, () => at);
  for (let i = 1; i < 5; i++) t.match(await repo.recordFailure('AK1', '10.0.0.1', at + i, 5, lockMs), { failures: i, lockedUntil: 0, lockedNow: false });
  t.match(await repo.recordFailure('AK1', '10.0.0.2', at + 5, 5, lockMs), { failures: 1, lockedNow: false }, 'another source counts on its own');
  const fifth = await repo.recordFailure('AK1', '10.0.0.1', at + 6, 5, lockMs);
  t.match(fifth, { failures: 5, lockedUntil: at + 6 + lockMs, lockedNow: true }, 'the fifth locks, and says this write did');
  t.match(await repo.recordFailure('AK1', '10.0.0.1', at + 7, 5, lockMs), { lockedUntil: at + 6 + lockMs, lockedNow: false }, 'a running lock stays; the next write did not start it');
  t.same(await repo.reset('AK1', '10.0.0.1', at + 8).then((s) => s?.lockedUntil), at + 6 + lockMs, 'a good signature does not end a running lock');

  const active = await repo.loadActive();
  t.same([...active.keys()].sort(), [lockKey('AK1', '10.0.0.1'), lockKey('AK1', '10.0.0.2')]);
  const loaded = await repo.load([lockKey('AK1', '10.0.0.2'), lockKey('AK2', '10.0.0.1')]);
  t.same([...loaded.keys()], [lockKey('AK1', '10.0.0.2')], 'load answers the keys asked for that have rows');

  // Idle for the lock time: a fresh count; pruned once nothing counts, and a new row's version is above the old one's.
  const idle = at + 6 + lockMs;
  t.match(await repo.recordFailure('AK1', '10.0.0.2', idle, 5, lockMs), { failures: 1 }, 'a count idle for the lock time starts again');
  const before = active.get(lockKey('AK1', '10.0.0.1'))!.version;
  await repo.prune(idle + lockMs - 1, lockMs);
  t.same(await repo.load([lockKey('AK1', '10.0.0.1'), lockKey('AK1', '10.0.0.2')]).then((m) => [...m.keys()]), [lockKey('AK1', '10.0.0.2')], 'the ended lock is pruned; the recent count stays');
  const again = await repo.recordFailure('AK1', '10.0.0.1', idle + lockMs + 1, 5, lockMs);
  t.ok(again.version > before, 'a row written again counts its versions on from above the pruned one');
});
