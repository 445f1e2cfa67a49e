/** Runs the daemon's offline commands (`rotate --due`, `audit verify --db`) through the entry module's DaemonEntry. */
import { CliError, type CommandContext, type DaemonEntry } from './context.js';

/** The daemon side, or a one-line error when this process was not started through bin/dew.ts. */
export function daemonEntry(ctx: CommandContext): DaemonEntry {
  if (!ctx.daemon) throw new CliError('daemon.unavailable', 'the daemon code is not available in this process', { hint: 'Run the `dew` executable (dist/bin/dew.js).' });
  return ctx.daemon;
}

export async function runOffline(name: 'runDueJobs' | 'runAuditVerify', ctx: CommandContext, argv: readonly string[]): Promise<number> {
  return daemonEntry(ctx)[name](argv, ctx.env, ctx.cwd, { out: (t) => ctx.stdout.write(t), log: (l) => ctx.stderr.write(l + '\n') });
}
