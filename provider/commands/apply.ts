/**
 * `dew apply [FILE]` and `dew destroy`: lock the stack, plan (or load a saved plan and check it is fresh), approve, apply, unlock.
 * Ctrl-C (or SIGTERM) while the stack is locked stops gracefully: changes under way finish and are recorded, no new one
 * starts, the lock is released; a second one ends the process at once.
 */
import { statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { counts, isEmptyPlan, type Plan } from '../plan/change.js';
import { applyPlan, type ApplyResult } from '../apply/apply-plan.js';
import { STOPPED } from '../graph/walk.js';
import { checkStaleness, readSavedPlan } from '../apply/saved-plan.js';
import { renderPlanText, useColor } from '../plan/render-text.js';
import { StackLockedError, type AppliedPlanRecord, type StackLock, type StackStore } from '../state/stack-state.js';
import type { Value } from '../config/values.js';
import type { Config } from '../config/model.js';
import { parseArgs, type ParsedArgs } from './args.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { PLAN_FLAGS, planFor, renderPlan } from './plan.js';
import { checkKeyQuota } from './key-quota.js';
import { checkHsmReplacements } from './hsm-replacement.js';
import { confirmYes } from './confirm.js';
import { hclValue } from '../config/hcl-value.js';
import { defaultDeps, type CommandDeps, type Session } from './session.js';
import { configDir, loadChecked } from './workflow.js';
import { openSavedPlan } from './open-saved-plan.js';

const APPLY_FLAGS = { ...PLAN_FLAGS, 'auto-approve': 'bool', stack: 'string' } as const;

function who(ctx: CommandContext): string {
  let user = ctx.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: keep $USER */
  }
  return `${user}@${hostname()}`;
}

export async function takeLock(ctx: CommandContext, store: StackStore, stack: string, operation: string): Promise<StackLock> {
  try {
    return await store.lock(stack, who(ctx), operation);
  } catch (e) {
    if (!(e instanceof StackLockedError)) throw e;
    const l = e.lock;
    throw new CliError('stack.locked', `Error acquiring the state lock: stack "${stack}" is locked${l ? `\n\nLock Info:\n  ID:        ${l.id}\n  Who:       ${l.who}\n  Operation: ${l.operation}\n  Created:   ${l.created_at}` : ''}`, {
      hint: `Another dew command holds the lock. If it is no longer running, release it with: dew force-unlock ${l?.id ?? 'LOCK_ID'}`,
      cause: e,
    });
  }
}

/** Interrupts while a command holds the stack lock: the first is remembered (and said), not fatal. */
interface Interrupts {
  interrupted: () => boolean;
  dispose: () => void;
}

function watchInterrupts(ctx: CommandContext): Interrupts {
  let hit = false;
  const dispose =
    ctx.onInterrupt?.(() => {
      hit = true;
      ctx.stderr.write('\nInterrupt received.\nPlease wait for dew to exit or data loss may occur.\nGracefully shutting down...\n');
    }) ?? (() => undefined);
  return { interrupted: () => hit, dispose };
}

function cancelled(ctx: CommandContext, destroy: boolean, why = ''): number {
  ctx.stderr.write(`\nError: ${destroy ? 'Destroy' : 'Apply'} cancelled${why}.\n`);
  return 1;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}`;
  }
  return String(e);
}

function report(ctx: CommandContext, plan: Plan, result: ApplyResult): number {
  const c = result.counts;
  const adopted = c.adopted ? `, ${c.adopted} adopted` : '';
  for (const f of result.failed) ctx.stderr.write(`\nError: ${f.address}: ${errorText(f.error)}\n`);
  for (const s of result.skipped) ctx.stderr.write(`\nSkipped: ${s.address}, because ${s.because === STOPPED ? 'the run was interrupted' : `${s.because} did not complete`}\n`);
  const verb = plan.mode === 'destroy' ? 'Destroy' : 'Apply';
  if (result.skipped.some((s) => s.because === STOPPED)) {
    const notStarted = result.skipped.filter((s) => s.because === STOPPED).length;
    ctx.stdout.write(`\n${verb} interrupted: ${result.failed.length} error(s), ${notStarted} not started. Resources: ${c.added} added, ${c.changed} changed, ${c.destroyed} destroyed${adopted}.\n`);
    return 1;
  }
  if (result.failed.length || result.skipped.length) {
    ctx.stdout.write(`\n${verb} failed: ${result.failed.length} error(s), ${result.skipped.length} skipped. Resources: ${c.added} added, ${c.changed} changed, ${c.destroyed} destroyed${adopted}.\n`);
    return 1;
  }
  ctx.stdout.write(`\n${verb} complete! Resources: ${c.added} added, ${c.changed} changed, ${c.destroyed} destroyed${adopted}.\n`);
  if (result.outputs.length) {
    ctx.stdout.write('\nOutputs:\n\n');
    for (const o of result.outputs) ctx.stdout.write(`${o.name} = ${o.sensitive ? '<sensitive>' : o.value === null ? '(known after apply)' : hclValue(o.value)}\n`);
  }
  return 0;
}

async function run(ctx: CommandContext, session: Session, plan: Plan, config: Config, variables: Map<string, Value>, lock: StackLock, args: ParsedArgs, interrupts: Interrupts): Promise<number> {
  if (interrupts.interrupted()) return cancelled(ctx, plan.mode === 'destroy', ' (interrupted before it started)');
  const parallelism = args.strings.has('parallelism') ? Number(args.strings.get('parallelism')) : 10;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new CliError('usage', '-parallelism takes a whole number ≥ 1');
  const result = await applyPlan({
    plan,
    config,
    variables,
    store: session.store,
    api: session.api,
    lockId: lock.id,
    ctx: { configDir: config.dir, now: ctx.now },
    parallelism,
    onEvent: (line) => ctx.stdout.write(line + '\n'),
    interrupted: interrupts.interrupted,
  });
  await recordPlan(ctx, session.store, plan, lock, result);
  return report(ctx, plan, result);
}

/** How an apply ended, as the stack's last applied plan records it. */
function outcomeOf(result: ApplyResult): AppliedPlanRecord['outcome'] {
  if (result.skipped.some((s) => s.because === STOPPED)) return 'interrupted';
  return result.failed.length || result.skipped.length ? 'failed' : 'applied';
}

/**
 * Keeps the plan just carried out on the daemon as the stack's last applied plan (the console shows it): the
 * same text `dew plan` prints, without colour, so nothing the plan redacts is sent. A daemon that cannot take
 * it (an older one) costs a warning, not the apply.
 */
async function recordPlan(ctx: CommandContext, store: StackStore, plan: Plan, lock: StackLock, result: ApplyResult): Promise<void> {
  const { add, change, destroy, adopt } = counts(plan);
  try {
    await store.recordPlan(plan.stack, lock.id, { text: renderPlanText(plan, { color: false }), mode: plan.mode === 'destroy' ? 'destroy' : 'normal', summary: { add, change, destroy, adopt }, outcome: outcomeOf(result) });
  } catch (e) {
    ctx.stderr.write(`\nWarning: the daemon did not record this plan as the stack's last applied plan: ${errorText(e)}\n`);
  }
}

