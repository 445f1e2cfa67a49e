/**
 * The primary of `dew daemon --workers N` (node:cluster): resolves the listen port once, runs the
 * migrations and the bootstrap once (the caller's `bootstrap`), forks the workers, logs the one
 * "listening on" line when all serve, restarts a worker that dies (with a backoff), and on
 * SIGTERM/SIGINT tells every worker to drain and returns 0 once all have exited. It serves no
 * request itself: node:cluster hands the connections it accepts to the workers in turn.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { DaemonConfig } from '../config.js';
import type { DaemonIo } from '../main.js';
import { isWorkerAuditMessage, isWorkerMessage, WORKER_ENV, type PrimaryMessage } from './messages.js';
import { AuditOwner } from './audit-owner.js';
import type { AuditLog } from '../services/audit.js';
import { BarrierRounds } from './barrier-rounds.js';
import { nextRestart, type SlotHistory } from './restart-backoff.js';

export interface Bootstrapped {
  /** How the master key was opened (the "listening on" line says it). */
  describe: string;
  /** The database, redacted, for the same line. */
  where: string;
}

export interface PrimaryDeps {
  config: DaemonConfig & { workers: number };
  io: DaemonIo;
  /** The dew executable the workers run (`daemon` and the same arguments). */
  executable: string;
  argv: readonly string[];
  /** Migrations, master key, bootstrap admin and credentials.json (naming `url`), once; 'sealed' for a shamir database, which the primary does not run. */
  bootstrap(url: string): Promise<Bootstrapped | 'sealed'>;
  /** The cluster's one audit writer, on a database connection of its own (undefined with `--audit off`); opened after the bootstrap. */
  openAudit(): Promise<{ log: AuditLog; close(): Promise<void> } | undefined>;
  /** The error a listen address that cannot be bound is told with (the address in use, not of this machine…). */
  listenError(err: NodeJS.ErrnoException): Error;
}

/**
 * Binds the listen address once, before the bootstrap, so an address in use is told at once; and
 * `--listen …:0` picks a free port here, once, so every worker (and every restarted one) binds the same.
 */
function resolvePort(host: string, port: number, listenError: (err: NodeJS.ErrnoException) => Error): Promise<number> {
  return new Promise((resolvePicked, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(listenError(err)));
    probe.listen(port, host, () => {
      const picked = (probe.address() as { port: number }).port;
      probe.close(() => resolvePicked(picked));
    });
  });
}

/** How long a worker may take to say whether a change holding a placed audit record committed (ms; then the stored chain head decides). */
const AUDIT_WRITTEN_TIMEOUT_MS = 30_000;

/** How long the primary waits for the other workers to apply a write's changes before it answers the writer anyway (ms). */
const BARRIER_TIMEOUT_MS = 1000;

interface Slot {
  index: number;
  worker?: Worker;
  /** The worker said it serves (it drains on a message); before that a signal stops it. */
  ready: boolean;
  startedAt: number;
  history: SlotHistory;
  timer?: NodeJS.Timeout;
}

/** Runs the cluster until SIGTERM/SIGINT; the exit code, or 'sealed' when the database is shamir (the caller runs one process). */
export async function runPrimary(d: PrimaryDeps): Promise<number | 'sealed'> {
  const { config } = d;
  const port = await resolvePort(config.host, config.port, d.listenError);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  const boot = await d.bootstrap(url);
  if (boot === 'sealed') return 'sealed';
  const trail = await d.openAudit();
  try {
    return await serve(d, port, url, boot, trail?.log);
  } finally {
    await trail?.close();
  }
}

