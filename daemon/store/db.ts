/** Opens the libSQL database (embedded file or sqld server), sets pragmas and applies migrations. */
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.js';
import { ensureOwnerOnlyFile } from './db-file.js';

export type Db = LibSQLDatabase<typeof schema>;

/** How long a write waits for another connection's write lock on an embedded database. */
export const BUSY_TIMEOUT_MS = 5000;

export interface Database {
  db: Db;
  client: Client;
  /** True for an embedded `file:` database (single host), false for a sqld server. */
  embedded: boolean;
  url: string;
  close(): void;
}

const migrationsFolder = fileURLToPath(new URL('../../../daemon/store/migrations', import.meta.url));
const sourceMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Where the migrations live: beside this file in the sources, or in the package's sources when compiled. */
async function findMigrations(): Promise<string> {
  const { existsSync } = await import('node:fs');
  return existsSync(sourceMigrationsFolder) ? sourceMigrationsFolder : migrationsFolder;
}

/**
 * Opens the database at `url` and brings its schema up to date; safe when several daemons start at
 * once. `migrate: false` (a cluster's workers: the primary migrated before forking) skips the schema step.
 */
export async function openDatabase(url: string, opts: { migrate?: boolean } = {}): Promise<Database> {
  if (typeof url !== 'string' || url.length === 0) throw new TypeError('url: a database URL is required');
  const embedded = url.startsWith('file:');
  // `timeout` is the busy timeout of every pooled connection (a PRAGMA would reach only one; the
  // audit writer thread and other daemons or tools may hold the write lock for a moment).
  if (embedded) ensureOwnerOnlyFile(url);
  const client = createClient(embedded ? { url, timeout: BUSY_TIMEOUT_MS } : { url });
  if (embedded) {
    // WAL lets readers run beside the single writer; synchronous stays FULL (SQLite's default)
    // so an acknowledged write survives a power cut, not only a process crash.
    await client.execute('PRAGMA journal_mode=WAL');
  }
  const db = drizzle(client, { schema });
  if (opts.migrate !== false) await migrateWithRetry(db);
  return { db, client, embedded, url, close: () => client.close() };
}

/**
 * Drizzle's libSQL migrator checks the last applied migration, then runs the rest as one batch.
 * Two daemons starting together can both see "not applied": the loser's batch fails on the
 * existing tables and rolls back whole, and its next attempt sees the migration applied.
 */
async function migrateWithRetry(db: Db): Promise<void> {
  const folder = await findMigrations();
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder: folder });
      return;
    } catch (err) {
      if (attempt >= 5) throw new Error(`database migration failed: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.floor(Math.random() * 50)));
    }
  }
}
