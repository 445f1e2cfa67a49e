/**
 * Writes a private key to a file only its owner can read (0600): `key_file` of dew_kps_keypair and
 * `dew kps export-private-key --out FILE`. A file already there is replaced, never rewritten in
 * place, so the key is never readable under the old file's looser mode.
 */
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function writePrivateKeyFile(path: string, privateKey: string): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError('writePrivateKeyFile: path must be a non-empty string');
  if (typeof privateKey !== 'string' || privateKey === '') throw new TypeError('writePrivateKeyFile: privateKey must be a non-empty string');
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': a new file created with mode 0600 from the start (the umask can only narrow it)
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`);
    await fh.chmod(0o600);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
