/**
 * `dew rotate --due [--db URL] [--data-dir DIR]`: the daemon scheduler's jobs once (rotations due,
 * deletions due, expired material), straight on the database, for hosts that prefer the system
 * crontab; prints what it did as JSON, exit 1 when any item failed. `dew rotate --key ID` rotates
 * one key now through the API (rotate-on-demand).
 */
import { CliError, type Command } from './context.js';
import { HELP, renderHelp } from './help-table.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { runOffline } from './offline.js';

const USAGE = renderHelp(HELP.rotate).trimEnd();

export const rotateCommand: Command = async (ctx) => {
  const argv = [...ctx.argv];
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    ctx.stdout.write(USAGE + '\n');
    return argv.length === 0 ? 1 : 0;
  }
  const due = argv.findIndex((a) => a === '--due' || a === '-due');
  if (due >= 0) {
    argv.splice(due, 1);
    for (const a of argv) {
      if (a.startsWith('-') && !/^--?(db|data-dir)(=|$)/.test(a)) throw new CliError('usage', `dew rotate --due: unknown flag ${a}`, { hint: USAGE });
    }
    return runOffline('runDueJobs', ctx, argv.map((a) => a.replace(/^-(?=[a-z])/, '--')));
  }
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const k = rest.findIndex((a) => a === '--key' || a === '-key' || a === '--key-id');
  const keyId = k >= 0 ? rest[k + 1] : rest.find((a) => a.startsWith('--key='))?.slice(6);
  if (!keyId) throw new CliError('usage', 'dew rotate: --due or --key ID expected', { hint: USAGE });
  const { client } = connect(ctx, credentialsFile);
  return printingApiErrors(ctx, async () => {
    const answer = await client.kms('rotate-on-demand', { key_id: keyId });
    ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
    return 0;
  });
};
