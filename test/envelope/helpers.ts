/** Shared by the envelope tests: a real daemon, keys, and `dew envelope` run as a real process or in this one. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { CliError } from '../../provider/cli-error.js';
import { envelopeCommand } from '../../provider/commands/envelope.js';

export const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

export interface Env {
  d: TestDaemon;
  dir: string;
  env: Record<string, string>;
  aesKey: string;
  sm4Key: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function envelopeEnv(t: Teardown): Promise<Env> {
  const d = await startTestDaemon(t);
  const dir = mkdtempSync(join(tmpdir(), 'dew-envelope-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = d.daemon.credentials;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    DEW_ENDPOINT: d.daemon.url,
    DEW_PROJECT_ID: c.project_id,
    DEW_ACCESS_KEY: c.access_key,
    DEW_SECRET_KEY: c.secret_key,
  };
  const aes = (await d.client.kms('create-key', { key_alias: 'env-aes' })) as { key_info: { key_id: string } };
  const sm4 = (await d.client.kms('create-key', { key_alias: 'env-sm4', key_spec: 'SM4' })) as { key_info: { key_id: string } };
  return { d, dir, env, aesKey: aes.key_info.key_id, sm4Key: sm4.key_info.key_id };
}

export interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `dew ARGS…` with `input` on stdin (none when undefined). */
export function dew(env: Env, args: string[], input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: env.dir, env: env.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/**
 * `dew envelope ARGS…` file to file in this process: the command the executable runs, its failure
 * printed as the entry point prints a CliError (provider/cli.ts). For the variants of cases that
 * also run as real processes, so that each does not pay a process start; any other error fails the test.
 */
export async function dewHere(env: Env, args: string[]): Promise<Run> {
  if (args[0] !== 'envelope' || args.includes('-')) throw new Error('dewHere runs `dew envelope` file to file only');
  const out: Buffer[] = [];
  let err = '';
  const ctx = { argv: args.slice(1), cwd: env.dir, env: env.env, stdout: { write: (s: string) => void out.push(Buffer.from(s)) }, stderr: { write: (s: string) => void (err += s) }, now: Date.now };
  try {
    return { code: await envelopeCommand(ctx), stdout: Buffer.concat(out), stderr: err };
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    return { code: e.exitCode, stdout: Buffer.concat(out), stderr: `${err}Error: ${e.message}\n${e.hint ? `\n${e.hint}\n` : ''}` };
  }
}
