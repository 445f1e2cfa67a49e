/** `dew plan`: compare the configuration with the stack the daemon holds and print (or save) what apply would do. */
import { parseArgs, type ParsedArgs } from './args.js';
import { assertNoErrors, CONFIG_FLAGS, configDir, loadChecked } from './workflow.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { createPlan } from '../plan/create-plan.js';
import { isEmptyPlan, type Plan } from '../plan/change.js';
import { renderPlanText, useColor } from '../plan/render-text.js';
import { renderPlanJson } from '../plan/render-json.js';
import { renderPlanMarkdown } from '../plan/render-markdown.js';
import { savedPlanOf, writeSavedPlan } from '../apply/saved-plan.js';
import { checkKeyQuota } from './key-quota.js';
import { checkHsmReplacements } from './hsm-replacement.js';
import { resolve } from 'node:path';
import { error, type Diagnostic } from '../config/diagnostics.js';
import { renderDiagnosticsJson } from '../config/diagnostics-json.js';
import type { Config } from '../config/model.js';
import type { Value } from '../config/values.js';
import type { StackLock, StackSnapshot } from '../state/stack-state.js';

export const PLAN_FLAGS = { ...CONFIG_FLAGS, out: 'string', json: 'bool', markdown: 'bool', 'detailed-exitcode': 'bool', destroy: 'bool', target: 'multi', replace: 'multi', parallelism: 'string' } as const;

/** What `dew plan` (which takes no lock) says when someone holds the stack's lock. */
export function lockNotice(stack: string, l: StackLock): string {
  return (
    `Note: stack "${stack}" is locked by ${l.who} (${l.operation}) since ${l.created_at}, lock ID ${l.id}.\n` +
    `A "dew ${l.operation}" may still be running and change what this plan shows. If it is no longer running, release the lock with: dew force-unlock ${l.id}\n\n`
  );
}

/** Plans against a snapshot and prints diagnostics; throws on errors. */
export function planFor(ctx: CommandContext, config: Config, variables: Map<string, Value>, snapshot: StackSnapshot, args: ParsedArgs, destroy: boolean): Plan {
  if (destroy && args.multi.get('replace')?.length) throw new CliError('usage', '-replace cannot be used with -destroy');
  const { plan, diagnostics } = createPlan({ config, variables, snapshot, mode: destroy ? 'destroy' : 'normal', targets: args.multi.get('target') ?? [], replace: args.multi.get('replace') ?? [] });
  assertNoErrors(ctx, diagnostics, config, 'planning');
  return plan;
}

export function renderPlan(ctx: CommandContext, plan: Plan, args: ParsedArgs): void {
  if (args.bools.has('json')) ctx.stdout.write(renderPlanJson(plan, { timestamp: new Date(ctx.now()).toISOString() }));
  else if (args.bools.has('markdown')) ctx.stdout.write(renderPlanMarkdown(plan));
  else ctx.stdout.write(renderPlanText(plan, { color: !args.bools.has('no-color') && useColor(ctx.stdout, ctx.env) }));
}

/**
 * `-json`: a failure is Terraform's diagnostics object on stdout (valid: false) and exit 1; the text stays on
 * stderr. A failure without diagnostics (the daemon unreachable, a bad flag) becomes one diagnostic, with its own exit code.
 */
export function jsonFailure(ctx: CommandContext, e: CliError): number {
  const list: Diagnostic[] = e.diagnostics?.list.length ? [...e.diagnostics.list] : [error(e.message, e.hint)];
  ctx.stdout.write(renderDiagnosticsJson(list, e.diagnostics?.sources));
  ctx.stderr.write(`Error: ${e.message}\n${e.hint ? `\n${e.hint}\n` : ''}`);
  return e.diagnostics ? 1 : e.exitCode;
}

export function makePlanCommand(deps: CommandDeps): Command {
  const run = planRun(deps);
  return async (ctx) => {
    const json = ctx.argv.some((a) => /^--?json(=true)?$/.test(a));
    if (!json) return run(ctx);
    try {
      return await run(ctx);
    } catch (e) {
      if (e instanceof CliError) return jsonFailure(ctx, e);
      throw e;
    }
  };
}

function planRun(deps: CommandDeps): Command {
  return async (ctx) => {
    const args = parseArgs(ctx.argv, PLAN_FLAGS, 'plan');
    if (args.positionals.length > 1) throw new CliError('usage', 'dew plan takes at most one folder argument');
    const dir = configDir(ctx, args, args.positionals[0]);
    const { config, variables } = await loadChecked(ctx, dir, args);
    const session = deps.openSession(ctx, args.strings.get('credentials'));
    const snapshot = await session.store.read(config.stack);
    if (snapshot.lock) ctx.stderr.write(lockNotice(config.stack, snapshot.lock));
    const plan = planFor(ctx, config, variables, snapshot, args, args.bools.has('destroy'));
    await checkKeyQuota(ctx, session.api, plan, config);
    await checkHsmReplacements(ctx, session.api, plan, config);
    renderPlan(ctx, plan, args);
    const out = args.strings.get('out');
    if (out) {
      const path = resolve(ctx.cwd, out);
      await writeSavedPlan(path, savedPlanOf(plan, dir, config.sources, new Date(ctx.now()).toISOString()));
      if (!args.bools.has('json')) ctx.stdout.write(`\nSaved the plan to: ${out}\n\nTo perform exactly these actions, run the following command to apply:\n    dew apply ${JSON.stringify(out)}\n`);
    }
    if (args.bools.has('detailed-exitcode')) return isEmptyPlan(plan) ? 0 : 2;
    return 0;
  };
}

export const planCommand: Command = makePlanCommand(defaultDeps);
