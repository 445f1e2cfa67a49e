/** Test harness: a real daemon on an ephemeral loopback port with a temp data dir, and a signed client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../daemon/main.js';
import { parseDaemonArgs } from '../../daemon/config.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { DewApiError } from '../../provider/client/errors.js';
import type { Test } from 'tap';
import { startSqld, type Sqld } from './sqld.js';

export type Backend = 'file' | 'sqld';

export interface TestDaemon {
  daemon: RunningDaemon;
  client: DewClient;
  dataDir: string;
  dbUrl: string;
  logs: string[];
  /** A client signed with this daemon's admin credentials. */
  clientFor(creds?: { access_key: string; secret_key: string; project_id: string }): DewClient;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  dbUrl?: string;
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  now?: () => number;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startTestDaemon(t: Teardown, opts: DaemonOptions = {}): Promise<TestDaemon> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dew-test-'));
  const args = ['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...(opts.dbUrl ? ['--db', opts.dbUrl] : []), ...(opts.args ?? [])];
  const config = parseDaemonArgs(args, { ...(opts.env ?? {}) }, process.cwd());
  const logs: string[] = [];
  const daemon = await startDaemon(config, { log: (l) => logs.push(l), now: opts.now });
  const c = daemon.credentials;
  const clientFor = (creds = c) =>
    new DewClient({ endpoint: daemon.url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await daemon.close();
  };
  t.teardown(async () => {
    await stop();
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return { daemon, client: clientFor(), dataDir, dbUrl: config.dbUrl, logs, clientFor, stop };
}

/** A database URL for a backend: a temp file, or a fresh sqld server (stopped at teardown). */
export async function databaseFor(t: Teardown, backend: Backend): Promise<string> {
  if (backend === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'dew-db-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    return `file:${join(dir, 'dew.db')}`;
  }
  const sqld: Sqld = await startSqld();
  t.teardown(() => sqld.stop());
  return sqld.url;
}

/** Awaits a call that must fail with the given HTTP status and reference error code. */
export async function apiError(p: Promise<unknown>): Promise<DewApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DewApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** Asserts that a call fails with `status` and `code` (and a message matching `message`); the error, for more checks. */
export async function expectCode(
  t: Test,
  p: Promise<unknown>,
  status: number,
  code: string,
  what: string,
  message?: RegExp,
): Promise<DewApiError> {
  const e = await apiError(p);
  t.equal(`${e.status} ${e.code}`, `${status} ${code}`, `${what} (${e.message})`);
  if (message) t.match(e.message, message, `${what}: the message says why`);
  return e;
}

/** Polls `check` (a throw counts as "not yet") until it holds or `ms` pass: changes made on one daemon reach others within the sync interval. */
export async function eventually(check: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