/** Forks the workers and runs until a signal (or a worker that cannot start); the exit code. */
async function serve(d: PrimaryDeps, port: number, url: string, boot: Bootstrapped, auditLog: AuditLog | undefined): Promise<number> {
  const { config, io } = d;

  cluster.setupPrimary({ exec: d.executable, args: ['daemon', ...d.argv] });
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({ index, ready: false, startedAt: 0, history: { quickDeaths: 0 } }));
  let stopping = false;
  let serving = false;
  let failure: number | undefined;
  let markReady: () => void = () => {};
  let markFailed: (code: number) => void = () => {};
  const allReady = new Promise<number | undefined>((resolveReady) => {
    markReady = () => resolveReady(undefined);
    markFailed = (code) => resolveReady(code);
  });
  let readyCount = 0;
  let allExited: () => void = () => {};
  /** Sends to worker `id`; false when it is gone. */
  const tell = (id: number, m: PrimaryMessage): boolean => {
    const w = cluster.workers?.[id];
    if (!w?.isConnected()) return false;
    w.send(m);
    return true;
  };
  const barriers = new BarrierRounds({
    sendSync: (w, id) => tell(w, { type: 'dew:sync', id }),
    sendDone: (w, id) => tell(w, { type: 'dew:barrier', id }),
    timeoutMs: BARRIER_TIMEOUT_MS,
  });
  // Every worker's audit records go on the one chain written here.
  const audit =
    auditLog &&
    new AuditOwner({
      log: auditLog,
      send: tell,
      writtenTimeoutMs: AUDIT_WRITTEN_TIMEOUT_MS,
      warn: io.log,
    });
  auditLog?.start();
  const servingIds = () => slots.filter((s) => s.ready && s.worker?.isConnected()).map((s) => s.worker!.id);

  const fork = (slot: Slot) => {
    slot.timer = undefined;
    slot.startedAt = Date.now();
    // Slot 0 runs the cron schedule; its replacement takes it over (jobs are claimed through the database either way).
    const worker = cluster.fork({
      [WORKER_ENV.port]: String(port),
      [WORKER_ENV.count]: String(config.workers),
      [WORKER_ENV.scheduler]: slot.index === 0 ? '1' : '0',
      [WORKER_ENV.slot]: String(slot.index),
    });
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (m) => {
      if (isWorkerAuditMessage(m)) return audit?.received(worker.id, m);
      if (!isWorkerMessage(m)) return;
      if (m.type === 'dew:changed') return barriers.changed(worker.id, m.id, servingIds());
      if (m.type === 'dew:synced') return barriers.synced(worker.id, m.id);
      if (m.type === 'dew:seal-all') {
        io.log(JSON.stringify({ level: 'info', msg: 'an operator sealed a worker: sealing every worker', pid: worker.process.pid }));
        for (const id of servingIds()) if (id !== worker.id) tell(id, { type: 'dew:seal' });
        return;
      }
      if (m.type === 'dew:ready') slot.ready = true;
      if (m.type === 'dew:failed' && !serving) failure ??= m.code;
      if (m.type === 'dew:ready' && !serving && ++readyCount === slots.length) {
        serving = true;
        markReady();
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      slot.ready = false;
      barriers.gone(worker.id);
      audit?.gone(worker.id);
      if (stopping || !serving) {
        if (!serving && !stopping) markFailed(failure ?? (code || 1));
        if (slots.every((s) => !s.worker)) allExited();
        return;
      }
      const { history, delayMs } = nextRestart(slot.history, Date.now() - slot.startedAt);
      slot.history = history;
      io.log(JSON.stringify({ level: 'warn', msg: 'worker died; restarting it', pid: worker.process.pid, code, signal, slot: slot.index, restart_in_ms: delayMs }));
      slot.timer = setTimeout(() => fork(slot), delayMs);
    });
  };

  const exited = new Promise<void>((r) => (allExited = r));
  const drainAll = () => {
    stopping = true;
    for (const s of slots) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
      if (s.ready && s.worker?.isConnected()) s.worker.send({ type: 'dew:drain' });
      else s.worker?.process.kill('SIGTERM');
    }
    if (slots.every((s) => !s.worker)) allExited();
  };

  let signalled: string | undefined;
  let onSignal: (signal: string) => void = () => {};
  const stopAsked = new Promise<void>((r) => {
    onSignal = (signal) => {
      signalled ??= signal;
      r();
    };
  });
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    for (const s of slots) fork(s);
    const started = await Promise.race([allReady, stopAsked.then(() => 'signal' as const)]);
    if (started !== undefined) {
      // A worker could not start (or a signal came first): stop the others, exit with its code.
      drainAll();
      await exited;
      return started === 'signal' ? 0 : started;
    }
    io.log(`dew daemon listening on ${url} (${config.workers} workers, ${boot.where}, master key ${boot.describe})`);
    await stopAsked;
    io.log(`dew daemon: ${signalled}, finishing in-flight requests`);
    drainAll();
    await exited;
    io.log('dew daemon: stopped');
    return 0;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}
