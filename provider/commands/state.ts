/** `dew state list`: the addresses of the objects the stack owns. */
import { loadConfig } from '../config/load-config.js';
import { parseArgs } from './args.js';
import { CliError, type Command } from './context.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CONFIG_FLAGS, configDir } from './workflow.js';

export function makeStateCommand(deps: CommandDeps): Command {
  return async (ctx) => {
    const [sub, ...rest] = ctx.argv;
    if (sub !== 'list') throw new CliError('usage', sub ? `dew state: unknown subcommand ${sub}` : 'dew state needs a subcommand', { hint: 'Usage: dew state list [-stack NAME] [ADDRESS…]' });
    const args = parseArgs(rest, { ...CONFIG_FLAGS, stack: 'string', id: 'string' }, 'state list');
    const stack = args.strings.get('stack') ?? (await loadConfig(configDir(ctx, args))).config.stack;
    const snap = await deps.openSession(ctx, args.strings.get('credentials')).store.read(stack);
    const filter = args.positionals;
    for (const o of [...snap.objects].sort((a, b) => (a.address < b.address ? -1 : 1))) {
      if (filter.length && !filter.some((f) => o.address === f || o.address.startsWith(f + '[') || o.address.startsWith(f + '.'))) continue;
      if (args.strings.has('id') && o.object_id !== args.strings.get('id')) continue;
      ctx.stdout.write(o.address + '\n');
    }
    return 0;
  };
}

export const stateCommand: Command = makeStateCommand(defaultDeps);
