/**
 * SoftHSM2 for tests: a temp SOFTHSM2_CONF folder (token directory inside it) for the test file's
 * process, removed at the end, and `pkcs11-tool` (Debian opensc) runs against it to cross-check what
 * the daemon made. SoftHSM2 reads SOFTHSM2_CONF at C_Initialize, so call `useSoftHsm(t)` at the top
 * of a test file, before anything opens the library.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsm {
  /** The temp folder (conf file and tokens). */
  dir: string;
  conf: string;
  module: string;
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

/** Makes the temp SoftHSM2 folder, points SOFTHSM2_CONF at it and removes it at `t`'s end. */
export function useSoftHsm(t: Teardown): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'dew-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const before = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  t.teardown(() => {
    if (before === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = before;
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, conf, module: SOFTHSM_MODULE };
}

/** One object as `pkcs11-tool --list-objects` prints it. */
export interface ListedObject {
  /** "Secret Key Object; AES length 32", "Private Key Object; RSA 2048 bits", … */
  heading: string;
  kind: 'secret' | 'private' | 'public' | 'other';
  label: string;
  /** The "Access:" words: sensitive, always sensitive, never extractable, local… */
  access: string[];
  usage: string[];
}

function tool(hsm: SoftHsm, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('pkcs11-tool', ['--module', hsm.module, ...args], { env: { ...process.env, SOFTHSM2_CONF: hsm.conf }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `pkcs11-tool --login --pin … --list-objects` on the token with `serial`, parsed. */
export function listObjects(hsm: SoftHsm, serial: string, pin: string): ListedObject[] {
  const r = tool(hsm, [...selectToken(hsm, serial), '--login', '--pin', pin, '--list-objects']);
  if (r.status !== 0) throw new Error(`pkcs11-tool --list-objects failed: ${r.stderr}`);
  const out: ListedObject[] = [];
  let cur: ListedObject | undefined;
  for (const line of r.stdout.split('\n')) {
    const heading = /^(Secret Key|Private Key|Public Key|Data|Certificate|Profile) Object/.exec(line);
    if (heading) {
      cur = {
        heading: line.trim(),
        kind: heading[1] === 'Secret Key' ? 'secret' : heading[1] === 'Private Key' ? 'private' : heading[1] === 'Public Key' ? 'public' : 'other',
        label: '',
        access: [],
        usage: [],
      };
      out.push(cur);
      continue;
    }
    const field = /^\s+(label|Access|Usage):\s*(.*)$/.exec(line);
    if (cur && field) {
      if (field[1] === 'label') cur.label = field[2]!.trim();
      else if (field[1] === 'Access') cur.access = field[2]!.split(',').map((s) => s.trim()).filter(Boolean);
      else cur.usage = field[2]!.split(',').map((s) => s.trim()).filter(Boolean);
    }
  }
  return out;
}

/** pkcs11-tool names a token by slot index among present slots; find the one with `serial`. */
function selectToken(hsm: SoftHsm, serial: string): string[] {
  const r = tool(hsm, ['--list-token-slots']);
  if (r.status !== 0) throw new Error(`pkcs11-tool --list-token-slots failed: ${r.stderr}`);
  const re = /Slot \d+ \(0x([0-9a-f]+)\):[\s\S]*?serial num\s*:\s*(\S+)/g;
  for (const m of r.stdout.matchAll(re)) if (m[2] === serial) return ['--slot', String(parseInt(m[1]!, 16))];
  throw new Error(`pkcs11-tool sees no token with serial ${serial}:\n${r.stdout}`);
}

/** `pkcs11-tool --read-object`: the object's value, or the tool's failure (a sensitive key's value cannot be read). */
export function readObject(hsm: SoftHsm, serial: string, pin: string, type: 'secrkey' | 'privkey' | 'pubkey', label: string): { ok: boolean; value: Buffer; stderr: string } {
  const r = spawnSync('pkcs11-tool', ['--module', hsm.module, ...selectToken(hsm, serial), '--login', '--pin', pin, '--read-object', '--type', type, '--label', label],
    { env: { ...process.env, SOFTHSM2_CONF: hsm.conf } });
  return { ok: r.status === 0 && r.stdout.length > 0, value: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** openssl, for independent checks (`openssl dgst -verify`, `pkeyutl`). */
export function openssl(args: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('openssl', args, { input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}
