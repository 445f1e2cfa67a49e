/** Helpers of the seal tests: an in-process daemon on a temp data dir, unsigned seal API calls, a signed client once unsealed. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../daemon/main.js';
import { parseDaemonArgs } from '../../daemon/config.js';
import { DewClient } from '../../provider/client/dew-client.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface SealedDaemon {
  daemon: RunningDaemon;
  dataDir: string;
  logs: string[];
  /** An unsigned call; answers status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  /** A client signed with the admin credentials (once unsealed). */
  client(): DewClient;
  stop(): Promise<void>;
}

export function tempDir(t: Teardown, prefix = 'dew-seal-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startSealDaemon(t: Teardown, dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<SealedDaemon> {
  const logs: string[] = [];
  const config = parseDaemonArgs(['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], env, dataDir);
  const daemon = await startDaemon(config, { log: (l) => logs.push(l) });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await daemon.close();
  };
  t.teardown(stop);
  return {
    daemon,
    dataDir,
    logs,
    async call(method, path, body) {
      const res = await fetch(daemon.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* as text */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    client() {
      const c = daemon.credentials;
      return new DewClient({ endpoint: daemon.url, projectId: c.project_id, accessKey: c.access_key, secretKey: c.secret_key });
    },
    stop,
  };
}
