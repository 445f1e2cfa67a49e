/**
 * `dew kps <operation> [--field value]…`: calls any key pair service operation (kps-operations.ts)
 * and prints the JSON answer; `export-private-key --out FILE` writes the key to a 0600 file instead,
 * `--wait` follows a binding task to its end, and `dew kps convert` converts key files offline.
 */
import { resolve } from 'node:path';
import type { DewClient } from '../client/dew-client.js';
import { writePrivateKeyFile } from '../resources/key-file.js';
import { waitForTask } from '../resources/kps-task.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, printingApiErrors, takeCredentialsFlag } from './connect.js';
import { HELP, renderHelp } from './help-table.js';
import { KPS_CONVERT_HELP, kpsConvert } from './kps-convert.js';
import { KPS_OPERATIONS, kpsFieldTypes, kpsOperationPage, kpsRequest } from './kps-operations.js';
import { parseFieldFlags, unknownOperation } from './operation-fields.js';

/** Every word `dew kps` takes: the API operations and `convert`. */
export function kpsOperations(): string[] {
  return [...Object.keys(KPS_OPERATIONS), 'convert'].sort();
}

/** `dew kps OP --help`. */
export function kpsOperationHelp(operation: string): string {
  if (operation === 'convert') return renderHelp(KPS_CONVERT_HELP);
  const o = KPS_OPERATIONS[operation];
  if (!o) throw unknownOperation('kps', operation, kpsOperations());
  return kpsOperationPage(operation, o);
}

const print = (ctx: CommandContext, answer: unknown): void => {
  if (answer !== undefined && answer !== '') ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
};

/** `--out FILE`: the exported private key goes to FILE (0600), never to stdout. */
async function writeExported(ctx: CommandContext, answer: unknown, out: string): Promise<number> {
  const kp = (answer as { keypair?: { name?: unknown; private_key?: unknown } } | undefined)?.keypair;
  if (typeof kp?.private_key !== 'string' || kp.private_key === '') throw new CliError('kps.no_private_key', 'the daemon answered without a private key');
  const path = resolve(ctx.cwd, out);
  await writePrivateKeyFile(path, kp.private_key);
  ctx.stdout.write(`Wrote the private key of ${String(kp.name)} to ${path} (mode 0600).\n`);
  return 0;
}

/** `--wait`: follows the task the answer names; prints it; a failed task is exit 1 with its error. */
async function waitReported(ctx: CommandContext, client: DewClient, answer: unknown): Promise<number> {
  const taskId = (answer as { task_id?: unknown } | undefined)?.task_id;
  if (typeof taskId !== 'string') throw new CliError('kps.no_task', 'the daemon answered without a task_id to wait for');
  const task = await waitForTask(client, taskId);
  print(ctx, task);
  if (!task.task_status.startsWith('FAILED_')) return 0;
  ctx.stderr.write(`Error: task ${taskId} ended ${task.task_status}: ${task.task_error_code ?? ''}${task.task_error_code ? ': ' : ''}${task.task_error_msg ?? 'no reason given'}\n`);
  return 1;
}

const USAGE = renderHelp(HELP.kps).trimEnd();

export const kpsCommand: Command = async (ctx: CommandContext) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const [operation, ...flags] = rest;
  if (!operation || operation === '--help' || operation === '-h' || operation === 'help') {
    ctx.stdout.write(USAGE + '\n');
    return operation ? 0 : 1;
  }
  if (operation === 'convert') return kpsConvert(ctx, flags);
  const o = KPS_OPERATIONS[operation];
  if (!o) throw unknownOperation('kps', operation, kpsOperations());
  const parsed = parseFieldFlags(flags, kpsFieldTypes(o), o.wait ? ['wait'] : []);
  const out = o.out && typeof parsed.fields.out === 'string' ? parsed.fields.out : undefined;
  delete parsed.fields.out;
  const req = kpsRequest(operation, o, parsed);
  const { client } = connect(ctx, credentialsFile);
  return printingApiErrors(ctx, async () => {
    const answer = (await client.request(req.method, req.path, req.body, req.query)).body;
    if (out !== undefined) return writeExported(ctx, answer, out);
    if (parsed.switches.has('wait')) return waitReported(ctx, client, answer);
    print(ctx, answer);
    return 0;
  });
};
