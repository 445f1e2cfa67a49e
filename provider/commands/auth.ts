/** `dew auth token`: trades the AK/SK for a 24-hour X-Auth-Token (export it as DEW_TOKEN). */
import { CliError, type Command } from './context.js';
import { connect, takeCredentialsFlag } from './connect.js';

export const authCommand: Command = async (ctx) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  if (rest[0] !== 'token') throw new CliError('usage', 'usage: dew auth token [--credentials FILE]');
  const { client } = connect(ctx, credentialsFile);
  const res = await client.request('POST', '/v3/auth/tokens', {});
  const token = res.headers['x-subject-token'];
  const body = res.body as { token?: { expires_at?: string } };
  ctx.stdout.write(JSON.stringify({ token, expires_at: body?.token?.expires_at }, null, 2) + '\n');
  return 0;
};
