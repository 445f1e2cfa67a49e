/** `dew force-unlock LOCK_ID`: releases a stack lock left behind by a command that died. */
import { loadConfig } from '../config/load-config.js';
import { parseArgs } from './args.js';
import { confirmYes } from './confirm.js';
import { CliError, type Command } from './context.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CONFIG_FLAGS, configDir } from './workflow.js';

export function makeForceUnlockCommand(deps: CommandDeps): Command {
  return async (ctx) => {
    const args = parseArgs(ctx.argv, { ...CONFIG_FLAGS, stack: 'string', force: 'bool' }, 'force-unlock');
    const [lockId, dirArg] = args.positionals;
    if (!lockId) throw new CliError('usage', 'dew force-unlock needs the lock ID', { hint: 'The ID is printed by the command that found the stack locked.' });
    const stack = args.strings.get('stack') ?? (await loadConfig(configDir(ctx, args, dirArg))).config.stack;
    const session = deps.openSession(ctx, args.strings.get('credentials'));
    const snap = await session.store.read(stack);
    // Terraform fails here too: the lock the user meant is gone, or the ID names another stack.
    if (!snap.lock) throw new CliError('unlock.not_locked', `Stack "${stack}" is not locked, so there is no lock "${lockId}" to remove`);
    if (snap.lock.id !== lockId) throw new CliError('unlock.mismatch', `Lock ID "${lockId}" does not match the lock on stack "${stack}"`, { hint: `The stack is locked by ${snap.lock.who} (${snap.lock.operation}) since ${snap.lock.created_at}.` });
    if (!args.bools.has('force')) {
      const noInput = () => new CliError('unlock.no_input', 'No input available to confirm', { hint: 'Answer on standard input (echo yes | dew force-unlock …), or add -force to unlock without confirmation.' });
      const question = `Do you really want to force-unlock stack "${stack}"?\n  dew will remove the lock held by ${snap.lock.who} (${snap.lock.operation}).\n  Only 'yes' will be accepted to confirm.\n\n`;
      if (!(await confirmYes(ctx, question, noInput))) {
        ctx.stderr.write('force-unlock cancelled.\n');
        return 1;
      }
    }
    await session.store.unlock(stack, lockId);
    ctx.stdout.write(`dew state has been successfully unlocked!\n`);
    return 0;
  };
}

export const forceUnlockCommand: Command = makeForceUnlockCommand(defaultDeps);
