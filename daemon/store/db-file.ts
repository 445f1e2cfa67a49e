/** The file behind an embedded `file:` database URL, created owner-only (0600) before libSQL opens it. */
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The path of a `file:` URL (`file:/abs`, `file:rel`, `file:///abs`, query dropped); undefined for `:memory:` and other schemes. */
export function databaseFilePath(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const bare = url.split('?')[0];
  if (bare.startsWith('file://')) return fileURLToPath(bare);
  const path = bare.slice('file:'.length);
  return path === '' || path === ':memory:' ? undefined : path;
}

/**
 * Creates the database file 0600 when missing. SQLite creates its `-wal` and `-shm` files with the
 * database file's mode, so they follow; left to libSQL, all three would get 0644 (the umask).
 */
export function ensureOwnerOnlyFile(url: string): void {
  const path = databaseFilePath(url);
  if (path === undefined || existsSync(path)) return;
  closeSync(openSync(path, 'a', 0o600));
}
