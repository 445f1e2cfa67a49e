/**
 * `dew envelope encrypt -key-id K IN OUT` / `dew envelope decrypt IN OUT` (`-` for stdin/stdout):
 * files of any size under a fresh data key from the daemon; the format is in
 * provider/envelope/envelope-format.ts. OUT as a path is written to a temp file beside it and
 * renamed only once the last chunk authenticates; on stdout, plaintext of chunks already
 * authenticated has been written when a later chunk fails (the exit code says the whole is bad).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { AES_256_GCM, DATA_KEY_BYTES, DEFAULT_CHUNK_SIZE, EnvelopeError, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, SM4_CTR_HMAC_SM3, chunkCipher, encodeHeader, type EnvelopeHeader } from '../envelope/envelope-format.js';
import { decryptStream, encryptStream, readHeader } from '../envelope/envelope-stream.js';
import { progressBar } from '../envelope/progress-bar.js';
import { parseArgs, type FlagKind } from './args.js';
import { connect } from './connect.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { toCliError } from './session.js';

/** Flags of each subcommand, with their one-line descriptions (for help). */
export const ENVELOPE_FLAGS = {
  encrypt: {
    'key-id': 'the master key (id or alias) that wraps the data key (required)',
    'chunk-size': `plaintext bytes per authenticated chunk (${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}, default ${DEFAULT_CHUNK_SIZE})`,
    credentials: 'credentials file (else DEW_* variables or the usual fallbacks)',
  },
  decrypt: { credentials: 'credentials file (else DEW_* variables or the usual fallbacks)' },
} as const;

const USAGE = 'Usage: dew envelope encrypt -key-id K [-chunk-size N] IN OUT | dew envelope decrypt IN OUT   (IN/OUT may be - for stdin/stdout)';
/** Files this large (or of unknown size) get a progress bar when stderr is a terminal. */
const PROGRESS_FROM = 64 * 1024 * 1024;

/** Where binary stdin/stdout come from (the process's in production). */
export interface EnvelopeIo {
  stdin(): Readable;
  stdout(): Writable;
}

const processIo: EnvelopeIo = { stdin: () => process.stdin, stdout: () => process.stdout };

interface Kms {
  kms(operation: string, body: object): Promise<unknown>;
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T;
  } catch (e) {
    throw toCliError(e);
  }
}

/** Writes every buffer of `gen` to `out` honouring back-pressure. */
async function drain(gen: AsyncIterable<Buffer>, out: Writable): Promise<void> {
  for await (const b of gen) {
    if (!out.write(b)) await Promise.race([once(out, 'drain'), once(out, 'error').then(([e]) => Promise.reject(e))]);
  }
}

async function openInput(ctx: CommandContext, io: EnvelopeIo, arg: string): Promise<{ stream: Readable; size?: number }> {
  if (arg === '-') return { stream: io.stdin() };
  const path = resolve(ctx.cwd, arg);
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new CliError('envelope.input', `cannot read ${arg}: ${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message}`);
  });
  if (!st.isFile()) throw new CliError('envelope.input', `cannot read ${arg}: not a regular file`);
  return { stream: createReadStream(path, { highWaterMark: 1 << 20 }), size: st.size };
}

