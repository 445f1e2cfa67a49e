/** Builds the daemon client a command uses, from `--credentials FILE` or the usual fallbacks. */
import { readFileSync } from 'node:fs';
import { resolveCredentials, CredentialsError } from '../client/credentials.js';
import { DewClient } from '../client/dew-client.js';
import { DewApiError } from '../client/errors.js';
import { CliError, type CommandContext } from './context.js';

export interface Connection {
  client: DewClient;
  endpoint: string;
  projectId: string;
}

export function connect(ctx: CommandContext, credentialsFile?: string): Connection {
  try {
    const { credentials } = resolveCredentials({ credentialsFile }, ctx.env, ctx.cwd, (p) => readFileSync(p, 'utf8'));
    const client = ctx.env.DEW_TOKEN
      ? new DewClient({ endpoint: credentials.endpoint, projectId: credentials.projectId, token: ctx.env.DEW_TOKEN })
      : new DewClient({ endpoint: credentials.endpoint, projectId: credentials.projectId, accessKey: credentials.accessKey, secretKey: credentials.secretKey });
    return { client, endpoint: credentials.endpoint, projectId: credentials.projectId };
  } catch (err) {
    if (err instanceof CredentialsError) throw new CliError(`credentials.${err.code}`, err.message, { hint: err.hint, cause: err });
    throw err;
  }
}

/** Removes `--NAME FILE` / `--NAME=FILE` (one dash also taken) from argv and returns the path; an empty path is a usage error. */
export function takeFileFlag(argv: readonly string[], name: string): { rest: string[]; file?: string } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const inline = a.startsWith(`--${name}=`) || a.startsWith(`-${name}=`);
    if (a === `--${name}` || a === `-${name}` || inline) {
      file = inline ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (file === undefined || file === '') throw new CliError('usage', `--${name} needs a file path`);
    } else {
      rest.push(a);
    }
  }
  return { rest, file };
}

/** Removes `--credentials FILE` / `--credentials=FILE` from argv and returns it. */
export function takeCredentialsFlag(argv: readonly string[]): { rest: string[]; credentialsFile?: string } {
  const { rest, file } = takeFileFlag(argv, 'credentials');
  return { rest, credentialsFile: file };
}

/**
 * Runs a command body that prints a daemon answer: a daemon error is printed to stderr as JSON
 * (status, reference code, message, request id) and becomes exit code 1.
 */
export async function printingApiErrors(ctx: CommandContext, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof DewApiError) {
      ctx.stderr.write(JSON.stringify({ status: err.status, error_code: err.code, error_msg: err.message, request_id: err.requestId }, null, 2) + '\n');
      return 1;
    }
    throw err;
  }
}