async function approve(ctx: CommandContext, destroy: boolean): Promise<boolean> {
  const noInput = () => new CliError('apply.no_input', 'No input available to approve the plan', { hint: 'Answer on standard input (echo yes | dew apply), run with -auto-approve, or save a reviewed plan with dew plan -out FILE and apply that file.' });
  const question = `\n${destroy ? 'Do you really want to destroy all resources?' : 'Do you want to perform these actions?'}\n  dew will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n`;
  return confirmYes(ctx, question, noInput);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function makeApply(deps: CommandDeps, destroy: boolean): Command {
  const name = destroy ? 'destroy' : 'apply';
  return async (ctx) => {
    const args = parseArgs(ctx.argv, APPLY_FLAGS, name);
    if (args.positionals.length > 1) throw new CliError('usage', `dew ${name} takes at most one argument`);
    const target = args.positionals[0] ? resolve(ctx.cwd, args.strings.get('chdir') ?? '.', args.positionals[0]) : undefined;
    if (!destroy && target && isFile(target)) return applySaved(ctx, deps, target, args);

    const dir = configDir(ctx, args, args.positionals[0]);
    const { config, variables } = await loadChecked(ctx, dir, args);
    const session = deps.openSession(ctx, args.strings.get('credentials'));
    const lock = await takeLock(ctx, session.store, config.stack, name);
    const interrupts = watchInterrupts(ctx);
    try {
      const snapshot = await session.store.read(config.stack);
      const plan = planFor(ctx, config, variables, snapshot, args, destroy || args.bools.has('destroy'));
      await checkKeyQuota(ctx, session.api, plan, config);
      await checkHsmReplacements(ctx, session.api, plan, config);
      renderPlan(ctx, plan, args);
      if (isEmptyPlan(plan)) return 0;
      if (!args.bools.has('auto-approve') && !(await approve(ctx, plan.mode === 'destroy'))) return cancelled(ctx, destroy);
      return await run(ctx, session, plan, config, variables, lock, args, interrupts);
    } finally {
      await session.store.unlock(config.stack, lock.id);
      interrupts.dispose();
    }
  };
}

/** Applies a saved plan exactly, refusing when the stack or any object it read has changed since. */
async function applySaved(ctx: CommandContext, deps: CommandDeps, path: string, args: ParsedArgs): Promise<number> {
  for (const f of ['destroy', 'json', 'markdown']) if (args.bools.has(f)) throw new CliError('usage', `-${f} cannot be used when applying a saved plan`);
  let saved;
  try {
    saved = await readSavedPlan(path);
  } catch (e) {
    throw new CliError('plan.file', (e as Error).message, { cause: e });
  }
  const plan = saved.plan;
  const { config, variables } = await openSavedPlan(ctx, saved, args);
  const session = deps.openSession(ctx, args.strings.get('credentials'));
  const lock = await takeLock(ctx, session.store, plan.stack, 'apply');
  const interrupts = watchInterrupts(ctx);
  try {
    const now = await session.store.read(plan.stack);
    const st = checkStaleness(plan, now);
    if (st.stale) throw new CliError('plan.stale', `${st.summary}\n\n${st.detail}`, { hint: 'Run dew plan again, review it, and apply the new plan.' });
    await checkKeyQuota(ctx, session.api, plan, config);
    await checkHsmReplacements(ctx, session.api, plan, config);
    ctx.stdout.write(renderPlanText(plan, { color: !args.bools.has('no-color') && useColor(ctx.stdout, ctx.env) }));
    if (isEmptyPlan(plan)) return 0;
    return await run(ctx, session, plan, config, variables, lock, args, interrupts);
  } finally {
    await session.store.unlock(plan.stack, lock.id);
    interrupts.dispose();
  }
}

export function makeApplyCommand(deps: CommandDeps): Command {
  return makeApply(deps, false);
}

export function makeDestroyCommand(deps: CommandDeps): Command {
  return makeApply(deps, true);
}

export const applyCommand: Command = makeApplyCommand(defaultDeps);
export const destroyCommand: Command = makeDestroyCommand(defaultDeps);
