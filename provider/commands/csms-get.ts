/**
 * `dew csms get NAME [--version V | --stage S] [--base64]`: prints a secret's value and nothing else, for
 * scripts. Text is printed as it is, with a newline after it only on a terminal, so `> file` gets the exact
 * bytes and `$(dew csms get db)` the value (command substitution strips trailing newlines either way).
 * A binary value is written as raw bytes (refused on a terminal), or as Base64 with --base64. Any failure is
 * one line on stderr and exit 1; no message holds the value.
 */
import type { DewClient } from '../client/dew-client.js';
import { DewApiError } from '../client/errors.js';
import { CliError, type CommandContext } from './context.js';
import { connect } from './connect.js';
import { parseArgs } from './args.js';

export const CSMS_GET_USAGE = 'dew csms get NAME [--version V | --stage STAGE] [--base64] [-credentials FILE]';

const base = (name: string): string => `/v1/{project_id}/secrets/${encodeURIComponent(name)}`;

/** What to read: a version id (`latest` by default), or the version a stage points at. */
export type GetTarget = { version: string } | { stage: string };

/** Parses the words after `dew csms get` (pure). */
export function parseGetArgs(argv: readonly string[]): { name: string; target: GetTarget; base64: boolean; credentials?: string } {
  const a = parseArgs(argv, { version: 'string', stage: 'string', base64: 'bool', credentials: 'string' }, 'csms get');
  if (a.positionals.length !== 1) throw new CliError('usage', 'dew csms get takes one secret name', { hint: `usage: ${CSMS_GET_USAGE}` });
  const version = a.strings.get('version');
  const stage = a.strings.get('stage');
  if (version !== undefined && stage !== undefined) throw new CliError('usage', 'dew csms get takes --version or --stage, not both');
  if (version !== undefined && !/^(v\d{1,10}|latest)$/.test(version)) throw new CliError('usage', `--version ${version}: a version is v1, v2, … or latest`);
  return { name: a.positionals[0], target: stage !== undefined ? { stage } : { version: version ?? 'latest' }, base64: a.bools.has('base64'), credentials: a.strings.get('credentials') };
}

/** An API failure as one line that names what was asked for (never the value: the request holds none). */
function failure(e: unknown, what: string): unknown {
  if (!(e instanceof DewApiError)) return e;
  if (e.status === 404) return new CliError('csms.not_found', `${what} not found (${e.code})`, { cause: e });
  return new CliError(e.code, `cannot read ${what}: ${e.message}`, { cause: e });
}

async function readValue(client: DewClient, name: string, target: GetTarget): Promise<{ text?: string; binary?: string }> {
  let version = 'version' in target ? target.version : '';
  if ('stage' in target) {
    const stage = await client.request('GET', `${base(name)}/stages/${encodeURIComponent(target.stage)}`).catch((e: unknown) => Promise.reject(failure(e, `stage ${target.stage} of secret ${name}`)));
    version = String((stage.body as { stage?: { version_id?: unknown } }).stage?.version_id ?? '');
    if (!version) throw new CliError('csms.not_found', `stage ${target.stage} of secret ${name} points at no version`);
  }
  const what = version === 'latest' ? `secret ${name}` : `version ${version} of secret ${name}`;
  const res = await client.request('GET', `${base(name)}/versions/${encodeURIComponent(version)}`).catch((e: unknown) => Promise.reject(failure(e, what)));
  const v = (res.body as { version?: { secret_string?: unknown; secret_binary?: unknown } }).version;
  if (typeof v?.secret_binary === 'string') return { binary: v.secret_binary };
  if (typeof v?.secret_string === 'string') return { text: v.secret_string };
  throw new CliError('csms.no_value', `the daemon answered ${what} without a value`);
}

export async function csmsGet(ctx: CommandContext, argv: readonly string[], credentialsFile?: string): Promise<number> {
  const args = parseGetArgs(argv);
  const { client } = connect(ctx, args.credentials ?? credentialsFile);
  const value = await readValue(client, args.name, args.target);
  const eol = ctx.stdout.isTTY ? '\n' : '';
  if (value.text !== undefined) {
    ctx.stdout.write(value.text + eol);
    return 0;
  }
  if (args.base64) {
    ctx.stdout.write(value.binary! + eol);
    return 0;
  }
  if (ctx.stdout.isTTY) throw new CliError('csms.binary_tty', `secret ${args.name} holds binary data`, { hint: 'Redirect it to a file (dew csms get NAME > FILE) or print it as Base64 with --base64.' });
  if (!ctx.stdout.writeBytes) throw new CliError('csms.binary', `secret ${args.name} holds binary data and this output takes text only`, { hint: 'Use --base64.' });
  ctx.stdout.writeBytes(Buffer.from(value.binary!, 'base64'));
  return 0;
}
