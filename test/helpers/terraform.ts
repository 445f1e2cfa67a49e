/**
 * Runs the real `terraform` binary (/usr/local/bin/terraform, Terraform 1.11; DEW_TERRAFORM_BIN
 * overrides) in a temp working folder with a temp HOME, as automation runs it: TF_IN_AUTOMATION=1,
 * CHECKPOINT_DISABLE=1, -input=false and -no-color where the command takes them, a minimal
 * environment (nothing of the test process's: no TF_CLI_CONFIG_FILE, no NODE_OPTIONS), and
 * TF_CLI_CONFIG_FILE only when a CLI configuration is given. No time limit of its own.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TERRAFORM = process.env.DEW_TERRAFORM_BIN || '/usr/local/bin/terraform';

export interface TerraformRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TerraformWorkspace {
  /** The working folder (the configuration goes here). */
  readonly dir: string;
  /** The temp HOME (its .terraform.d/plugins is Terraform's implied local mirror). */
  readonly home: string;
  /** The environment every run gets (before the run's own additions). */
  readonly env: Record<string, string>;
  /** Writes a file relative to `dir` (folders created). */
  write(file: string, text: string): string;
  /** `terraform ARGS…` in `dir`. */
  run(args: readonly string[], opts?: { env?: Record<string, string>; stdin?: string }): Promise<TerraformRun>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Subcommands that take -input=false. */
const TAKES_INPUT = new Set(['init', 'plan', 'apply', 'destroy', 'import', 'refresh']);
/** Subcommands that take -no-color. */
const TAKES_NO_COLOR = new Set(['init', 'validate', 'plan', 'apply', 'destroy', 'import', 'refresh', 'show', 'output', 'providers', 'console', 'untaint', 'taint']);

/** The argv terraform gets: the automation flags go right after the subcommand. */
export function terraformArgs(args: readonly string[]): string[] {
  const [sub, ...rest] = args;
  if (!sub) return [];
  const extra = [...(TAKES_INPUT.has(sub) && !rest.some((a) => a.startsWith('-input')) ? ['-input=false'] : []), ...(TAKES_NO_COLOR.has(sub) ? ['-no-color'] : [])];
  return [sub, ...extra, ...rest];
}

/** One run of terraform with exactly `env` (plus nothing from this process). */
export function runTerraform(args: readonly string[], opts: { cwd: string; env: Record<string, string>; stdin?: string }): Promise<TerraformRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(TERRAFORM, terraformArgs(args), { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/**
 * A working folder, HOME and TMPDIR under one temp folder, removed at teardown. `cliConfig` is written to
 * HOME/terraform.rc and named by TF_CLI_CONFIG_FILE; `files` are written into the working folder.
 */
export function terraformWorkspace(t: Teardown, opts: { files?: Record<string, string>; cliConfig?: string; env?: Record<string, string> } = {}): TerraformWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'dew-tf-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'work');
  const home = join(root, 'home');
  const tmp = join(root, 'tmp');
  for (const d of [dir, home, tmp]) mkdirSync(d, { recursive: true });
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, TMPDIR: tmp, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', ...opts.env };
  if (opts.cliConfig !== undefined) {
    const file = join(home, 'terraform.rc');
    writeFileSync(file, opts.cliConfig);
    env.TF_CLI_CONFIG_FILE = file;
  }
  const write = (file: string, text: string) => {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  for (const [file, text] of Object.entries(opts.files ?? {})) write(file, text);
  return {
    dir,
    home,
    env,
    write,
    run: (args, o = {}) => runTerraform(args, { cwd: dir, env: { ...env, ...o.env }, stdin: o.stdin }),
  };
}
