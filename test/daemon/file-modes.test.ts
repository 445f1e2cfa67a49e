/** Files the daemon creates are readable by its owner only (issue 10 item 8): database, -wal, -shm, credentials, master key. */
import t from 'tap';
import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon } from '../helpers/daemon.js';

t.test('the data dir and every file in it are owner-only', async (t) => {
  const d = await startTestDaemon(t, { args: ['--schedule', 'off'] });
  // A write, so the WAL and its index exist while the daemon runs.
  await d.client.kms('create-key', { key_alias: 'modes' });
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
  t.equal(mode(d.dataDir), '700', 'data dir');
  for (const f of ['dew.db', 'dew.db-wal', 'dew.db-shm', 'credentials.json', 'master.key']) {
    const p = join(d.dataDir, f);
    t.ok(existsSync(p), `${f} exists`);
    t.equal(mode(p), '600', f);
  }
});

t.test('databaseFilePath', async (t) => {
  const { databaseFilePath } = await import('../../daemon/store/db-file.js');
  t.equal(databaseFilePath('file:/srv/dew.db'), '/srv/dew.db');
  t.equal(databaseFilePath('file:///srv/dew.db?mode=rwc'), '/srv/dew.db');
  t.equal(databaseFilePath('file:dew.db'), 'dew.db');
  t.equal(databaseFilePath('file::memory:'), undefined);
  t.equal(databaseFilePath('http://127.0.0.1:8080'), undefined);
});
