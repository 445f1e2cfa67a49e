// Starts `dew daemon` as a child process on an ephemeral loopback port (for the benchmarks).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Resolves once the daemon logs its address; `creds` are the bootstrap admin's. */
export async function startDaemonProcess(dataDir, extraArgs = [], env = process.env) {
  const child = spawn(process.execPath, [join(root, 'dist/bin/dew.js'), 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      log += c;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`daemon exited ${code}: ${log}`)));
  });
  return { child, url, creds: JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) };
}
