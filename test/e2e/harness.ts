/** End-to-end harness: a real daemon (test/helpers/daemon.ts) and the dew commands run in-process as a user runs them. */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { CliError, type Command, type CommandContext } from '../../provider/commands/context.js';
import { planCommand } from '../../provider/commands/plan.js';
import { applyCommand, destroyCommand } from '../../provider/commands/apply.js';
import { stateCommand } from '../../provider/commands/state.js';
import { outputCommand } from '../../provider/commands/output.js';
import { importCommand } from '../../provider/commands/import.js';
import { forceUnlockCommand } from '../../provider/commands/force-unlock.js';
import { showCommand } from '../../provider/commands/show.js';
import { validateCommand } from '../../provider/commands/validate.js';
import { kmsCommand } from '../../provider/commands/kms.js';
import { kpsCommand } from '../../provider/commands/kps.js';
import { csmsCommand } from '../../provider/commands/csms.js';
import { hsmCommand } from '../../provider/commands/hsm.js';

export const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  plan: planCommand,
  apply: applyCommand,
  destroy: destroyCommand,
  state: stateCommand,
  output: outputCommand,
  import: importCommand,
  'force-unlock': forceUnlockCommand,
  show: showCommand,
  validate: validateCommand,
  kms: kmsCommand,
  kps: kpsCommand,
  csms: csmsCommand,
  hsm: hsmCommand,
});

export interface Result {
  code: number;
  out: string;
  err: string;
  /** What the command wrote to stdout as bytes (a binary secret from dew csms get). */
  bytes: Buffer;
}

export interface World {
  td: TestDaemon;
  /** The config folder (its name is the default stack). */
  dir: string;
  env: Record<string, string>;
  write(files: Record<string, string>): void;
  remove(file: string): void;
  /** Runs `dew NAME ARGS…` in-process with cwd = the config folder; a CliError becomes exit code + stderr, as in cli.ts. */
  dew(name: string, ...argv: string[]): Promise<Result>;
  /** `dew kms OP …` and its JSON answer. */
  kms(op: string, fields: Record<string, string>): Promise<Record<string, unknown>>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface WorldOptions {
  stack?: string;
  keyQuota?: number;
  /** Answers to the prompts, in order ('' once they run out). */
  answers?: string[];
  /** Answers prompts instead of `answers` (a test that must hold a command at its approval prompt). */
  prompt?: (question: string) => Promise<string>;
}

/** `dew NAME ARGS…` run in-process in `dir` with `env`, as a user runs it: a CliError becomes exit code + stderr. */
export function dewRunner(dir: string, env: Record<string, string>, opts: Pick<WorldOptions, 'answers' | 'prompt'> = {}): (name: string, ...argv: string[]) => Promise<Result> {
  const answers = opts.answers ?? [];
  return async (name: string, ...argv: string[]): Promise<Result> => {
    let out = '';
    let err = '';
    const bytes: Buffer[] = [];
    const ctx: CommandContext = {
      argv,
      cwd: dir,
      env,
      stdout: { write: (s) => void (out += s), writeBytes: (b) => void bytes.push(Buffer.from(b)), isTTY: false },
      stderr: { write: (s) => void (err += s), isTTY: false },
      prompt: opts.prompt ?? (async () => answers.shift() ?? ''),
      now: Date.now,
    };
    const cmd = COMMANDS[name];
    if (!cmd) throw new Error(`no command ${name}`);
    try {
      const code = await cmd(ctx);
      return { code, out, err, bytes: Buffer.concat(bytes) };
    } catch (e) {
      if (e instanceof CliError) return { code: e.exitCode, out, err: `${err}Error: ${e.message}\n${e.hint ? `\n${e.hint}\n` : ''}`, bytes: Buffer.concat(bytes) };
      throw e;
    }
  };
}

export async function world(t: Teardown, opts: WorldOptions = {}): Promise<World> {
  const td = await startTestDaemon(t, { args: ['--key-quota', String(opts.keyQuota ?? 200)] });
  const home = mkdtempSync(join(tmpdir(), 'dew-e2e-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const dir = join(home, opts.stack ?? 'stack');
  mkdirSync(dir);
  const env = { DEW_CREDENTIALS: join(td.dataDir, 'credentials.json'), NO_COLOR: '1', USER: 'e2e' };
  const dew = dewRunner(dir, env, opts);
  return {
    td,
    dir,
    env,
    write: (files) => {
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    },
    remove: (file) => rmSync(join(dir, file)),
    dew,
    kms: async (op, fields) => {
      const argv = [op, ...Object.entries(fields).flatMap(([k, v]) => [`--${k.replace(/_/g, '-')}`, v])];
      const r = await dew('kms', ...argv);
      if (r.code !== 0) throw new Error(`dew kms ${op} failed: ${r.err}`);
      return r.out.trim() ? (JSON.parse(r.out) as Record<string, unknown>) : {};
    },
  };
}

/** The key the daemon has under an id, as describe-key answers. */
export async function describe(w: World, keyId: string): Promise<Record<string, string>> {
  const r = (await w.td.client.kms('describe-key', { key_id: keyId })) as { key_info: Record<string, string> };
  return r.key_info;
}
