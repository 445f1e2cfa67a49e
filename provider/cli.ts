#!/usr/bin/env node
/** The `dew` executable: argument dispatch and the one exit point. */
import { createInterface } from 'node:readline/promises';
import { CliError, type Command, type CommandContext } from './commands/context.js';
import { onInterrupt } from './commands/interrupts.js';

type Loader = () => Promise<Command>;

/** Commands load lazily so `dew kms …` never pays for the HCL parser. */
const COMMANDS: Readonly<Record<string, { summary: string; load: Loader }>> = Object.freeze({
  daemon: { summary: 'run the KMS daemon', load: async () => daemonCommand },
  kms: { summary: 'call any KMS operation and print the JSON answer', load: async () => (await import('./commands/kms.js')).kmsCommand },
  auth: { summary: 'auth token: get an X-Auth-Token for DEW_TOKEN', load: async () => (await import('./commands/auth.js')).authCommand },
  iam: { summary: 'users, access keys, roles and IP allow-lists (admin)', load: async () => (await import('./commands/iam.js')).iamCommand },
  validate: { summary: 'check the configuration files (no daemon needed)', load: async () => (await import('./commands/validate.js')).validateCommand },
  fmt: { summary: 'rewrite configuration files in canonical style', load: async () => (await import('./commands/fmt.js')).fmtCommand },
  plan: { summary: 'show what apply would change', load: async () => (await import('./commands/plan.js')).planCommand },
  apply: { summary: 'apply the configuration or a saved plan', load: async () => (await import('./commands/apply.js')).applyCommand },
  destroy: { summary: 'destroy every object the stack owns', load: async () => (await import('./commands/apply.js')).destroyCommand },
  show: { summary: 'show a saved plan or the stack', load: async () => (await import('./commands/show.js')).showCommand },
  output: { summary: 'print output values', load: async () => (await import('./commands/output.js')).outputCommand },
  state: { summary: 'state list [ADDRESS…] | state show ADDRESS: the objects the stack owns', load: async () => (await import('./commands/state.js')).stateCommand },
  envelope: { summary: 'envelope encrypt -key-id K IN OUT | decrypt IN OUT: files of any size under a data key (- = stdin/stdout)', load: async () => (await import('./commands/envelope.js')).envelopeCommand },
  import: { summary: 'import ADDR ID: adopt an existing object into the stack', load: async () => (await import('./commands/import.js')).importCommand },
  quickstart: { summary: 'start the daemon, apply examples/quickstart (or DIR), keep the daemon running', load: async () => (await import('./commands/quickstart.js')).quickstartCommand },
  rotate: { summary: 'rotate --due: run the scheduled key jobs once; rotate --key ID: rotate now', load: async () => (await import('./commands/rotate.js')).rotateCommand },
  audit: { summary: 'audit list|usage|verify: read and check the audit trail', load: async () => (await import('./commands/audit.js')).auditCommand },
  'force-unlock': { summary: 'force-unlock ID: release a stuck stack lock', load: async () => (await import('./commands/force-unlock.js')).forceUnlockCommand },
});

/** `dew daemon`: the daemon is loaded by path at run time; provider/ and daemon/ share no code. */
const daemonCommand: Command = async (ctx) => {
  const entry = new URL('../daemon/main.js', import.meta.url).href;
  const daemon = (await import(entry)) as {
    runDaemon: (argv: readonly string[], env: CommandContext['env'], cwd: string, io: { log: (l: string) => void }) => Promise<number>;
  };
  return daemon.runDaemon(ctx.argv, ctx.env, ctx.cwd, { log: (line) => ctx.stderr.write(line + '\n') });
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`);
  return `usage: dew <command> [args]\n\ncommands:\n${rows.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`dew: unknown command ${name}\n\n${usage()}`);
    return 1;
  }
  const ctx: CommandContext = {
    argv: rest,
    cwd: process.cwd(),
    env: process.env,
    stdout: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY },
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
      : undefined,
    now: Date.now,
    onInterrupt,
  };
  try {
    return await (await entry.load())(ctx);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`Error: ${err.message}\n${err.hint ? `\n${err.hint}\n` : ''}`);
      return err.exitCode;
    }
    process.stderr.write(`dew: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`dew: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
