/**
 * `dew operator init|unseal|seal|status|rekey`: the daemon's master key (daemon/seal/). init,
 * unseal and status need no credentials (the shares are the credential; the daemon may have none
 * yet) and reach the daemon at --endpoint URL, DEW_ENDPOINT, the credentials' endpoint, or
 * http://127.0.0.1:8787; seal and rekey are signed with an operator administrator's credentials.
 * Shares, passphrases and PINs are read from the terminal (not echoed) or standard input, or from
 * the environment, never from argv (but for `unseal SHARE`, allowed as Vault allows it).
 */
import { readFileSync } from 'node:fs';
import { resolveCredentials } from '../client/credentials.js';
import { toDewApiError, DewNetworkError } from '../client/errors.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag } from './connect.js';
import { HELP, renderHelp } from './help-table.js';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';
const MODES = ['dev', 'passphrase', 'shamir', 'pkcs11'];

interface SealStatus {
  mode: string;
  initialized: boolean;
  sealed: boolean;
  state: string;
  threshold?: number;
  shares?: number;
  progress?: number;
}

/** Flags `--name VALUE` / `--name=VALUE` / switches, and positionals. */
function parseFlags(argv: readonly string[], valued: readonly string[], switches: readonly string[]): { values: Map<string, string>; on: Set<string>; positional: string[] } {
  const values = new Map<string, string>();
  const on = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    if (switches.includes(name) && eq < 0) {
      on.add(name);
      continue;
    }
    if (!valued.includes(name)) throw new CliError('usage', `unknown flag ${a.slice(0, eq > 0 ? eq : undefined)}`, { hint: 'Run `dew operator --help`.', exitCode: 2 });
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new CliError('usage', `${a} needs a value`, { exitCode: 2 });
    values.set(name, v);
  }
  return { values, on, positional };
}

function intFlag(values: Map<string, string>, name: string): number {
  const v = values.get(name);
  if (v === undefined) throw new CliError('usage', `--${name} N is required`, { exitCode: 2 });
  if (!/^\d+$/.test(v)) throw new CliError('usage', `--${name}: a whole number expected, got ${JSON.stringify(v.slice(0, 20))}`, { exitCode: 2 });
  return Number(v);
}

/** The daemon's URL for the calls that need no credentials. */
function endpointOf(ctx: CommandContext, values: Map<string, string>, credentialsFile?: string): string {
  const given = values.get('endpoint') ?? ctx.env.DEW_ENDPOINT;
  if (given) return given.replace(/\/+$/, '');
  try {
    return resolveCredentials({ credentialsFile }, ctx.env, ctx.cwd, (p) => readFileSync(p, 'utf8')).credentials.endpoint;
  } catch {
    return DEFAULT_ENDPOINT;
  }
}

/** An unsigned seal API call; a daemon error becomes DewApiError (printed by the CLI as code and message). */
async function sysCall(endpoint: string, method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(endpoint + path, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new DewNetworkError(endpoint, { cause: error });
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: the error says the status */
  }
  if (res.status >= 400) {
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    throw toDewApiError(res.status, headers, parsed);
  }
  return (parsed ?? {}) as Record<string, unknown>;
}

/**
 * One line from the terminal (asked, not echoed) or standard input (the question then goes to
 * stderr, so a piped `… | dew operator unseal --json` prints only the JSON on stdout).
 */
async function askSecret(ctx: CommandContext, question: string): Promise<string | undefined> {
  if (ctx.promptSecret) return ctx.promptSecret(question);
  if (!ctx.prompt) return undefined;
  ctx.stderr.write(question);
  const answer = await ctx.prompt('');
  ctx.stderr.write('\n');
  return answer;
}

/** A secret from the terminal or standard input (askSecret); a CliError when there is no input. */
async function readSecret(ctx: CommandContext, question: string): Promise<string> {
  const answer = await askSecret(ctx, question);
  if (answer === undefined || answer.trim() === '') throw new CliError('operator.no_input', `no input: ${question.replace(/:\s*$/, '')} expected on the terminal or standard input`, { exitCode: 1 });
  return answer.trim();
}

function progressLine(s: SealStatus): string {
  if (s.mode !== 'shamir') return `${s.sealed ? 'sealed' : 'unsealed'} (master key in ${s.mode} mode)`;
  if (!s.initialized) return 'not initialised: run `dew operator init --shares N --threshold K`';
  if (!s.sealed) return `unsealed (${s.threshold} of ${s.shares} shares unseal it)`;
  return `sealed: ${s.progress ?? 0} of ${s.threshold} shares given`;
}

