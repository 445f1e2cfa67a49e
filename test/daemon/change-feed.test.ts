/** The change feed: one handler per object kind; a second registration is refused, not a silent replacement. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../daemon/store/db.js';
import { KeyRepo } from '../../daemon/store/key-repo.js';
import { ChangeFeed } from '../../daemon/services/change-feed.js';

/** A fresh file database and a KeyRepo on it, removed when the test ends. */
async function keyRepo(t: { teardown(fn: () => unknown): void }): Promise<KeyRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'dew-feed-'));
  const database = await openDatabase(`file:${join(dir, 'dew.db')}`);
  t.teardown(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return new KeyRepo(database.db, Date.now);
}

t.test('a second handler for the same kind is refused with a clear Error', async (t) => {
  const feed = new ChangeFeed(await keyRepo(t));
  await feed.start();
  feed.on('key', async () => {});
  t.throws(() => feed.on('key', async () => {}), { message: /a handler for kind 'key' is already registered/ });
  t.doesNotThrow(() => feed.on('alias', async () => {}), 'another kind is still accepted');
});

t.test('nothing is dispatched before open(): a change made before its handler exists is not lost', async (t) => {
  const repo = await keyRepo(t);
  const feed = new ChangeFeed(repo);
  await feed.start();
  const writer = repo as unknown as { event(kind: string, id: string): Promise<unknown> };
  await writer.event('grant', 'g-1');
  t.equal(await feed.sync(), 0, 'a sync before open reads nothing');
  const seen: string[][] = [];
  feed.on('grant', async (ids) => {
    seen.push(ids);
  });
  feed.open();
  t.equal(await feed.sync(), 1, 'after open the change made earlier is applied');
  t.same(seen, [['g-1']]);
  t.equal(await feed.sync(), 0, 'and only once');
});
