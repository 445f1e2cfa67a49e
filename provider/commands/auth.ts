/** `dew auth token [-json]`: trades the AK/SK for a 24-hour X-Auth-Token and prints it bare (DEW_TOKEN="$(dew auth token)"). */
import { parseArgs } from './args.js';
import { CliError, type Command } from './context.js';
import { connect, takeCredentialsFlag } from './connect.js';
import { unknownSubcommand } from './help-table.js';

export const authCommand: Command = async (ctx) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const [sub, ...flags] = rest;
  if (sub !== 'token') throw unknownSubcommand('auth', sub);
  const args = parseArgs(flags, { json: 'bool' }, 'auth token');
  if (args.positionals.length) throw new CliError('usage', `dew auth token: unexpected argument ${args.positionals[0]}`, { exitCode: 2 });
  const { client } = connect(ctx, credentialsFile);
  const res = await client.request('POST', '/v3/auth/tokens', {});
  const token = res.headers['x-subject-token'];
  if (!token) throw new CliError('auth.no_token', 'the daemon answered without an X-Subject-Token header');
  const body = res.body as { token?: { expires_at?: string } };
  ctx.stdout.write(args.bools.has('json') ? JSON.stringify({ token, expires_at: body?.token?.expires_at }, null, 2) + '\n' : token + '\n');
  return 0;
};
