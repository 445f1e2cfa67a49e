/**
 * The configuration and variables `dew apply FILE` applies a saved plan with: the saved source texts, or
 * (a plan that holds sensitive values keeps only digests) the folder read again and checked file by file;
 * the saved variables, and the sensitive ones given again (environment, -var, -var-file) and checked.
 */
import { hasErrors } from '../config/diagnostics.js';
import { loadConfig, loadConfigFromSources } from '../config/load-config.js';
import type { Config } from '../config/model.js';
import { resolveVariables } from '../config/variables.js';
import { Sensitive, splitMarks, type Json, type Value } from '../config/values.js';
import { changedSources, mismatchedVariables } from '../apply/seal-plan.js';
import type { SavedPlan } from '../apply/saved-plan.js';
import type { ParsedArgs } from './args.js';
import { CliError, type CommandContext } from './context.js';
import { printDiagnostics, variableInputs } from './workflow.js';

const AGAIN = 'Run dew plan -out FILE again, review it, and apply the new plan.';

async function savedConfig(ctx: CommandContext, saved: SavedPlan): Promise<Config> {
  const loaded = saved.sources ? await loadConfigFromSources(saved.config_dir, saved.sources) : await loadConfig(saved.config_dir);
  if (!saved.sources && saved.source_digests) {
    const changed = changedSources(saved.source_digests, loaded.config.sources);
    if (changed.length)
      throw new CliError('plan.stale', `Saved plan does not match the configuration\n\nThis plan holds sensitive values, so it keeps no copy of the configuration, and these files in ${saved.config_dir} changed since it was made: ${changed.join(', ')}.`, { hint: AGAIN });
  }
  if (hasErrors(loaded.diagnostics)) {
    printDiagnostics(ctx, loaded.diagnostics, loaded.config.sources);
    throw new CliError('plan.file', 'the configuration saved in the plan file is invalid');
  }
  return loaded.config;
}

/** The sensitive variables, given again as for the plan, checked against their planned digests. */
async function sealedVariables(ctx: CommandContext, config: Config, sealed: Readonly<Record<string, string>>, args: ParsedArgs): Promise<Map<string, Value>> {
  const names = Object.keys(sealed);
  const given = args.ordered.filter((o) => o.flag === 'var').map((o) => o.value.slice(0, Math.max(0, o.value.indexOf('='))));
  const other = given.find((n) => !names.includes(n));
  if (other !== undefined) throw new CliError('usage', `-var ${other}=…: a saved plan keeps its variables; only sensitive ones (${names.join(', ')}) are given again when applying it`);
  const only: Config = { ...config, variables: new Map([...config.variables].filter(([n]) => names.includes(n))) };
  const res = await resolveVariables(only, variableInputs(ctx, args), ctx.env);
  const values = new Map<string, Json>([...res.values].map(([k, v]) => [k, splitMarks(v).json]));
  const missing = names.filter((n) => !values.has(n));
  if (missing.length)
    throw new CliError('plan.variables', `No value for the sensitive variable${missing.length === 1 ? '' : 's'} ${missing.join(', ')}: a saved plan does not keep sensitive values`, {
      hint: `Give ${missing.length === 1 ? 'it' : 'them'} as for the plan: ${missing.map((n) => `DEW_VAR_${n}`).join(', ')} (or TF_VAR_…), -var or -var-file.`,
    });
  const wrong = mismatchedVariables(sealed, values);
  if (wrong.length) throw new CliError('plan.stale', `Saved plan does not match the given variables\n\nThe value of the sensitive variable${wrong.length === 1 ? '' : 's'} ${wrong.join(', ')} is not the one planned.`, { hint: AGAIN });
  return new Map([...values].map(([k, v]) => [k, new Sensitive(v)]));
}

export async function openSavedPlan(ctx: CommandContext, saved: SavedPlan, args: ParsedArgs): Promise<{ config: Config; variables: Map<string, Value> }> {
  const plan = saved.plan;
  const sealed = saved.sealed_variables ?? {};
  const flags = [...args.multi.keys()].filter((f) => !(Object.keys(sealed).length && (f === 'var' || f === 'var-file')));
  if (flags.length) throw new CliError('usage', 'planning options (-var, -target, -replace, …) cannot be used when applying a saved plan');
  const config = await savedConfig(ctx, saved);
  const variables = new Map<string, Value>(Object.entries(plan.variables).filter(([k]) => !(k in sealed)).map(([k, v]) => [k, plan.sensitiveVariables.includes(k) ? new Sensitive(v) : v]));
  if (Object.keys(sealed).length) for (const [k, v] of await sealedVariables(ctx, config, sealed, args)) variables.set(k, v);
  return { config, variables };
}
