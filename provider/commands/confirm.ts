/** The "Only 'yes' will be accepted" question of apply, destroy and force-unlock, as Terraform asks it. */
import { CliError, type CommandContext } from './context.js';

/**
 * Writes `question`, reads one answer (a terminal or piped input) and says whether it was exactly
 * "yes"; no input at all (none to read, or it ended before an answer) is the error `noInput`.
 */
export async function confirmYes(ctx: CommandContext, question: string, noInput: () => CliError): Promise<boolean> {
  if (!ctx.prompt) throw noInput();
  ctx.stdout.write(question);
  const answer = await ctx.prompt('  Enter a value: ');
  if (answer === undefined) throw noInput();
  return answer.trim() === 'yes';
}
