/** A `dew daemon` as a real process on 127.0.0.1, for tests that watch the process itself (memory, signals). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  dataDir: string;
  credentials: { access_key: string; secret_key: string; project_id: string; domain_id: string };
  log(): string;
  /** Resident-set figures of the process now, in bytes (VmRSS, and the peak VmHWM). */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Starts the daemon and waits for its "listening on" line (a minute at most: CI machines are busy);
 * `credentials` reads credentials.json when first used (a sealed daemon writes it at unseal). With
 * `opts.dataDir` it runs on that folder (a restart on the same database) and leaves it in place at stop.
 */
export function startDaemonProcess(t: Teardown, args: string[] = [], env: Record<string, string> = {}, opts: { dataDir?: string } = {}): Promise<DaemonProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dew-proc-'));
  const child = spawn(process.execPath, [cli, 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c) => (log += c));
  child.stdout?.on('data', (c) => (log += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  t.teardown(stop);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start within 60 s: ${log}`)), 60_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (!m) return;
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      // Read when asked: a sealed daemon (shamir) listens before it knows its credentials.
      resolve({
        child,
        url: m[1],
        dataDir,
        get credentials() {
          return JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
        },
        log: () => log,
        memory: () => ({ rss: kb('VmRSS'), peak: kb('VmHWM') }),
        stop,
      });
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited ${code}: ${log}`));
    });
  });
}
