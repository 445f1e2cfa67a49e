/** `dew validate`: checks syntax, types, references and cycles of the configuration without contacting the daemon. */
import { hasErrors } from '../config/diagnostics.js';
import { renderDiagnosticsJson } from '../config/diagnostics-json.js';
import { createPlan } from '../plan/create-plan.js';
import { emptyStack } from '../state/stack-state.js';
import { parseArgs } from './args.js';
import { CliError, type Command } from './context.js';
import { CONFIG_FLAGS, configDir, loadChecked, printDiagnostics } from './workflow.js';

export const validateCommand: Command = async (ctx) => {
  const args = parseArgs(ctx.argv, { ...CONFIG_FLAGS, json: 'bool' }, 'validate');
  if (args.positionals.length > 1) throw new CliError('usage', 'dew validate takes at most one folder argument');
  const dir = configDir(ctx, args, args.positionals[0]);
  let diagnostics;
  let sources: ReadonlyMap<string, string> | undefined;
  try {
    const { config, variables, diagnostics: first } = await loadChecked(ctx, dir, args, { allowMissingVariables: true });
    // evaluate everything against an empty stack: every computed attribute is unknown, every known value is checked
    const planned = createPlan({ config, variables, snapshot: emptyStack(config.stack) });
    // validate has no daemon and may lack variable values: "not known until apply" is not an error here
    sources = config.sources;
    diagnostics = [...first, ...planned.diagnostics.filter((d) => !/cannot be known until apply/.test(d.detail ?? ''))];
    if (!args.bools.has('json')) printDiagnostics(ctx, diagnostics, config.sources);
  } catch (e) {
    if (e instanceof CliError && e.code === 'config.invalid') {
      if (args.bools.has('json')) ctx.stdout.write(renderDiagnosticsJson(e.diagnostics?.list ?? [], e.diagnostics?.sources));
      return 1;
    }
    throw e;
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (args.bools.has('json')) {
    ctx.stdout.write(renderDiagnosticsJson(diagnostics, sources));
    return errors ? 1 : 0;
  }
  if (hasErrors(diagnostics)) return 1;
  ctx.stdout.write('Success! The configuration is valid.\n');
  return 0;
};
