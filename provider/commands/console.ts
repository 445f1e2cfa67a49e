/**
 * `dew console [--no-open] [--json]`: asks the daemon (as the current credentials) for a one-time
 * sign-in link to the web console at `<daemon>/console/` and prints it; with a desktop (DISPLAY or
 * WAYLAND_DISPLAY set) and without --no-open it also opens it with xdg-open, and never fails when
 * that cannot happen. The token travels in the URL fragment, which browsers do not send to servers.
 */
import { CliError, type Command, type CommandContext } from './context.js';
import { HELP, renderHelp } from './help-table.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { parseArgs } from './args.js';

const USAGE = renderHelp(HELP.console).trimEnd();

/** True when a browser could be shown: a desktop session and no --no-open. */
export function shouldOpen(env: CommandContext['env'], noOpen: boolean): boolean {
  return !noOpen && Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The console URL for a sign-in token at a daemon endpoint. */
export function consoleUrl(endpoint: string, token: string): string {
  return `${endpoint.replace(/\/+$/, '')}/console/#sign-in=${token}`;
}

export const consoleCommand: Command = async (ctx) =>
  printingApiErrors(ctx, async () => {
    const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
    const a = parseArgs(rest, { 'no-open': 'bool', json: 'bool' }, 'console');
    if (a.positionals.length) throw new CliError('usage', `dew console: unexpected argument ${a.positionals[0]}`, { hint: USAGE, exitCode: 2 });
    const { client, endpoint } = connect(ctx, credentialsFile);
    const res = await client.request('POST', '/v1.0/{project_id}/dew/console/sign-in-links');
    const link = res.body as { token?: unknown; expires_at?: unknown };
    if (typeof link?.token !== 'string' || typeof link.expires_at !== 'string') throw new CliError('daemon', 'dew console: the daemon answered no sign-in link (is it older than the console?)');
    const url = consoleUrl(endpoint, link.token);
    if (a.bools.has('json')) ctx.stdout.write(JSON.stringify({ url, expires_at: link.expires_at }, null, 2) + '\n');
    else {
      ctx.stderr.write('Open this link to sign in to the dew console (it works once, until ' + link.expires_at + '):\n');
      ctx.stdout.write(url + '\n');
    }
    if (shouldOpen(ctx.env, a.bools.has('no-open')) && ctx.openBrowser) {
      const opened = await ctx.openBrowser(url);
      if (!opened) ctx.stderr.write('dew console: could not start a browser (xdg-open); open the link yourself.\n');
    }
    return 0;
  });
