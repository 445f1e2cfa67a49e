/**
 * `dew kps convert [-to FORMAT] [-public] [-passphrase-file F] [-comment C] [-force] IN OUT`: offline
 * conversion between the SSH key formats the key pair service reads and writes (FAQ 3.17: .ppk to
 * .pem and back, without PuTTYgen). IN may hold a private or a public key; `-` is stdin/stdout.
 * OUT as a path is never replaced unless -force says so; a private key is written with mode 0600,
 * a public one 0644. Nothing of the key reaches stderr: only its type and fingerprint.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from './args.js';
import { CliError, type CommandContext } from './context.js';
import type { CommandHelp } from './help-table.js';
import type { KeyDescription, KeyFormatLibrary, PrivateFormatName, PublicFormatName } from './key-format-library.js';
import { daemonEntry } from './offline.js';

const PRIVATE_FORMATS: readonly PrivateFormatName[] = Object.freeze(['openssh', 'pkcs8', 'pkcs1', 'ppk', 'ppk2']);
const PUBLIC_FORMATS: readonly PublicFormatName[] = Object.freeze(['openssh', 'rfc4716', 'pem']);
const FORMAT_LABEL: Readonly<Record<string, string>> = Object.freeze({
  openssh: 'OpenSSH',
  pkcs8: 'PKCS#8 PEM',
  pkcs1: 'PKCS#1/SEC1 PEM',
  ppk: 'PuTTY .ppk v3',
  ppk2: 'PuTTY .ppk v2',
  rfc4716: 'RFC 4716',
  pem: 'SPKI PEM',
});
/** Longer than any key file; the library refuses the same. */
const MAX_INPUT = 64 * 1024;

const USAGE = 'Usage: dew kps convert [-to FORMAT] [-public] [-passphrase-file F] [-comment C] [-force] IN OUT   (IN/OUT may be - for stdin/stdout)';

/** `dew kps convert --help`, for the command table. */
export const KPS_CONVERT_HELP: CommandHelp = Object.freeze({
  summary: 'converts an SSH key between OpenSSH, PEM (PKCS#8, PKCS#1/SEC1), PuTTY .ppk and RFC 4716, offline',
  usage: 'dew kps convert [-to FORMAT] [-public] [-passphrase-file F] [-comment C] [-force] IN OUT',
  flags: [
    { flag: '-to FORMAT', text: 'private key: openssh (default), pkcs8, pkcs1 (SEC1 for ECDSA), ppk (PuTTY v3), ppk2 (PuTTY v2); public key: openssh (default), rfc4716, pem' },
    { flag: '-public', text: 'write the public key of IN (IN may be a private key)' },
    { flag: '-passphrase-file F', text: 'the passphrase of an encrypted IN (one trailing new line is ignored); output is never encrypted' },
    { flag: '-comment C', text: 'the comment to write where the format has one (default: the one IN carries)' },
    { flag: '-force', text: 'replace OUT when it exists' },
  ],
  notes: ['IN and OUT may be - for stdin and stdout. A private OUT file is created with mode 0600, a public one 0644.'],
});

/** Where stdin comes from (the process's in production). */
export interface KpsConvertIo {
  stdin(): Readable;
}

const processIo: KpsConvertIo = { stdin: () => process.stdin };

export interface ConvertRequest {
  to?: string;
  publicOnly: boolean;
  passphrase?: string;
  comment?: string;
}

export interface Converted {
  text: string;
  isPrivate: boolean;
  /** For the one line on stderr: type, bits, fingerprint, format; never key material. */
  summary: string;
}

function keyError(lib: KeyFormatLibrary, e: unknown, inArg: string): unknown {
  if (!(e instanceof lib.KeyFormatError)) return e;
  const hint = e.code === 'passphrase_needed' || e.code === 'wrong_passphrase' ? 'Give the passphrase with -passphrase-file FILE (the file holds only the passphrase).' : undefined;
  return new CliError(`kps.${e.code}`, `${inArg === '-' ? 'stdin' : inArg}: ${e.message}`, { hint, cause: e });
}

function summaryOf(info: KeyDescription, kind: 'private' | 'public', format: string): string {
  return `${info.algorithm} ${info.fingerprint}, ${kind} key as ${FORMAT_LABEL[format]}`;
}

/** The conversion itself: IN's text to OUT's text (pure; KeyFormatError for a key the library refuses). */
export function convertKey(lib: KeyFormatLibrary, text: string, req: ConvertRequest): Converted {
  let pair: { public: KeyDescription; privateKey: string } | undefined;
  let info: KeyDescription;
  try {
    pair = lib.parsePrivateKey(text, req.passphrase);
    info = pair.public;
  } catch (e) {
    if (!(e instanceof lib.KeyFormatError) || e.code !== 'public_given') throw e;
    info = lib.parsePublicKey(text);
  }
  const to = req.to ?? 'openssh';
  if (pair && !req.publicOnly) {
    if (!PRIVATE_FORMATS.includes(to as PrivateFormatName)) {
      throw new CliError('usage', `-to ${to} is a public key format; add -public to write IN's public key`, { hint: `Private key formats: ${PRIVATE_FORMATS.join(', ')}.` });
    }
    return { text: lib.exportPrivateKey(pair.privateKey, to as PrivateFormatName, req.comment), isPrivate: true, summary: summaryOf(info, 'private', to) };
  }
  if (!PUBLIC_FORMATS.includes(to as PublicFormatName)) {
    const message = pair ? `-public writes a public key, and -to ${to} is a private key format` : `IN holds a public key; -to ${to} needs a private key`;
    throw new CliError('usage', message, { hint: `Public key formats: ${PUBLIC_FORMATS.join(', ')}.` });
  }
  if (req.comment !== undefined) info = lib.parsePublicKey(`${info.openssh.split(' ').slice(0, 2).join(' ')} ${req.comment}`);
  return { text: lib.exportPublicKey(info, to as PublicFormatName), isPrivate: false, summary: summaryOf(info, 'public', to) };
}

