/** Steps shared by the config-reading commands: find the folder, load and check the configuration, resolve variables, print diagnostics. */
import { resolve } from 'node:path';
import { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from '../config/diagnostics.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/model.js';
import { resolveVariables, type VariableInput } from '../config/variables.js';
import { UNKNOWN, type Value } from '../config/values.js';
import { createPlan } from '../plan/create-plan.js';
import { emptyStack } from '../state/stack-state.js';
import type { ParsedArgs } from './args.js';
import { CliError, type CommandContext } from './context.js';

/** Flags every config-reading command accepts. */
export const CONFIG_FLAGS = { chdir: 'string', var: 'multi', 'var-file': 'multi', credentials: 'string', 'no-color': 'bool' } as const;

/** -chdir=DIR, else a trailing positional, else the working directory. */
export function configDir(ctx: CommandContext, args: ParsedArgs, positional?: string): string {
  const chdir = args.strings.get('chdir');
  const base = chdir ? resolve(ctx.cwd, chdir) : ctx.cwd;
  return positional ? resolve(base, positional) : base;
}

export function variableInputs(ctx: CommandContext, args: ParsedArgs): VariableInput[] {
  return args.ordered
    .filter((o) => o.flag === 'var' || o.flag === 'var-file')
    .map((o) => (o.flag === 'var' ? { kind: 'var', text: o.value } : { kind: 'file', path: resolve(ctx.cwd, o.value) }));
}

export function printDiagnostics(ctx: CommandContext, diags: readonly Diagnostic[], sources?: ReadonlyMap<string, string>): void {
  for (const d of sortDiagnostics(diags)) ctx.stderr.write('\n' + formatDiagnostic(d, sources));
}

/** Loads, decodes and checks the configuration; prints every diagnostic; throws once if any is an error. */
export async function loadChecked(ctx: CommandContext, dir: string, args: ParsedArgs, opts: { allowMissingVariables?: boolean } = {}): Promise<{ config: Config; variables: Map<string, Value>; diagnostics: Diagnostic[] }> {
  const loaded = await loadConfig(dir);
  const diags = [...loaded.diagnostics];
  let variables = new Map<string, Value>();
  if (!hasErrors(diags)) {
    const vars = await resolveVariables(loaded.config, variableInputs(ctx, args), ctx.env);
    variables = vars.values;
    if (opts.allowMissingVariables) {
      // validate checks the configuration for any value: a missing variable is unknown, not an error
      for (const v of loaded.config.variables.values()) if (!variables.has(v.name)) variables.set(v.name, UNKNOWN);
      diags.push(...vars.diagnostics.filter((d) => !d.summary.startsWith('No value for required variable')));
    } else diags.push(...vars.diagnostics);
  }
  if (hasErrors(diags)) {
    diags.push(...laterStageDiagnostics(loaded.config, variables, diags));
    printDiagnostics(ctx, diags, loaded.config.sources);
    throw new CliError('config.invalid', `the configuration in ${dir} has ${diags.filter((d) => d.severity === 'error').length} error(s)`, { diagnostics: { list: diags, sources: loaded.config.sources } });
  }
  return { config: loaded.config, variables, diagnostics: diags };
}

/**
 * Every error in one run: when loading found some, still evaluate what did load (types, references,
 * cycles) against an empty stack, best effort, so the user does not fix errors one stage at a time.
 */
function laterStageDiagnostics(config: Config, variables: Map<string, Value>, seen: readonly Diagnostic[]): Diagnostic[] {
  const vars = new Map(variables);
  for (const v of config.variables.values()) if (!vars.has(v.name)) vars.set(v.name, UNKNOWN);
  let later: Diagnostic[];
  try {
    later = createPlan({ config, variables: vars, snapshot: emptyStack(config.stack) }).diagnostics;
  } catch {
    return []; // a partial configuration the evaluator cannot walk: the load errors stand alone
  }
  // one error per source line: the evaluator re-reports what loading already said in other words
  const key = (d: Diagnostic) => `${d.range?.file}:${d.range?.line}`;
  const have = new Set(seen.filter((d) => d.range).map(key));
  return later.filter((d) => d.severity === 'error' && !/cannot be known until apply/.test(d.detail ?? '') && !have.has(key(d)));
}

/** Throws after printing when a later stage (planning) found errors; prints warnings otherwise. */
export function assertNoErrors(ctx: CommandContext, diags: readonly Diagnostic[], config: Config, what: string): void {
  printDiagnostics(ctx, diags, config.sources);
  if (hasErrors(diags)) throw new CliError('plan.invalid', `${what} failed with ${diags.filter((d) => d.severity === 'error').length} error(s)`, { diagnostics: { list: diags, sources: config.sources } });
}
