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

export type WorkerMessage = ReadyMessage | FailedMessage;

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  const type = (m as { type?: unknown } | null)?.type;
  return type === 'dew:ready' || type === 'dew:failed';
}

export function isDrainMessage(m: unknown): m is DrainMessage {
  return (m as { type?: unknown } | null)?.type === 'dew:drain';
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