async function readStdin(io: KpsConvertIo): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin()) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > MAX_INPUT) throw new CliError('kps.input', `stdin holds more than ${MAX_INPUT / 1024} KiB: not a key`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message);
}

async function readSmallFile(ctx: CommandContext, arg: string, what: string): Promise<Buffer> {
  const path = resolve(ctx.cwd, arg);
  const st = await stat(path).catch((e: unknown) => {
    throw new CliError('kps.input', `cannot read ${what} ${arg}: ${fsReason(e)}`);
  });
  if (!st.isFile()) throw new CliError('kps.input', `cannot read ${what} ${arg}: not a regular file`);
  if (st.size > MAX_INPUT) throw new CliError('kps.input', `${what} ${arg} is larger than ${MAX_INPUT / 1024} KiB: not a key file`);
  return readFile(path).catch((e: unknown) => {
    throw new CliError('kps.input', `cannot read ${what} ${arg}: ${fsReason(e)}`);
  });
}

async function readInput(ctx: CommandContext, io: KpsConvertIo, arg: string): Promise<string> {
  const bytes = arg === '-' ? await readStdin(io) : await readSmallFile(ctx, arg, 'IN');
  try {
    if (bytes.includes(0)) throw new CliError('kps.input', `${arg === '-' ? 'stdin' : arg} is binary: dew reads keys as text (OpenSSH, PEM, PuTTY .ppk, RFC 4716)`);
    return bytes.toString('utf8');
  } finally {
    bytes.fill(0);
  }
}

/** The passphrase file's text, one trailing new line dropped (as `echo pass > file` leaves one); empty means none. */
async function readPassphrase(ctx: CommandContext, arg: string): Promise<string | undefined> {
  const bytes = await readSmallFile(ctx, arg, 'passphrase file');
  try {
    const text = bytes.toString('utf8').replace(/\r?\n$/, '');
    return text === '' ? undefined : text;
  } finally {
    bytes.fill(0);
  }
}

/**
 * Writes OUT: without -force an existing file is an error (O_EXCL, so no race replaces one);
 * with -force a temp file beside OUT is renamed over it, so OUT is never half-written.
 */
async function writeOutput(ctx: CommandContext, arg: string, text: string, mode: number, force: boolean): Promise<void> {
  if (arg === '-') {
    ctx.stdout.write(text);
    return;
  }
  const target = resolve(ctx.cwd, arg);
  const failed = (e: unknown) => new CliError('kps.output', `cannot write ${arg}: ${fsReason(e)}`, { cause: e });
  if (!force) {
    try {
      await writeFile(target, text, { flag: 'wx', mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError('kps.exists', `${arg} already exists`, { hint: 'Pass -force to replace it, or choose another OUT.' });
      await unlink(target).catch(() => undefined);
      throw failed(e);
    }
    return;
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile()) throw new CliError('kps.output', `cannot write ${arg}: not a regular file`);
  const tmp = join(dirname(target), `.${basename(target)}.dew-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx', mode });
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw failed(e);
  }
}

export async function kpsConvert(ctx: CommandContext, argv: string[], io: KpsConvertIo = processIo): Promise<number> {
  const args = parseArgs(argv, { to: 'string', public: 'bool', 'passphrase-file': 'string', comment: 'string', force: 'bool' }, 'kps convert');
  if (args.positionals.length !== 2) throw new CliError('usage', 'dew kps convert needs IN and OUT', { hint: USAGE });
  const [inArg, outArg] = args.positionals;
  const to = args.strings.get('to');
  if (to !== undefined && !PRIVATE_FORMATS.includes(to as PrivateFormatName) && !PUBLIC_FORMATS.includes(to as PublicFormatName)) {
    throw new CliError('usage', `-to ${to}: not a key format`, { hint: `Private key formats: ${PRIVATE_FORMATS.join(', ')}; public key formats: ${PUBLIC_FORMATS.join(', ')}.` });
  }
  const lib = await daemonEntry(ctx).keyFormats();
  const passFile = args.strings.get('passphrase-file');
  const passphrase = passFile === undefined ? undefined : await readPassphrase(ctx, passFile);
  const text = await readInput(ctx, io, inArg);
  let out: Converted;
  try {
    out = convertKey(lib, text, { to, publicOnly: args.bools.has('public'), passphrase, comment: args.strings.get('comment') });
  } catch (e) {
    throw keyError(lib, e, inArg);
  }
  await writeOutput(ctx, outArg, out.text, out.isPrivate ? 0o600 : 0o644, args.bools.has('force'));
  if (outArg !== '-') ctx.stderr.write(`Wrote ${outArg}: ${out.summary}\n`);
  return 0;
}
