/**
 * Composition of rotation, the audit trail and the scheduler (called from main.ts): builds them on
 * the daemon's database, HSM and caches, and owns their start and graceful stop.
 */
import type { Database } from './store/db.js';
import type { Hsm } from './hsm/hsm.js';
import type { ChangeFeed, ReloadHandler } from './services/change-feed.js';
import type { KeyCache } from './services/key-cache.js';
import type { KeyService } from './services/keys.js';
import { BatchWorker } from './store/batch-worker.js';
import { AuditRepo } from './store/audit-repo.js';
import { LifecycleRepo } from './store/lifecycle-repo.js';
import { AuditLog, type AuditSink } from './services/audit.js';
import { ClusterAuditLog, type AuditChannel } from './cluster/audit-link.js';
import { AuditQueries } from './services/audit-queries.js';
import { RotationService } from './services/rotation.js';
import { LifecycleJobs, type JobReport, type ServiceJob } from './scheduler/jobs.js';
import { CronSchedule } from './scheduler/cron-schedule.js';
import type { KeyRecord } from './services/key-record.js';

export interface GovernanceConfig {
  /** Cron expression of the lifecycle jobs, or "off". */
  schedule: string;
  /** False only to measure the data path without the trail. */
  audit: boolean;
  /** How often queued audit records are written (ms). */
  auditFlushMs: number;
}

export interface Governance {
  audit: AuditSink | undefined;
  auditQueries: AuditQueries;
  rotation: RotationService;
  /** Runs the lifecycle jobs once now (the cron ticks call this too). */
  runJobs(): Promise<JobReport>;
  start(): void;
  /** Stops the scheduler (waiting for a run in progress). */
  stopScheduler(): Promise<void>;
  /** Flushes the audit queue (after the server stopped taking requests). */
  close(): Promise<void>;
}

/**
 * The change-feed handler of kind `key`: reloads the cached records of `ids` and, for a key
 * destroyed or stripped of material on any daemon, drops its cached material here too.
 */
export function keyChangeHandler(cache: KeyCache, hsm: Hsm): ReloadHandler {
  return async (ids) => {
    const previous = new Map<string, KeyRecord | undefined>();
    for (const id of ids) previous.set(id, cache.get(id));
    await cache.reload(ids);
    for (const id of ids) {
      const before = previous.get(id);
      const after = cache.get(id);
      if (before && (!after || after.currentVersion < before.currentVersion)) hsm.forget(id, before.currentVersion);
    }
  };
}

/** The audit trail: built first, since every service that changes state writes through it. */
export interface AuditTrail<L extends AuditSink = AuditSink> {
  log: L | undefined;
  repo: AuditRepo;
  /** Flushes the queue and stops the writer thread (after the server stopped taking requests). */
  close(): Promise<void>;
}

type TrailDeps = { database: Database; config: GovernanceConfig; now: () => number; log: (line: string) => void };

/**
 * The trail of one process, or (`cluster`: a cluster worker) this worker's link to the trail the
 * primary writes (cluster/audit-link.ts); the worker then needs no writer thread of its own.
 */
export function createAuditTrail(d: TrailDeps & { cluster?: AuditChannel }): AuditTrail {
  if (!d.cluster) return ownAuditTrail(d);
  const repo = new AuditRepo(d.database.db, d.database.client);
  const channel = d.cluster;
  const log = d.config.audit ? new ClusterAuditLog(channel, repo, { now: d.now, local: () => daemonLog(repo, d) }) : undefined;
  return { log, repo, close: () => closeLog(log, d.log) };
}

/** A trail whose chain this process writes: one daemon process, or a cluster's primary (cluster/audit-owner.ts). */
export function ownAuditTrail(d: TrailDeps): AuditTrail<AuditLog> {
  // Embedded database: bulk audit appends run on a worker thread, off the event loop.
  const writer = d.config.audit && d.database.embedded ? new BatchWorker(d.database.url) : undefined;
  const repo = new AuditRepo(d.database.db, d.database.client, writer ? (head, entries) => writer.appendAudit(head, entries) : undefined);
  const log = d.config.audit ? daemonLog(repo, d) : undefined;
  return {
    log,
    repo,
    close: async () => {
      await closeLog(log, d.log);
      await writer?.close();
    },
  };
}

/** A daemon's own chain on `repo`. */
function daemonLog(repo: AuditRepo, d: TrailDeps): AuditLog {
  return new AuditLog(repo, { now: d.now, log: d.log, writer: 'daemon', flushMs: d.config.auditFlushMs });
}

async function closeLog(log: AuditSink | undefined, say: (line: string) => void): Promise<void> {
  await log?.close().catch((err) => say(JSON.stringify({ level: 'error', msg: 'audit flush at shutdown failed', error: (err as Error).message })));
}

export async function createGovernance(d: {
  database: Database;
  trail: AuditTrail;
  hsm: Hsm;
  feed: ChangeFeed;
  cache: KeyCache;
  keys: KeyService;
  config: GovernanceConfig;
  now: () => number;
  log: (line: string) => void;
  /** The operator (bootstrap) account, whose administrators may verify the whole trail over HTTP. */
  isOperatorAccount: (domainId: string) => boolean;
  /** Other services' scheduled work (CSMS), run in the same ticks. */
  serviceJobs?: readonly ServiceJob[];
}): Promise<Governance> {
  const lifecycle = new LifecycleRepo(d.database.db, d.now);
  await lifecycle.detectCleanupTables();
  const audit = d.trail.log;

  const jobs = new LifecycleJobs({
    repo: lifecycle,
    hsm: d.hsm,
    audit,
    now: d.now,
    log: d.log,
    changed: async () => {
      await d.feed.sync();
    },
    serviceJobs: d.serviceJobs,
  });
  const cron = d.config.schedule === 'off' ? undefined : new CronSchedule(d.config.schedule, () => jobs.runDue(), d.log);
  return {
    audit,
    auditQueries: new AuditQueries(d.trail.repo, d.keys, () => audit?.flush() ?? Promise.resolve(), d.isOperatorAccount, d.now),
    rotation: new RotationService(d.keys, lifecycle, d.cache, d.hsm, d.now),
    runJobs: () => jobs.runDue(),
    start: () => {
      audit?.start();
      cron?.start();
    },
    stopScheduler: async () => {
      await cron?.stop();
    },
    close: () => d.trail.close(),
  };
}
