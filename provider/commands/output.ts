/** `dew output [NAME] [-json]`: evaluates the configuration's outputs against the objects the stack holds. */
import { ConfigScope, parseInstanceAddress } from '../config/scope.js';
import { folderReader } from '../config/file-functions.js';
import { containsUnknown, splitMarks, type Value } from '../config/values.js';
import { hclValue } from '../config/hcl-value.js';
import { parseArgs } from './args.js';
import { CliError, type Command } from './context.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CONFIG_FLAGS, configDir, loadChecked } from './workflow.js';

export function makeOutputCommand(deps: CommandDeps): Command {
  return async (ctx) => {
    const args = parseArgs(ctx.argv, { ...CONFIG_FLAGS, json: 'bool', raw: 'bool' }, 'output');
    if (args.positionals.length > 1) throw new CliError('usage', 'dew output takes at most one output name');
    const name = args.positionals[0];
    const { config, variables } = await loadChecked(ctx, configDir(ctx, args), args);
    const session = deps.openSession(ctx, args.strings.get('credentials'));
    const snap = await session.store.read(config.stack);
    const scope = new ConfigScope(config, variables, true, folderReader(config.dir));
    for (const o of snap.objects) {
      if (o.pending) continue; // an interrupted create's intent: not an object yet
      const p = parseInstanceAddress(o.address);
      if (p && config.resources.has(p.resource)) scope.setInstance(p.resource, p.key, o.attributes as Value);
    }
    const outputs = [...config.outputs.values()].filter((o) => !name || o.name === name);
    if (name && outputs.length === 0) throw new CliError('output.not_found', `Output "${name}" not found`, { hint: `The configuration declares: ${[...config.outputs.keys()].join(', ') || 'no outputs'}.` });
    const values = outputs.map((o) => {
      const v = scope.evaluateAttribute(o.value, {});
      return { name: o.name, sensitive: o.sensitive, value: containsUnknown(v) ? undefined : splitMarks(v).json };
    });
    if (args.bools.has('json')) {
      const body = Object.fromEntries(values.map((v) => [v.name, { sensitive: v.sensitive, value: v.value ?? null }]));
      ctx.stdout.write(JSON.stringify(name ? (values[0].value ?? null) : body, null, 2) + '\n');
      return 0;
    }
    for (const v of values) {
      if (v.value === undefined) {
        if (name) throw new CliError('output.not_applied', `Output "${v.name}" has no value yet`, { hint: 'Run dew apply first.' });
        continue;
      }
      const text = v.sensitive && !name ? '<sensitive>' : args.bools.has('raw') && typeof v.value === 'string' ? v.value : hclValue(v.value);
      ctx.stdout.write(name ? `${text}\n` : `${v.name} = ${text}\n`);
    }
    return 0;
  };
}

export const outputCommand: Command = makeOutputCommand(defaultDeps);
