/**
 * `dew hsm <operation> [--field value]…`: calls an HSM instance operation (hsm-operations.ts) and prints the
 * JSON answer. Privileged operations send the instance's admin credential (X-Hsm-Credential) read from
 * `--credential-file FILE` or DEW_HSM_CREDENTIAL; `create --credential-file FILE` writes the new credential
 * to FILE (0600, never over an existing file) instead of printing it; `--wait` follows a job to its end.
 */
import { resolve } from 'node:path';
import type { DewClient } from '../client/dew-client.js';
import { CredentialFileError, isHsmCredential, readCredentialFile, reserveCredentialFile, type ReservedCredentialFile } from '../resources/credential-file.js';
import { HsmJobFailedError, credentialHeaders, waitForHsmJob } from '../resources/hsm-api.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, printingApiErrors, takeCredentialsFlag, takeFileFlag } from './connect.js';
import { HELP, renderHelp } from './help-table.js';
import { HSM_OPERATIONS, hsmFieldTypes, hsmOperationPage, hsmRequest, type HsmOperation } from './hsm-operations.js';
import { parseFieldFlags, unknownOperation } from './operation-fields.js';

/** Every word `dew hsm` takes. */
export function hsmOperations(): string[] {
  return Object.keys(HSM_OPERATIONS).sort();
}

/** `dew hsm OP --help`. */
export function hsmOperationHelp(operation: string): string {
  const o = HSM_OPERATIONS[operation];
  if (!o) throw unknownOperation('hsm', operation, hsmOperations());
  return hsmOperationPage(operation, o);
}

const asCliError = (e: unknown): unknown => (e instanceof CredentialFileError ? new CliError(e.code, e.message, { hint: e.hint, cause: e }) : e);

/** The admin credential a privileged operation sends: from the file, else DEW_HSM_CREDENTIAL (the credential itself). */
export async function credentialFor(ctx: CommandContext, operation: string, file: string | undefined): Promise<string> {
  if (file !== undefined) return readCredentialFile(resolve(ctx.cwd, file)).catch((e: unknown) => Promise.reject(asCliError(e)));
  const env = ctx.env.DEW_HSM_CREDENTIAL;
  if (env === undefined || env === '') throw new CliError('usage', `dew hsm ${operation} needs the instance's admin credential: --credential-file FILE or DEW_HSM_CREDENTIAL`, { hint: 'It was written (or shown once) when the instance was created.' });
  if (!isHsmCredential(env.trim())) throw new CliError('usage', 'DEW_HSM_CREDENTIAL holds no HSM admin credential (dhsm_ and 43 characters)');
  return env.trim();
}

const print = (ctx: CommandContext, answer: unknown): void => {
  if (answer !== undefined && answer !== '') ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
};

/** create's answer: the credential goes to the reserved file (and out of the answer), or is printed once with a warning. */
async function placeCredential(ctx: CommandContext, answer: unknown, file: ReservedCredentialFile | undefined): Promise<unknown> {
  const made = (answer ?? {}) as { hsm_id?: unknown; admin_credential?: unknown };
  if (!file) {
    ctx.stderr.write('Warning: the admin credential below is shown this once and dew keeps no copy: store it safely (--credential-file FILE writes it to a 0600 file instead).\n');
    return answer;
  }
  try {
    await file.write(String(made.admin_credential ?? ''));
  } catch (e) {
    await file.abandon().catch(() => undefined);
    ctx.stderr.write(`Error: the instance ${String(made.hsm_id)} was created, but its admin credential could not be written to ${file.path}: ${(e as Error).message}. The credential is printed below instead, this once.\n`);
    return answer;
  }
  ctx.stderr.write(`Wrote the admin credential of instance ${String(made.hsm_id)} to ${file.path} (mode 0600).\n`);
  const { admin_credential: _, ...rest } = made;
  return rest;
}

/** `--wait`: follows the job the answer names; prints it; a failed job is exit 1 with its reason. */
async function waitReported(ctx: CommandContext, client: DewClient, answer: unknown): Promise<number> {
  const jobId = (answer as { job_id?: unknown } | undefined)?.job_id;
  if (typeof jobId !== 'string' || jobId === '') throw new CliError('hsm.no_job', 'the daemon answered without a job_id to wait for');
  try {
    print(ctx, { job: await waitForHsmJob(client, jobId) });
    return 0;
  } catch (e) {
    if (!(e instanceof HsmJobFailedError)) throw e;
    print(ctx, { job: e.job });
    ctx.stderr.write(`Error: ${e.message}\n`);
    return 1;
  }
}

const USAGE = (): string => renderHelp(HELP.hsm).trimEnd();

async function run(ctx: CommandContext, operation: string, o: HsmOperation, flags: readonly string[], credentialsFile: string | undefined): Promise<number> {
  const { rest, file: credentialFile } = takeFileFlag(flags, 'credential-file');
  if (credentialFile !== undefined && !o.privileged && operation !== 'create') throw new CliError('usage', `dew hsm ${operation} takes no --credential-file: it needs no admin credential`, { hint: `See \`dew hsm ${operation} --help\`.` });
  const parsed = parseFieldFlags(rest, hsmFieldTypes(o), o.job ? ['wait'] : []);
  const req = hsmRequest(operation, o, parsed);
  const headers = o.privileged ? credentialHeaders(await credentialFor(ctx, operation, credentialFile)) : undefined;
  const { client } = connect(ctx, credentialsFile);
  // the file before the call: once the daemon answers, the credential must have somewhere to go
  const file = operation === 'create' && credentialFile !== undefined ? await reserveCredentialFile(resolve(ctx.cwd, credentialFile)).catch((e: unknown) => Promise.reject(asCliError(e))) : undefined;
  return printingApiErrors(ctx, async () => {
    let answer: unknown;
    try {
      answer = (await client.request(req.method, req.path, req.body, req.query, headers)).body;
    } catch (e) {
      await file?.abandon();
      throw e;
    }
    if (operation === 'create') answer = await placeCredential(ctx, answer, file);
    print(ctx, answer);
    return parsed.switches.has('wait') ? waitReported(ctx, client, answer) : 0;
  });
}

export const hsmCommand: Command = async (ctx: CommandContext) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const [operation, ...flags] = rest;
  if (!operation || operation === '--help' || operation === '-h' || operation === 'help') {
    ctx.stdout.write(USAGE() + '\n');
    return operation ? 0 : 1;
  }
  const o = Object.hasOwn(HSM_OPERATIONS, operation) ? HSM_OPERATIONS[operation] : undefined;
  if (!o) throw unknownOperation('hsm', operation, hsmOperations());
  return run(ctx, operation, o, flags, credentialsFile);
};
