/**
 * One worker of `dew daemon --workers N`: the whole daemon in this process on the port the primary
 * resolved, sharing the database, the change feed and the AK lockout as several daemons do. Tells
 * the primary when it serves (or why it cannot), and drains when the primary (or a signal) says so.
 */
import type { DaemonConfig } from '../config.js';
import type { DaemonIo, RunningDaemon, WorkerRole } from '../main.js';
import { isPrimaryAuditMessage, isPrimaryMessage, WORKER_ENV, type PrimaryAuditMessage, type WorkerMessage } from './messages.js';
import type { AuditChannel } from './audit-link.js';
import { WriteBarrier } from './write-barrier.js';

export interface WorkerDeps {
  config: DaemonConfig;
  env: Readonly<Record<string, string | undefined>>;
  io: DaemonIo;
  start(config: DaemonConfig, role: WorkerRole): Promise<RunningDaemon>;
  /** The start errors that are the user's (exit 2, one line), not the program's. */
  isUserError(err: unknown): boolean;
}

/** How long a drained worker waits for its last handles before it exits anyway (ms). */
const EXIT_GRACE_MS = 2000;
/** How long a write waits for the primary's barrier at most (ms; the primary gives up on a silent worker after 1 s). */
const BARRIER_WAIT_MS = 2000;

function send(m: WorkerMessage): void {
  process.send?.(m);
}

/** Runs until told to drain; returns the exit code. */
export async function runWorker(d: WorkerDeps): Promise<number> {
  const barrier = new WriteBarrier({ send, timeoutMs: BARRIER_WAIT_MS });
  let applyChanges: () => Promise<unknown> = async () => undefined;
  let sealThis: () => void = () => {};
  let stop: () => void = () => {};
  let auditHandler: { received(m: PrimaryAuditMessage): void; disconnected(): void } | undefined;
  process.on('message', (m) => {
    if (isPrimaryAuditMessage(m)) return auditHandler?.received(m);
    if (!isPrimaryMessage(m)) return;
    if (m.type === 'dew:drain') stop();
    else if (m.type === 'dew:barrier') barrier.answered(m.id);
    else if (m.type === 'dew:seal') sealThis();
    else if (m.type === 'dew:sync') {
      const id = m.id;
      // A failed sync is logged by the periodic one; the writer waits no longer either way.
      applyChanges()
        .catch(() => undefined)
        .then(() => process.connected && send({ type: 'dew:synced', id }));
    }
  });
  const audit: AuditChannel = {
    send: (m, sent) => {
      if (!process.connected || !process.send) return false;
      process.send(m, undefined, {}, (err: Error | null) => sent?.(!err));
      return true;
    },
    connected: () => process.connected,
    serve: (handler) => {
      auditHandler = handler;
    },
  };
  process.on('disconnect', () => auditHandler?.disconnected());
  const role: WorkerRole = {
    workers: Number(d.env[WORKER_ENV.count]),
    runsScheduler: d.env[WORKER_ENV.scheduler] === '1',
    debugHeader: d.env.DEW_DEBUG_WORKER === '1',
    link: {
      afterWrite: () => barrier.wait(),
      serveSync: (apply) => {
        applyChanges = apply;
      },
      sealOthers: () => send({ type: 'dew:seal-all' }),
      serveSeal: (seal) => {
        sealThis = seal;
      },
      audit,
    },
  };
  const config: DaemonConfig = { ...d.config, port: Number(d.env[WORKER_ENV.port]) };
  let daemon: RunningDaemon;
  try {
    daemon = await d.start(config, role);
  } catch (err) {
    if (!d.isUserError(err)) throw err;
    d.io.log(`dew daemon: ${(err as Error).message}`);
    // Exits once the primary has the message (the IPC channel would keep this process alive).
    const failed: WorkerMessage = { type: 'dew:failed', code: 2, message: (err as Error).message };
    if (process.send) process.send(failed, undefined, {}, () => process.exit(2));
    return 2;
  }
  send({ type: 'dew:ready' });
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    stop = () => {
      if (stopping) return;
      stopping = true;
      daemon.close().then(resolveStop, (err) => {
        d.io.log(JSON.stringify({ level: 'error', msg: 'worker close failed', pid: process.pid, error: (err as Error).message }));
        resolveStop();
      });
    };
    // A terminal's Ctrl-C reaches the whole process group: the worker drains as the primary would tell it to.
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // The primary gone (killed): nobody restarts or drains this worker; it finishes and goes.
    process.on('disconnect', stop);
  });
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
  return 0;
}
