/** The IPC messages between a cluster's primary and its workers (daemon/cluster/primary.ts, worker.ts). */

/** Worker → primary: the worker serves (its listener is bound, its services assembled). */
export interface ReadyMessage {
  type: 'dew:ready';
}

/** Worker → primary: the worker could not start (a user error, said in `message`; it exits with `code`). */
export interface FailedMessage {
  type: 'dew:failed';
  code: number;
  message: string;
}

/** Primary → worker: stop taking requests, finish those in flight, close, exit 0. */
export interface DrainMessage {
  type: 'dew:drain';
}

/**
 * Worker → primary: this worker committed changes (a write route answered); the primary asks every
 * other worker to apply the change log and answers `dew:barrier` once all have (read-your-writes
 * across workers, daemon/cluster/write-barrier.ts).
 */
export interface ChangedMessage {
  type: 'dew:changed';
  /** The worker's own number for this barrier. */
  id: number;
}

/** Primary → worker: apply the change log now (another worker wrote), then answer `dew:synced`. */
export interface SyncMessage {
  type: 'dew:sync';
  /** The primary's number for this round. */
  id: number;
}

/** Worker → primary: the change log is applied up to what it held when `dew:sync` came. */
export interface SyncedMessage {
  type: 'dew:synced';
  id: number;
}

/** Primary → worker: every other worker applied the changes `dew:changed` announced (or did not answer in time). */
export interface BarrierMessage {
  type: 'dew:barrier';
  id: number;
}

/** Worker → primary: an operator sealed this worker (`dew operator seal`): seal every other one too. */
export interface SealAllMessage {
  type: 'dew:seal-all';
}

/** Primary → worker: seal (wipe the master key, stop the services) as the operator asked through another worker. */
export interface SealMessage {
  type: 'dew:seal';
}

export type WorkerMessage = ReadyMessage | FailedMessage | ChangedMessage | SyncedMessage | SealAllMessage;
export type PrimaryMessage = DrainMessage | SyncMessage | BarrierMessage | SealMessage;

const WORKER_TYPES = new Set(['dew:ready', 'dew:failed', 'dew:changed', 'dew:synced', 'dew:seal-all']);
const PRIMARY_TYPES = new Set(['dew:drain', 'dew:sync', 'dew:barrier', 'dew:seal']);

function typeOf(m: unknown): unknown {
  return (m as { type?: unknown } | null)?.type;
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return WORKER_TYPES.has(typeOf(m) as string);
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return PRIMARY_TYPES.has(typeOf(m) as string);
}

export function isDrainMessage(m: unknown): m is DrainMessage {
  return typeOf(m) === 'dew:drain';
}

/** The environment a worker is forked with: its place in the cluster. */
export const WORKER_ENV = Object.freeze({
  /** The port the primary resolved (`--listen …:0` picks it once, so every worker shares one). */
  port: 'DEW_CLUSTER_PORT',
  count: 'DEW_CLUSTER_WORKERS',
  /** "1" in the one worker that runs the cron schedule. */
  scheduler: 'DEW_CLUSTER_SCHEDULER',
  slot: 'DEW_CLUSTER_SLOT',
});
