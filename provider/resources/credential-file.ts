/**
 * The file an HSM instance's admin credential lives in (dew_hsm_instance credential_file, `dew hsm
 * --credential-file`): written once with mode 0600 and never over an existing file (the credential
 * it holds may be the only copy), read back for privileged calls. Errors name the file, never its text.
 */
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';

/** dhsm_ and 43 base64url characters (the contract's format). */
const CREDENTIAL = /^dhsm_[A-Za-z0-9_-]{43}$/;

export const isHsmCredential = (v: unknown): v is string => typeof v === 'string' && CREDENTIAL.test(v);

/** A credential file created empty (mode 0600) before the call that returns the credential, so writing it cannot fail for a name taken. */
export interface ReservedCredentialFile {
  readonly path: string;
  write(credential: string): Promise<void>;
  /** Removes the empty file: the call made no credential. */
  abandon(): Promise<void>;
}

export class CredentialFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CredentialFileError';
  }
}

/** Creates `path` exclusively (0600); a file already there is refused, never replaced. */
export async function reserveCredentialFile(path: string): Promise<ReservedCredentialFile> {
  if (typeof path !== 'string' || path === '') throw new TypeError('reserveCredentialFile: path must be a non-empty string');
  let fh: FileHandle;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CredentialFileError('hsm.credential_file_exists', `the credential file ${path} already exists: dew never overwrites a credential file`, 'Remove it (after keeping the credential it holds, if its instance still exists) or name another file.');
    throw new CredentialFileError('hsm.credential_file', `cannot create the credential file ${path}: ${code ?? (e as Error).message}`);
  }
  let closed = false;
  const close = async () => {
    if (!closed) await fh.close();
    closed = true;
  };
  return {
    path,
    async write(credential) {
      if (!isHsmCredential(credential)) throw new TypeError('the daemon answered no admin credential of the expected form');
      try {
        await fh.writeFile(`${credential}\n`);
        await fh.chmod(0o600);
        await fh.sync();
      } finally {
        await close();
      }
    },
    async abandon() {
      await close();
      await rm(path, { force: true });
    },
  };
}

/** Writes a credential to a new file (0600), refusing an existing one. */
export async function writeCredentialFile(path: string, credential: string): Promise<void> {
  const f = await reserveCredentialFile(path);
  try {
    await f.write(credential);
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
}

/** Reads the credential from `path`: a missing file or one that holds no credential is a clear error. */
export async function readCredentialFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CredentialFileError('hsm.credential_file_missing', code === 'ENOENT' ? `the credential file ${path} does not exist` : `cannot read the credential file ${path}: ${code ?? (e as Error).message}`, 'It is the file the instance\u2019s admin credential was written to when the instance was created (dew hsm create --credential-file, or credential_file of dew_hsm_instance).');
  }
  const credential = text.trim();
  if (!isHsmCredential(credential)) throw new CredentialFileError('hsm.credential_file_invalid', `the file ${path} holds no HSM admin credential (dhsm_ and 43 characters)`);
  return credential;
}