function printStatus(ctx: CommandContext, s: SealStatus): void {
  const rows: [string, string][] = [
    ['Mode', s.mode],
    ['Initialised', s.initialized ? 'yes' : 'no'],
    ['Sealed', s.sealed ? (s.state === 'sealed' ? 'yes' : `yes (${s.state})`) : 'no'],
  ];
  if (s.mode === 'shamir' && s.initialized) {
    rows.push(['Shares', `${s.shares} (threshold ${s.threshold})`]);
    if (s.sealed) rows.push(['Progress', `${s.progress ?? 0} of ${s.threshold} shares given`]);
  }
  ctx.stdout.write(rows.map(([k, v]) => `${(k + ':').padEnd(13)}${v}`).join('\n') + '\n');
}

async function status(ctx: CommandContext, argv: readonly string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const { values, on } = parseFlags(rest, ['endpoint'], ['json']);
  const s = (await sysCall(endpointOf(ctx, values, credentialsFile), 'GET', '/v1/sys/seal-status')) as unknown as SealStatus;
  if (on.has('json')) ctx.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else printStatus(ctx, s);
  return 0;
}

async function init(ctx: CommandContext, argv: readonly string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const { values, on } = parseFlags(rest, ['endpoint', 'shares', 'threshold'], ['json']);
  const shares = intFlag(values, 'shares');
  const threshold = intFlag(values, 'threshold');
  const answer = await sysCall(endpointOf(ctx, values, credentialsFile), 'POST', '/v1/sys/init', { shares, threshold });
  const list = answer.shares as string[];
  if (on.has('json')) {
    ctx.stdout.write(JSON.stringify({ shares: list, threshold: answer.threshold }, null, 2) + '\n');
    return 0;
  }
  ctx.stdout.write(list.map((s, i) => `Key share ${i + 1}: ${s}`).join('\n') + '\n\n');
  ctx.stdout.write(
    `The master key is split into ${list.length} shares; any ${threshold} of them rebuild it.\n` +
      'These shares are shown once and dew keeps none of them: give each to a different person and store\n' +
      `them apart (one share, or any ${threshold - 1}, reveals nothing of the key; ${threshold} together unseal the daemon).\n\n` +
      `The daemon is sealed: run \`dew operator unseal\` with ${threshold} different shares.\n`,
  );
  return 0;
}

async function unseal(ctx: CommandContext, argv: readonly string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const { values, on, positional } = parseFlags(rest, ['endpoint'], ['json']);
  if (positional.length > 1) throw new CliError('usage', 'dew operator unseal takes at most one share', { exitCode: 2 });
  const endpoint = endpointOf(ctx, values, credentialsFile);
  let share = positional[0];
  if (share === undefined) {
    const s = (await sysCall(endpoint, 'GET', '/v1/sys/seal-status')) as unknown as SealStatus;
    if (!s.sealed) {
      ctx.stdout.write(`The daemon is not sealed: ${progressLine(s)}.\n`);
      return 0;
    }
    share = await readSecret(ctx, `Key share (${s.progress ?? 0} of ${s.threshold ?? '?'} given): `);
  }
  const s = (await sysCall(endpoint, 'POST', '/v1/sys/unseal', { share })) as unknown as SealStatus;
  if (on.has('json')) ctx.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else if (!s.sealed) ctx.stdout.write(`Unsealed: the master key is rebuilt and the daemon serves (${s.threshold} of ${s.threshold} shares given).\n`);
  else if (s.state === 'unsealing') ctx.stdout.write(`Share accepted: ${s.progress} of ${s.threshold} shares given; the services are starting.\n`);
  else ctx.stdout.write(`Share accepted: ${s.progress} of ${s.threshold} shares given; ${(s.threshold ?? 0) - (s.progress ?? 0)} more to unseal.\n`);
  return 0;
}

