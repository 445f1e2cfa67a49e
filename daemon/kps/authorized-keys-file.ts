/**
 * ~/.ssh/authorized_keys of the login user, edited over SFTP (paths relative to the login home, no
 * shell): read, edit in memory, then one atomic replace — a new file written 0600 beside it, synced,
 * and renamed over it with posix-rename@openssh.com — with ~/.ssh kept 0700. StrictModes
 * (sshd_config(5)) ignores the file when it or ~/.ssh is group- or world-writable.
 */
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper, Stats } from 'ssh2';
import { HostError } from './host-error.js';
import type { KeysEdit } from './authorized-keys.js';
import type { Session } from './ssh-session.js';

const SSH_DIR = '.ssh';
const KEYS_FILE = '.ssh/authorized_keys';
/** sshd reads files of any size; a key file beyond this is not one dew should rewrite. */
const MAX_KEYS_FILE = 1 << 20;
const CHUNK = 32 * 1024;
/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7). */
const NO_SUCH_FILE = 2;
const UNSUPPORTED = /does not support this extended request/;

/** The SFTP requests the edit needs, each a bounded step of the session. */
class Files {
  constructor(
    private readonly s: Session,
    private readonly sftp: SFTPWrapper,
  ) {}

  private call<T>(what: string, start: (sftp: SFTPWrapper, done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    return this.s.step<T>(what, (done) => start(this.sftp, done)).catch((e) => {
      throw this.s.failure(what, e);
    });
  }

  /** lstat, or undefined when the path does not exist. */
  async lstat(path: string): Promise<Stats | undefined> {
    try {
      return await this.s.step<Stats>(`reading ~/${path}`, (done) => this.sftp.lstat(path, done));
    } catch (e) {
      if ((e as { code?: unknown }).code === NO_SUCH_FILE) return undefined;
      throw this.s.failure(`reading ~/${path}`, e);
    }
  }

  realpath(path: string): Promise<string> {
    return this.call(`resolving ~/${path}`, (sftp, done) => sftp.realpath(path, done));
  }

  async read(path: string, st: Stats): Promise<string> {
    if (!st.isFile()) throw new HostError('remote_failed', `~/${path} on ${this.s.target.endpoint} is not a regular file`);
    if (st.size > MAX_KEYS_FILE) throw new HostError('remote_failed', `~/${path} on ${this.s.target.endpoint} is larger than ${MAX_KEYS_FILE} bytes; dew does not rewrite it`);
    const data = await this.call<Buffer>(`reading ~/${path}`, (sftp, done) => sftp.readFile(path, done));
    return data.toString('latin1');
  }

  mkdir(path: string, mode: number): Promise<void> {
    return this.call(`creating ~/${path}`, (sftp, done) => sftp.mkdir(path, { mode }, done));
  }

  chmod(path: string, mode: number): Promise<void> {
    return this.call(`setting the mode of ~/${path}`, (sftp, done) => sftp.chmod(path, mode, done));
  }

  rmdir(path: string): Promise<void> {
    return this.call(`removing ~/${path}`, (sftp, done) => sftp.rmdir(path, done));
  }

  unlink(path: string): Promise<void> {
    return this.call(`removing ~/${path}`, (sftp, done) => sftp.unlink(path, done));
  }

  /** Creates `path` (it must not exist), writes `data`, sets `mode`, syncs it (fsync@openssh.com when offered) and closes it. */
  async writeNew(path: string, data: Buffer, mode: number): Promise<void> {
    const what = `writing ~/${path}`;
    const handle = await this.call<Buffer>(what, (sftp, done) => sftp.open(path, 'wx', { mode }, done));
    const close = () => this.call<void>(what, (sftp, done) => sftp.close(handle, done));
    try {
      for (let off = 0; off < data.length; off += CHUNK) {
        const len = Math.min(CHUNK, data.length - off);
        await this.call<void>(what, (sftp, done) => sftp.write(handle, data, off, len, off, (err) => done(err)));
      }
      await this.call<void>(what, (sftp, done) => sftp.fchmod(handle, mode, done));
      try {
        await this.s.step<void>(what, (done) => this.sftp.ext_openssh_fsync(handle, (err) => done(err)));
      } catch (e) {
        if (!UNSUPPORTED.test((e as Error).message)) throw this.s.failure(what, e);
      }
    } catch (e) {
      if (this.s.connected) await close().catch(() => undefined);
      throw e;
    }
    // A close that fails may have lost data (NFS reports write errors here): it fails the edit.
    await close();
  }

  /**
   * Renames `from` over `to` in one step (posix-rename@openssh.com). A server without it only has
   * SFTP v3 rename, which refuses an existing target: then the old file is moved aside first and
   * put back if the second rename fails.
   */
  async replace(from: string, to: string): Promise<void> {
    const what = `replacing ~/${to}`;
    try {
      await this.s.step<void>(what, (done) => this.sftp.ext_openssh_rename(from, to, done));
      return;
    } catch (e) {
      if (!UNSUPPORTED.test((e as Error).message)) throw this.s.failure(what, e);
    }
    const aside = `${to}.dew-old-${randomBytes(4).toString('hex')}`;
    const had = (await this.lstat(to)) !== undefined;
    if (had) await this.call<void>(what, (sftp, done) => sftp.rename(to, aside, done));
    try {
      await this.call<void>(what, (sftp, done) => sftp.rename(from, to, done));
    } catch (e) {
      if (had) await this.call<void>(what, (sftp, done) => sftp.rename(aside, to, done)).catch(() => undefined);
      throw e;
    }
    if (had) await this.unlink(aside).catch(() => undefined);
  }
}

/**
 * Applies `edit` to the login user's authorized_keys. A missing file reads as empty; nothing is
 * written when the edit changes nothing; a failed write leaves the old file (and no new ~/.ssh).
 */
export async function editAuthorizedKeys(s: Session, edit: (text: string) => KeysEdit): Promise<KeysEdit> {
  const f = new Files(s, await s.sftp());
  // A symlinked authorized_keys is edited where it points, so the link stays a link.
  let path = KEYS_FILE;
  let st = await f.lstat(path);
  if (st?.isSymbolicLink()) {
    path = await f.realpath(path);
    st = await f.lstat(path);
    if (st === undefined) throw new HostError('remote_failed', `~/${KEYS_FILE} on ${s.target.endpoint} is a symbolic link to a missing file`);
  }
  const before = st ? await f.read(path, st) : '';
  const result = edit(before);
  if (!result.changed) return result;

  let createdDir = false;
  const dir = await f.lstat(SSH_DIR);
  if (dir === undefined) {
    await f.mkdir(SSH_DIR, 0o700);
    createdDir = true;
  } else if (!dir.isDirectory()) {
    throw new HostError('remote_failed', `~/${SSH_DIR} on ${s.target.endpoint} is not a directory`);
  }
  const tmp = `${path}.dew-${randomBytes(6).toString('hex')}`;
  try {
    if (createdDir || (dir!.mode & 0o7777) !== 0o700) await f.chmod(SSH_DIR, 0o700);
    await f.writeNew(tmp, Buffer.from(result.text, 'latin1'), 0o600);
    await f.replace(tmp, path);
    return result;
  } catch (e) {
    // Best effort, and only while connected: after a timeout the leftover stays, named *.dew-*.
    if (s.connected) {
      await f.unlink(tmp).catch(() => undefined);
      if (createdDir) await f.rmdir(SSH_DIR).catch(() => undefined);
    }
    throw e;
  }
}
