/** `dew state list [ADDRESS…]`: the addresses of the objects the stack owns; `dew state show ADDRESS`: one of them. */
import { loadConfig } from '../config/load-config.js';
import { redact } from '../plan/redact.js';
import { resourceType } from '../resources/registry.js';
import { parseArgs } from './args.js';
import { CliError, type Command } from './context.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CONFIG_FLAGS, configDir } from './workflow.js';

export function makeStateCommand(deps: CommandDeps): Command {
  return async (ctx) => {
    const [sub, ...rest] = ctx.argv;
    const usage = 'Usage: dew state list [-stack NAME] [-id ID] [ADDRESS…] | dew state show [-stack NAME] ADDRESS';
    if (sub !== 'list' && sub !== 'show') throw new CliError('usage', sub ? `dew state: unknown subcommand ${sub}` : 'dew state needs a subcommand', { hint: usage });
    const args = parseArgs(rest, { ...CONFIG_FLAGS, stack: 'string', ...(sub === 'list' ? { id: 'string' } : {}) }, `state ${sub}`);
    if (sub === 'show' && args.positionals.length !== 1) throw new CliError('usage', 'dew state show needs exactly one ADDRESS', { hint: usage });
    const stack = args.strings.get('stack') ?? (await loadConfig(configDir(ctx, args))).config.stack;
    const snap = await deps.openSession(ctx, args.strings.get('credentials')).store.read(stack);
    if (sub === 'show') {
      const address = args.positionals[0];
      const o = snap.objects.find((x) => x.address === address);
      if (!o) throw new CliError('state.not_found', `No instance found for the given address ${address} in stack "${stack}"`, { hint: 'See the addresses with: dew state list' });
      const sens = Object.fromEntries((resourceType(o.type)?.sensitive ?? []).map((k) => [k, true as const]));
      const attrs = { id: o.object_id, ...(redact(o.attributes, sens) as Record<string, unknown>) };
      const keys = Object.keys(attrs).sort();
      const w = Math.max(0, ...keys.map((k) => k.length));
      const note = o.pending
        ? ` (not recorded yet: an interrupted apply was creating it at ${o.pending.since}; ${o.pending.object_id ? `the next plan adopts ${o.pending.object_id}` : 'it made nothing, the next plan creates it'})`
        : o.live === null ? ' (no longer exists in the daemon)' : '';
      ctx.stdout.write(`# ${o.address}:${note}\nresource "${o.type}" "${o.address.split('.').slice(1).join('.')}" {\n`);
      for (const k of keys) ctx.stdout.write(`    ${k.padEnd(w)} = ${JSON.stringify((attrs as Record<string, unknown>)[k])}\n`);
      ctx.stdout.write('}\n');
      return 0;
    }
    const filter = args.positionals;
    for (const o of [...snap.objects].sort((a, b) => (a.address < b.address ? -1 : 1))) {
      if (o.pending) continue; // not owned yet: the next plan adopts what its create made (dew state show ADDRESS tells)
      if (filter.length && !filter.some((f) => o.address === f || o.address.startsWith(f + '[') || o.address.startsWith(f + '.'))) continue;
      if (args.strings.has('id') && o.object_id !== args.strings.get('id')) continue;
      ctx.stdout.write(o.address + '\n');
    }
    return 0;
  };
}

export const stateCommand: Command = makeStateCommand(defaultDeps);
