/** A database migrated only up to an older migration, for tests of what a later migration does to its rows. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';

const migrations = join(process.cwd(), 'daemon', 'store', 'migrations');

/**
 * A file database with the migrations before `idx` applied (a copy of the folder with a shorter
 * journal), and a raw client on it to write rows the old way; `url` then opens it with the
 * daemon's own openDatabase, which applies the rest. `lastTag` names the last migration applied.
 */
export async function databaseBefore(t: { teardown(fn: () => unknown): void }, idx: number): Promise<{ url: string; client: Client; lastTag: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dew-migrate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const old = join(dir, 'migrations');
  cpSync(migrations, old, { recursive: true });
  const journalPath = join(old, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx < idx);
  writeFileSync(journalPath, JSON.stringify(journal));
  const url = `file:${join(dir, 'dew.db')}`;
  const client = createClient({ url });
  await migrate(drizzle(client), { migrationsFolder: old });
  return { url, client, lastTag: journal.entries.at(-1)?.tag ?? '' };
}
