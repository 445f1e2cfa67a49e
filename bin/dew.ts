#!/usr/bin/env node
/**
 * The `dew` executable: the one module that imports both the CLI (provider/) and the daemon
 * (daemon/). The daemon side is imported by literal specifiers, so `tsc` checks its signatures
 * against DaemonEntry, and lazily, so commands that never run the daemon never load its code.
 */
import { fileURLToPath } from 'node:url';
import { runCli } from '../provider/cli.js';
import type { DaemonEntry } from '../provider/commands/context.js';

const daemon: DaemonEntry = {
  runDaemon: async (...args) => (await import('../daemon/main.js')).runDaemon(...args),
  runDueJobs: async (...args) => (await import('../daemon/offline.js')).runDueJobs(...args),
  runAuditVerify: async (...args) => (await import('../daemon/offline.js')).runAuditVerify(...args),
  keyFormats: async () => import('../daemon/kps/key-formats.js'),
  executable: fileURLToPath(import.meta.url),
};

runCli(process.argv.slice(2), daemon).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`dew: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
