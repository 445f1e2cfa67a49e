/** Loads the daemon's offline commands at run time (provider/ never imports daemon/ statically). */
import type { CommandContext } from './context.js';

type OfflineEntry = (argv: readonly string[], env: CommandContext['env'], cwd: string, io: { out: (t: string) => void; log: (l: string) => void }) => Promise<number>;

export async function runOffline(name: 'runDueJobs' | 'runAuditVerify', ctx: CommandContext, argv: readonly string[]): Promise<number> {
  const entry = new URL('../../daemon/offline.js', import.meta.url).href;
  const mod = (await import(entry)) as Record<typeof name, OfflineEntry>;
  return mod[name](argv, ctx.env, ctx.cwd, { out: (t) => ctx.stdout.write(t), log: (l) => ctx.stderr.write(l + '\n') });
}
