/**
 * `dew csms <operation> [--field value]…`: calls any secret service (CSMS) operation (csms-operations.ts)
 * and prints the JSON answer; `dew csms get NAME` prints a secret's value alone, for scripts (csms-get.ts).
 */
import type { Command, CommandContext } from './context.js';
import { connect, printingApiErrors, takeCredentialsFlag } from './connect.js';
import { CSMS_GET_HELP, HELP, renderHelp } from './help-table.js';
import { csmsGet } from './csms-get.js';
import { CSMS_ALIASES, CSMS_OPERATIONS, csmsFieldTypes, csmsOperation, csmsOperationPage, csmsRequest } from './csms-operations.js';
import { parseFieldFlags, unknownOperation } from './operation-fields.js';

/** The operations `dew csms` lists: the API operations and `get`. */
export function csmsOperations(): string[] {
  return [...Object.keys(CSMS_OPERATIONS), 'get'].sort();
}

/** Every word `dew csms` takes: the operations and their shorter aliases. */
export function csmsWords(): string[] {
  return [...csmsOperations(), ...Object.keys(CSMS_ALIASES)].sort();
}

/** `dew csms OP --help` (an alias shows its operation's page). */
export function csmsOperationHelp(operation: string): string {
  if (operation === 'get') return renderHelp(CSMS_GET_HELP);
  const found = csmsOperation(operation);
  if (!found) throw unknownOperation('csms', operation, csmsOperations());
  return csmsOperationPage(found.name, found.op);
}

const USAGE = (): string => renderHelp(HELP.csms).trimEnd();

export const csmsCommand: Command = async (ctx: CommandContext) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const [operation, ...flags] = rest;
  if (!operation || operation === '--help' || operation === '-h' || operation === 'help') {
    ctx.stdout.write(USAGE() + '\n');
    return operation ? 0 : 1;
  }
  if (operation === 'get') return csmsGet(ctx, flags, credentialsFile);
  const found = csmsOperation(operation);
  if (!found) throw unknownOperation('csms', operation, csmsWords());
  const req = csmsRequest(found.name, found.op, parseFieldFlags(flags, csmsFieldTypes(found.op)));
  const { client } = connect(ctx, credentialsFile);
  return printingApiErrors(ctx, async () => {
    const answer = (await client.request(req.method, req.path, req.body, req.query)).body;
    if (answer !== undefined && answer !== '') ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
    return 0;
  });
};
