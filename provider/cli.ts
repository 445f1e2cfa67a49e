/** The `dew` command line: argument dispatch and the one place errors are printed (bin/dew.ts is the executable). */
import { createInterface } from 'node:readline/promises';
import { CliError, type Command, type CommandContext, type DaemonEntry } from './commands/context.js';
import { daemonEntry } from './commands/offline.js';
import { HELP, renderHelp } from './commands/help-table.js';
import { didYouMean } from './config/did-you-mean.js';
import { onInterrupt } from './commands/interrupts.js';
import { pipedPrompt } from './commands/piped-prompt.js';
import { spawn } from 'node:child_process';

type Loader = () => Promise<Command>;

/** Commands load lazily so `dew kms …` never pays for the HCL parser. */
const COMMANDS: Readonly<Record<string, { load: Loader; /** only for a command not yet in HELP */ summary?: string }>> = Object.freeze({
  daemon: { load: async () => daemonCommand },
  kms: { load: async () => (await import('./commands/kms.js')).kmsCommand },
  kps: { load: async () => (await import('./commands/kps.js')).kpsCommand },
  csms: { load: async () => (await import('./commands/csms.js')).csmsCommand },
  hsm: { load: async () => (await import('./commands/hsm.js')).hsmCommand },
  auth: { load: async () => (await import('./commands/auth.js')).authCommand },
  iam: { load: async () => (await import('./commands/iam.js')).iamCommand },
  operator: { load: async () => (await import('./commands/operator.js')).operatorCommand },
  validate: { load: async () => (await import('./commands/validate.js')).validateCommand },
  fmt: { load: async () => (await import('./commands/fmt.js')).fmtCommand },
  plan: { load: async () => (await import('./commands/plan.js')).planCommand },
  apply: { load: async () => (await import('./commands/apply.js')).applyCommand },
  destroy: { load: async () => (await import('./commands/apply.js')).destroyCommand },
  show: { load: async () => (await import('./commands/show.js')).showCommand },
  output: { load: async () => (await import('./commands/output.js')).outputCommand },
  state: { load: async () => (await import('./commands/state.js')).stateCommand },
  envelope: { load: async () => (await import('./commands/envelope.js')).envelopeCommand },
  import: { load: async () => (await import('./commands/import.js')).importCommand },
  quickstart: { load: async () => (await import('./commands/quickstart.js')).quickstartCommand },
  rotate: { load: async () => (await import('./commands/rotate.js')).rotateCommand },
  audit: { load: async () => (await import('./commands/audit.js')).auditCommand },
  console: { load: async () => (await import('./commands/console.js')).consoleCommand },
  'force-unlock': { load: async () => (await import('./commands/force-unlock.js')).forceUnlockCommand },
  terraform: { load: async () => (await import('./commands/terraform.js')).terraformCommand },
});

/** `dew daemon`: runs through the entry module's DaemonEntry; provider/ and daemon/ share no code. */
const daemonCommand: Command = async (ctx) => daemonEntry(ctx).runDaemon(ctx.argv, ctx.env, ctx.cwd, { log: (line) => ctx.stderr.write(line + '\n') });

function usage(): string {
  const rows = Object.keys(COMMANDS).map((name) => `  ${name.padEnd(14)}${HELP[name]?.summary ?? COMMANDS[name].summary ?? ''}`);
  return `usage: dew <command> [args]\n\ncommands:\n${rows.join('\n')}\n\n\`dew <command> --help\` (or \`dew help <command>\`) describes a command and its flags.\n`;
}

function unknownCommand(name: string): CliError {
  const near = didYouMean(name, Object.keys(COMMANDS));
  return new CliError('usage', `unknown command ${name}${near ? `. Did you mean "${near}"?` : ''}`, { hint: 'Run `dew --help` for the list of commands.', exitCode: 2 });
}

interface OperationHelp {
  operations(): string[];
  help(operation: string): string;
}

/** Commands whose words are API operations, each with its own `--help` page. */
const OPERATION_HELP: Readonly<Record<string, () => Promise<OperationHelp>>> = Object.freeze({
  kms: async () => {
    const m = await import('./commands/kms.js');
    return { operations: m.kmsOperations, help: m.operationHelp };
  },
  kps: async () => {
    const m = await import('./commands/kps.js');
    return { operations: m.kpsOperations, help: m.kpsOperationHelp };
  },
  csms: async () => {
    const m = await import('./commands/csms.js');
    return { operations: m.csmsWords, help: m.csmsOperationHelp };
  },
  hsm: async () => {
    const m = await import('./commands/hsm.js');
    return { operations: m.hsmOperations, help: m.hsmOperationHelp };
  },
});