async function seal(ctx: CommandContext, argv: readonly string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  parseFlags(rest, [], []);
  const { client, endpoint } = connect(ctx, credentialsFile);
  await client.request('POST', '/v1/sys/seal', {});
  // The answer comes before the teardown: wait until the services are down.
  let s: SealStatus;
  for (;;) {
    s = (await sysCall(endpoint, 'GET', '/v1/sys/seal-status')) as unknown as SealStatus;
    if (s.state !== 'sealing') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  ctx.stdout.write(
    s.mode === 'shamir'
      ? `Sealed: the services are stopped and the master key wiped from memory; every API call answers 503 until ${s.threshold} shares are given with \`dew operator unseal\`.\n`
      : `Sealed: the services are stopped and the master key wiped from memory; every API call answers 503 until the daemon is restarted (master key in ${s.mode} mode).\n`,
  );
  return 0;
}

async function rekey(ctx: CommandContext, argv: readonly string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const { values, on, positional } = parseFlags(rest, ['to', 'shares', 'threshold', 'pkcs11-token'], ['verify', 'cancel']);
  const { client } = connect(ctx, credentialsFile);
  if (on.has('cancel')) {
    await client.request('DELETE', '/v1/sys/rekey');
    ctx.stdout.write('The pending rekey is cancelled: its new shares are forgotten, the master key is unchanged.\n');
    return 0;
  }
  if (on.has('verify')) {
    const pending = (await client.request('GET', '/v1/sys/rekey')).body as Record<string, unknown>;
    if (!pending.pending) throw new CliError('operator.no_rekey', 'no rekey is pending', { hint: 'Start one with `dew operator rekey --to shamir --shares N --threshold K`.' });
    return verifyShares(ctx, client, String(pending.nonce), Number(pending.threshold), Number(pending.progress), positional[0]);
  }
  const to = values.get('to');
  if (!to || !MODES.includes(to)) throw new CliError('usage', `--to: one of ${MODES.join(', ')}`, { exitCode: 2 });
  const body: Record<string, unknown> = { to };
  if (to === 'shamir') {
    body.shares = intFlag(values, 'shares');
    body.threshold = intFlag(values, 'threshold');
  } else if (to === 'passphrase') {
    let p = ctx.env.DEW_NEW_MASTER_PASSPHRASE;
    if (!p) {
      p = await readSecret(ctx, 'New master passphrase: ');
      if ((await readSecret(ctx, 'The same passphrase again: ')) !== p) throw new CliError('operator.passphrase_mismatch', 'the two passphrases differ; nothing was changed');
    }
    body.passphrase = p;
  } else if (to === 'pkcs11') {
    const token = values.get('pkcs11-token') ?? ctx.env.DEW_PKCS11_TOKEN;
    if (!token) throw new CliError('usage', '--to pkcs11 needs --pkcs11-token LABEL (or DEW_PKCS11_TOKEN)', { exitCode: 2 });
    body.pkcs11_token = token;
    body.pkcs11_pin = ctx.env.DEW_PKCS11_PIN || (await readSecret(ctx, `User PIN of token ${token}: `));
  }
  const answer = (await client.request('POST', '/v1/sys/rekey', body)).body as Record<string, unknown>;
  if (to !== 'shamir') {
    ctx.stdout.write(`Rekeyed: ${doneLine(to, values.get('pkcs11-token') ?? ctx.env.DEW_PKCS11_TOKEN)}\nOnly the partition roots were re-sealed; every key, ciphertext, credential and token stays valid.\n`);
    return 0;
  }
  const list = answer.shares as string[];
  ctx.stdout.write(list.map((s, i) => `New key share ${i + 1}: ${s}`).join('\n') + '\n\n');
  ctx.stdout.write(
    `The new master key is split into ${list.length} shares; any ${answer.threshold} rebuild it. They are shown once: store them apart.\n` +
      `Nothing is changed yet: give back ${answer.threshold} of the new shares to confirm they were kept; the rekey commits then.\n`,
  );
  return verifyShares(ctx, client, String(answer.nonce), Number(answer.threshold), 0, undefined);
}

async function verifyShares(ctx: CommandContext, client: ReturnType<typeof connect>['client'], nonce: string, threshold: number, given: number, first: string | undefined): Promise<number> {
  for (let n = given; n < threshold; n++) {
    let share = n === given ? first : undefined;
    if (share === undefined) {
      const answer = await askSecret(ctx, `New key share (${n} of ${threshold} given back): `);
      if (answer === undefined || answer.trim() === '') {
        ctx.stderr.write(`The rekey is pending (for 10 minutes), the master key unchanged: give the new shares back with \`dew operator rekey --verify\`, or drop it with \`dew operator rekey --cancel\`.\n`);
        return 1;
      }
      share = answer.trim();
    }
    const r = (await client.request('POST', '/v1/sys/rekey/verify', { nonce, share })).body as Record<string, unknown>;
    if (r.complete) {
      ctx.stdout.write(`Rekeyed: ${doneLine('shamir')} The old shares no longer unseal this daemon.\nOnly the partition roots were re-sealed; every key, ciphertext, credential and token stays valid.\n`);
      return 0;
    }
  }
  return 0;
}

function doneLine(to: string, token?: string): string {
  switch (to) {
    case 'dev':
      return 'the master key is now the key file master.key in the daemon\'s data dir (dev mode).';
    case 'passphrase':
      return 'the master key is now sealed by the new passphrase: start the daemon with DEW_MASTER_PASSPHRASE set to it from now on.';
    case 'pkcs11':
      return `the master key is now wrapped by a key inside token ${token}: start the daemon with --seal pkcs11 --pkcs11-token ${token} and DEW_PKCS11_PIN from now on.`;
    default:
      return 'the master key is now split into the new shares.';
  }
}

const SUBCOMMANDS: Readonly<Record<string, (ctx: CommandContext, argv: readonly string[]) => Promise<number>>> = Object.freeze({ status, init, unseal, seal, rekey });

export const operatorCommand: Command = async (ctx) => {
  const [sub, ...rest] = ctx.argv;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) {
    ctx.stdout.write(renderHelp(HELP.operator));
    if (!sub) return 1;
    throw new CliError('usage', `dew operator: unknown command ${sub}`, { exitCode: 2 });
  }
  return run(ctx, rest);
};
