/** Shared by the key-format tests: a temp folder and the real tools (ssh-keygen, puttygen, openssl) run on its files. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Tools {
  dir: string;
  path(name: string): string;
  read(name: string): string;
  /** Writes `name` (mode 0600, as ssh-keygen insists on for private keys) and answers its path. */
  write(name: string, text: string | Buffer): string;
  /** Runs a tool; stdout as text (a failure throws with its stderr). */
  run(cmd: string, args: string[], input?: Buffer | string): string;
  runBytes(cmd: string, args: string[], input?: Buffer | string): Buffer;
  /** `ssh-keygen -l` (or `-E md5 -l`) of a key file: bits, the hash part, comment and type. */
  keygenL(name: string, md5?: boolean): { bits: number; hash: string; comment: string; type: string };
}

export function tools(t: Teardown, prefix: string): Tools {
  const dir = mkdtempSync(join(tmpdir(), `dew-${prefix}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string) => join(dir, name);
  const runBytes = (cmd: string, args: string[], input?: Buffer | string) => execFileSync(cmd, args, { cwd: dir, input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  const run = (cmd: string, args: string[], input?: Buffer | string) => runBytes(cmd, args, input).toString('utf8');
  return {
    dir,
    path,
    read: (name) => readFileSync(path(name), 'utf8'),
    write: (name, text) => {
      writeFileSync(path(name), text, { mode: 0o600 });
      chmodSync(path(name), 0o600);
      return path(name);
    },
    run,
    runBytes,
    keygenL: (name, md5) => {
      const line = run('ssh-keygen', [...(md5 ? ['-E', 'md5'] : []), '-l', '-f', path(name)]).trim();
      const m = /^(\d+) (\S+) (.*) \((\w+)\)$/.exec(line);
      if (!m) throw new Error(`ssh-keygen -l printed an unexpected line: ${line}`);
      return { bits: Number(m[1]), hash: m[2], comment: m[3], type: m[4] };
    },
  };
}

/** "TYPE BASE64" of a one-line OpenSSH key (the comment dropped). */
export function blobOf(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/** The key types the tests cover, with what ssh-keygen and the library call them. */
export const KEY_TYPES = [
  { name: 'rsa', t: 'rsa', bits: 2048, keygenType: 'RSA', algorithm: 'SSH_RSA_2048' },
  { name: 'ecdsa256', t: 'ecdsa', bits: 256, keygenType: 'ECDSA', algorithm: 'ECDSA_NISTP256' },
  { name: 'ecdsa384', t: 'ecdsa', bits: 384, keygenType: 'ECDSA', algorithm: 'ECDSA_NISTP384' },
  { name: 'ecdsa521', t: 'ecdsa', bits: 521, keygenType: 'ECDSA', algorithm: 'ECDSA_NISTP521' },
  { name: 'ed25519', t: 'ed25519', bits: 256, keygenType: 'ED25519', algorithm: 'SSH_ED25519' },
  { name: 'dsa', t: 'dsa', bits: 1024, keygenType: 'DSA', algorithm: 'SSH_DSS' },
] as const;
