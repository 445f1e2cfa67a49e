/** The IPC messages between a cluster's primary and its workers (daemon/cluster/primary.ts, worker.ts). */
import type { ChainedSegment } from '../audit/chain.js';
import type { AuditEntry, AuditOutcome } from '../services/audit.js';

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

/**
 * An audit record as it crosses to the primary, its fields in the chain's order:
 * `[at, request_id, domain_id, user_id, access_key, source_ip, operation, resource_id, outcome, status, error_code]`.
 */
export type AuditTuple = [number, string, string, string, string, string, string, string, AuditOutcome, number, string];

export function auditTuple(e: AuditEntry): AuditTuple {
  return [e.at, e.requestId, e.domainId, e.userId, e.accessKey, e.sourceIp, e.operation, e.resourceId, e.outcome, e.status, e.errorCode];
}

export function auditEntry(t: AuditTuple): AuditEntry {
  return { at: t[0], requestId: t[1], domainId: t[2], userId: t[3], accessKey: t[4], sourceIp: t[5], operation: t[6], resourceId: t[7], outcome: t[8], status: t[9], errorCode: t[10] };
}

/** Worker → primary: records of calls that changed nothing (the data path, reads, refusals), in the order they closed; the primary queues them on the one chain. */
export interface AuditRecordsMessage {
  type: 'dew:audit';
  records: AuditTuple[];
}

/** Worker → primary: a state change's record wants the next chain position (answered `dew:audit-segment`). */
export interface AuditPlaceMessage {
  type: 'dew:audit-place';
  /** The worker's own number for this placement. */
  id: number;
  record: AuditTuple;
}

/** Primary → worker: the placed record as a one-record segment, to write inside the change's batch; nothing else is appended until `dew:audit-written`. */
export interface AuditSegmentMessage {
  type: 'dew:audit-segment';
  id: number;
  segment: ChainedSegment;
  startedAt: number;
}

/**
 * Worker → primary: what became of the batch holding the placed record: committed, rolled back by
 * its guard (the change did not happen), or unknown (an error that may hide a commit: the primary
 * reads the stored head).
 */
export interface AuditWrittenMessage {
  type: 'dew:audit-written';
  id: number;
  outcome: 'committed' | 'refused' | 'unknown';
}

/** Worker → primary: append every record queued so far (an audit listing follows); answered `dew:audit-flushed`. */
export interface AuditFlushMessage {
  type: 'dew:audit-flush';
  id: number;
}

/** Primary → worker: the records queued when `dew:audit-flush` came are appended (or `error` says why not). */
export interface AuditFlushedMessage {
  type: 'dew:audit-flushed';
  id: number;
  error?: string;
}

export type WorkerAuditMessage = AuditRecordsMessage | AuditPlaceMessage | AuditWrittenMessage | AuditFlushMessage;
export type PrimaryAuditMessage = AuditSegmentMessage | AuditFlushedMessage;

export type WorkerMessage = ReadyMessage | FailedMessage | ChangedMessage | SyncedMessage | SealAllMessage | WorkerAuditMessage;
export type PrimaryMessage = DrainMessage | SyncMessage | BarrierMessage | SealMessage | PrimaryAuditMessage;

const WORKER_AUDIT_TYPES = new Set(['dew:audit', 'dew:audit-place', 'dew:audit-written', 'dew:audit-flush']);
const PRIMARY_AUDIT_TYPES = new Set(['dew:audit-segment', 'dew:audit-flushed']);
const WORKER_TYPES = new Set(['dew:ready', 'dew:failed', 'dew:changed', 'dew:synced', 'dew:seal-all', ...WORKER_AUDIT_TYPES]);
const PRIMARY_TYPES = new Set(['dew:drain', 'dew:sync', 'dew:barrier', 'dew:seal', ...PRIMARY_AUDIT_TYPES]);

function typeOf(m: unknown): unknown {
  return (m as { type?: unknown } | null)?.type;
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return WORKER_TYPES.has(typeOf(m) as string);
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return PRIMARY_TYPES.has(typeOf(m) as string);
}

export function isWorkerAuditMessage(m: unknown): m is WorkerAuditMessage {
  return WORKER_AUDIT_TYPES.has(typeOf(m) as string);
}

export function isPrimaryAuditMessage(m: unknown): m is PrimaryAuditMessage {
  return PRIMARY_AUDIT_TYPES.has(typeOf(m) as string);
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
