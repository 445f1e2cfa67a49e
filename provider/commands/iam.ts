/** `dew iam …`: users, access keys, roles and IP allow-lists through the daemon's admin endpoints; prints JSON. */
import type { DewClient } from '../client/dew-client.js';
import { parseArgs } from './args.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { HELP, renderHelp, unknownSubcommand } from './help-table.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';

const IAM = '/v1.0/{project_id}/dew/iam';

/** Short names the CLI accepts for the role names the daemon knows. */
const ROLE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  admin: 'KMS Administrator',
  administrator: 'KMS Administrator',
  full: 'KMS CMKFullAccess',
  'full-access': 'KMS CMKFullAccess',
  readonly: 'KMS ReadOnlyAccess',
  'read-only': 'KMS ReadOnlyAccess',
});
const role = (r: string) => ROLE_ALIASES[r.toLowerCase()] ?? r;

const USAGE = renderHelp(HELP.iam).trimEnd();

type Sub = (client: DewClient, pos: string[], account: string | undefined, roles: string[]) => Promise<unknown>;

const enc = encodeURIComponent;
const q = (account: string | undefined) => (account === undefined ? undefined : { account });

function need(pos: string[], n: number, what: string): void {
  if (pos.length < n) throw new CliError('usage', `dew iam: ${what}`, { hint: USAGE });
}

const SUBCOMMANDS: Readonly<Record<string, Sub>> = Object.freeze({
  'create-user': async (client, pos, account, roles) => {
    need(pos, 1, 'create-user needs a NAME');
    return (await client.request('POST', `${IAM}/users`, { name: pos[0], roles, ...(account ? { account } : {}) })).body;
  },
  'list-users': async (client, _pos, account) => (await client.request('GET', `${IAM}/users`, undefined, q(account))).body,
  'delete-user': async (client, pos, account) => {
    need(pos, 1, 'delete-user needs a USER');
    return (await client.request('DELETE', `${IAM}/users/${enc(pos[0])}`, undefined, q(account))).body;
  },
  'create-access-key': async (client, pos, account) => {
    need(pos, 1, 'create-access-key needs a USER');
    return (await client.request('POST', `${IAM}/users/${enc(pos[0])}/access-keys`, account ? { account } : {})).body;
  },
  'delete-access-key': async (client, pos) => {
    need(pos, 1, 'delete-access-key needs an AK');
    return (await client.request('DELETE', `${IAM}/access-keys/${enc(pos[0])}`)).body;
  },
  'set-roles': async (client, pos, account, roles) => {
    need(pos, 1, 'set-roles needs a USER');
    const all = [...pos.slice(1).map(role), ...roles];
    return (await client.request('PUT', `${IAM}/users/${enc(pos[0])}/roles`, { roles: all, ...(account ? { account } : {}) })).body;
  },
  'assign-role': async (client, pos, account, roles) => {
    need(pos, 2, 'assign-role needs a USER and a ROLE');
    const list = (await client.request('GET', `${IAM}/users`, undefined, q(account))).body as { users: { user_id: string; name: string; roles: string[] }[] };
    const u = list.users.find((x) => x.user_id === pos[0] || x.name === pos[0]);
    if (!u) throw new CliError('iam.no_user', `dew iam: no user ${pos[0]} in the account`);
    const next = [...new Set([...u.roles, ...pos.slice(1).map(role), ...roles])];
    return (await client.request('PUT', `${IAM}/users/${enc(u.user_id)}/roles`, { roles: next, ...(account ? { account } : {}) })).body;
  },
  'set-ip-acl': async (client, pos, account) => {
    need(pos, 1, 'set-ip-acl needs at least one CIDR (clear-ip-acl removes the list)');
    return (await client.request('PUT', `${IAM}/ip-acl`, { cidrs: pos, ...(account ? { account } : {}) })).body;
  },
  'clear-ip-acl': async (client, _pos, account) => (await client.request('DELETE', `${IAM}/ip-acl`, undefined, q(account))).body,
  'show-ip-acl': async (client, _pos, account) => (await client.request('GET', `${IAM}/ip-acl`, undefined, q(account))).body,
});

export const iamCommand: Command = async (ctx: CommandContext) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const [name, ...args] = rest;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(USAGE + '\n');
    return name ? 0 : 1;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) throw unknownSubcommand('iam', name);
  const parsed = parseArgs(args, { role: 'multi', account: 'string' }, `iam ${name}`);
  const { client } = connect(ctx, credentialsFile);
  return printingApiErrors(ctx, async () => {
    const answer = await sub(client, parsed.positionals, parsed.strings.get('account'), (parsed.multi.get('role') ?? []).map(role));
    ctx.stdout.write(JSON.stringify(answer ?? {}, null, 2) + '\n');
    return 0;
  });
};