/** Runs `produce` into OUT: stdout directly, or a temp file renamed over OUT only on success. */
async function withOutput(ctx: CommandContext, io: EnvelopeIo, arg: string, produce: (out: Writable) => Promise<void>): Promise<void> {
  if (arg === '-') {
    const out = io.stdout();
    await produce(out);
    return;
  }
  const target = resolve(ctx.cwd, arg);
  const tmp = join(dirname(target), `.${basename(target)}.dew-${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600, highWaterMark: 8 << 20 });
  try {
    await once(out, 'open');
    await produce(out);
    out.end();
    await once(out, 'finish');
    await rename(tmp, target);
  } catch (e) {
    // Writes may still be queued: the stream is destroyed quietly and closed before the unlink.
    out.on('error', () => undefined);
    const closed = out.closed ? Promise.resolve() : once(out, 'close').catch(() => undefined);
    out.destroy();
    await closed;
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

function envelopeFailure(e: unknown): unknown {
  if (e instanceof EnvelopeError) return new CliError('envelope.invalid', e.message, { cause: e });
  return e;
}

async function encrypt(ctx: CommandContext, io: EnvelopeIo, kms: Kms, keyId: string, chunkSize: number, inArg: string, outArg: string): Promise<void> {
  const input = await openInput(ctx, io, inArg);
  const info = await call<{ key_info: { key_id: string; key_spec: string } }>(kms.kms('describe-key', { key_id: keyId }));
  const algorithm = info.key_info.key_spec.startsWith('SM4') ? SM4_CTR_HMAC_SM3 : AES_256_GCM;
  const dk = await call<{ key_id: string; plain_text: string; cipher_text: string }>(kms.kms('create-datakey', { key_id: keyId, datakey_length: String(DATA_KEY_BYTES * 8) }));
  const dataKey = Buffer.from(dk.plain_text, 'hex');
  const header: EnvelopeHeader = { algorithm, chunkSize, salt: randomBytes(16), keyId: dk.key_id, encryptedDataKey: Buffer.from(dk.cipher_text, 'hex') };
  const headerBytes = encodeHeader(header);
  let cipher;
  try {
    cipher = chunkCipher(header, headerBytes, dataKey);
  } finally {
    dataKey.fill(0);
  }
  const bar = ctx.stderr.isTTY && (input.size === undefined || input.size >= PROGRESS_FROM) ? progressBar(ctx.stderr, 'encrypt', input.size, ctx.now) : undefined;
  try {
    await withOutput(ctx, io, outArg, (out) => drain(encryptStream(input.stream, headerBytes, header, cipher, bar?.add), out));
  } finally {
    cipher.wipe();
    bar?.done();
  }
}

async function decrypt(ctx: CommandContext, io: EnvelopeIo, kms: () => Kms, inArg: string, outArg: string): Promise<void> {
  const input = await openInput(ctx, io, inArg);
  const { header, headerBytes, rest } = await readHeader(input.stream);
  const dk = await call<{ data_key: string }>(
    kms().kms('decrypt-datakey', { key_id: header.keyId, cipher_text: header.encryptedDataKey.toString('hex'), datakey_cipher_length: String(DATA_KEY_BYTES) }),
  );
  const dataKey = Buffer.from(dk.data_key, 'hex');
  let cipher;
  try {
    cipher = chunkCipher(header, headerBytes, dataKey);
  } finally {
    dataKey.fill(0);
  }
  const bar = ctx.stderr.isTTY && (input.size === undefined || input.size >= PROGRESS_FROM) ? progressBar(ctx.stderr, 'decrypt', input.size, ctx.now) : undefined;
  if (bar) bar.add(headerBytes.length);
  try {
    await withOutput(ctx, io, outArg, (out) => drain(decryptStream(rest, header, cipher, bar?.add), out));
  } finally {
    cipher.wipe();
    bar?.done();
  }
}

export function makeEnvelopeCommand(io: EnvelopeIo = processIo): Command {
  return async (ctx) => {
    const [sub, ...rest] = ctx.argv;
    if (sub !== 'encrypt' && sub !== 'decrypt') throw new CliError('usage', sub ? `dew envelope: unknown subcommand ${sub}` : 'dew envelope needs a subcommand', { hint: USAGE });
    const spec: Record<string, FlagKind> = Object.fromEntries(Object.keys(ENVELOPE_FLAGS[sub]).map((f) => [f, 'string']));
    const args = parseArgs(rest, spec, `envelope ${sub}`);
    if (args.positionals.length !== 2) throw new CliError('usage', `dew envelope ${sub} needs IN and OUT`, { hint: USAGE });
    const [inArg, outArg] = args.positionals;
    const kms = () => connect(ctx, args.strings.get('credentials')).client;
    try {
      if (sub === 'encrypt') {
        const keyId = args.strings.get('key-id');
        if (!keyId) throw new CliError('usage', 'dew envelope encrypt needs -key-id', { hint: USAGE });
        const cs = args.strings.get('chunk-size');
        const chunkSize = cs === undefined ? DEFAULT_CHUNK_SIZE : Number(cs);
        if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new CliError('usage', `-chunk-size must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
        await encrypt(ctx, io, kms(), keyId, chunkSize, inArg, outArg);
      } else {
        await decrypt(ctx, io, kms, inArg, outArg);
      }
    } catch (e) {
      throw envelopeFailure(e);
    }
    return 0;
  };
}

export const envelopeCommand: Command = makeEnvelopeCommand();