/** The help of `dew NAME [WORDS…]`: a subcommand's or API operation's when WORDS names one; undefined when the command has no table entry. */
async function helpText(name: string, words: readonly string[]): Promise<string | undefined> {
  const help = HELP[name];
  const sub = words.find((w) => !w.startsWith('-'));
  const service = OPERATION_HELP[name];
  if (service && sub && sub !== 'help') {
    const s = await service();
    if (!s.operations().includes(sub)) {
      const near = didYouMean(sub, s.operations());
      throw new CliError('usage', `dew ${name}: unknown operation ${sub}${near ? `. Did you mean "${near}"?` : ''}`, { exitCode: 2 });
    }
    return s.help(sub);
  }
  if (help?.subcommands && sub && sub !== 'help') {
    const s = help.subcommands[sub];
    if (!s) {
      const near = didYouMean(sub, Object.keys(help.subcommands));
      throw new CliError('usage', `dew ${name}: unknown command ${sub}${near ? `. Did you mean "${near}"?` : ''}`, { hint: renderHelp(help).trimEnd(), exitCode: 2 });
    }
    return renderHelp(s);
  }
  return help && renderHelp(help);
}

/** True when argv asks for help (`--help`/`-h` before any `--`). */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h' || a === '-help');
}

/** One line (and a hint) for any failure: never a stack trace, unless DEW_DEBUG asks for it. */
function describeError(err: unknown, env: CommandContext['env']): string {
  if (err instanceof CliError) return `Error: ${err.message}\n${err.hint ? `\n${err.hint}\n` : ''}`;
  const e = err as { name?: unknown; message?: unknown; code?: unknown; hint?: unknown; stack?: unknown } | null;
  const debug = env.DEW_DEBUG && typeof e?.stack === 'string' ? `\n${e.stack}\n` : '';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  if (e?.name === 'DewNetworkError' || e?.name === 'DewApiError' || e?.name === 'StackLockedError') {
    const code = e.name === 'DewApiError' && typeof e.code === 'string' ? `${e.code}: ` : '';
    return `Error: ${code}${message}\n${typeof e.hint === 'string' ? `\n${e.hint}\n` : ''}${debug}`;
  }
  return `dew: unexpected error: ${message}\n${debug || '(set DEW_DEBUG=1 for the stack trace)\n'}`;
}

/** One line from the terminal without echoing it (a share, a passphrase, a PIN); '' on Ctrl-C. */
async function hiddenPrompt(question: string): Promise<string> {
  process.stdout.write(question);
  const rl = createInterface({ input: process.stdin, output: undefined, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => resolve(''));
      rl.question('').then(resolve, reject);
    });
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

/** Starts xdg-open on a URL, detached; false when it cannot start (never throws). */
function openBrowser(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

/** Runs one `dew` invocation; returns its exit code. */
export async function runCli(argv: readonly string[], daemon?: DaemonEntry): Promise<number> {
  const [first, ...afterFirst] = argv;
  const asksHelp = first === 'help' || wantsHelp(argv);
  const [name, ...rest] = first === 'help' ? afterFirst : argv;
  if (!name || name === '--help' || name === '-h' || name === '-help') {
    process.stdout.write(usage());
    return name || asksHelp ? 0 : 1;
  }
  const entry = COMMANDS[name];
  try {
    if (!entry) throw unknownCommand(name);
    if (asksHelp) {
      const text = await helpText(name, rest);
      if (text !== undefined) {
        process.stdout.write(text);
        return 0;
      }
    }
  } catch (err) {
    process.stderr.write(describeError(err, process.env));
    return err instanceof CliError ? err.exitCode : 1;
  }
  const ctx: CommandContext = {
    argv: rest,
    cwd: process.cwd(),
    env: process.env,
    stdout: { write: (s) => void process.stdout.write(s), writeBytes: (b) => void process.stdout.write(b), isTTY: process.stdout.isTTY },
    stderr: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY },
    prompt: process.stdin.isTTY
      ? async (q) => {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          try {
            // Ctrl-C at the prompt answers nothing: the command cancels (and releases what it holds).
            return await new Promise<string>((resolve, reject) => {
              rl.once('SIGINT', () => {
                process.stdout.write('\n');
                resolve('');
              });
              rl.question(q).then(resolve, reject);
            });
          } finally {
            rl.close();
          }
        }
      : pipedPrompt(process.stdin, { write: (s) => void process.stdout.write(s) }),
    promptSecret: process.stdin.isTTY ? (q) => hiddenPrompt(q) : undefined,
    now: Date.now,
    openBrowser,
    onInterrupt,
    daemon,
  };
  try {
    return await (await entry.load())(ctx);
  } catch (err) {
    process.stderr.write(describeError(err, ctx.env));
    return err instanceof CliError ? err.exitCode : 1;
  }
}
