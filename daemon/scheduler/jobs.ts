/**
 * The scheduler's jobs, run once per tick (or by `dew rotate --due`): rotate keys that are due,
 * destroy keys whose deletion day has come, delete expired imported material. Each item is handled
 * on its own and audited; failures are collected and reported together, so one bad key never blocks
 * the rest, and an item that failed is simply due again at the next run. Every action is a
 * compare-and-set in the database, so daemons running the same jobs at once act on each item once.
 */
import { randomBytes } from 'node:crypto';
import type { Hsm } from '../hsm/hsm.js';
import type { LifecycleRepo, DueKey, CasOutcome } from '../store/lifecycle-repo.js';
import type { AuditSink } from '../services/audit.js';
import { rotateKeyVersion } from '../services/rotation.js';

export type JobName = 'rotate-key' | 'destroy-key' | 'delete-expired-material';

export interface JobFailure {
  job: JobName;
  key_id: string;
  error: string;
}

export interface JobReport {
  at: number;
  rotated: string[];
  destroyed: string[];
  expired: string[];
  /** Items another writer handled first (lost the compare-and-set). */
  skipped: { job: JobName; key_id: string }[];
  failed: JobFailure[];
  /** What each other service's jobs did (CSMS: deleted, rotated, expired secrets…), by service. */
  services: Record<string, ServiceJobReport>;
}

/** A service's own scheduled work (secret deletion and rotation, event delivery): run after the key jobs. */
export interface ServiceJob {
  readonly service: string;
  run(): Promise<ServiceJobReport>;
}

/** What a service job did: names (or counts) by action, and failures (never a value in them). */
export type ServiceJobReport = Record<string, string[] | number>;

export interface JobDeps {
  repo: LifecycleRepo;
  hsm: Hsm;
  audit?: AuditSink;
  now: () => number;
  log: (line: string) => void;
  /** Called with the keys this run changed (the daemon refreshes its caches). */
  changed?: (keyIds: string[]) => Promise<void>;
  /** Other services' jobs, run after the key jobs in the same tick. */
  serviceJobs?: readonly ServiceJob[];
}

export class LifecycleJobs {
  private running: Promise<JobReport> | undefined;

  constructor(private readonly d: JobDeps) {}

  /** Runs every job once; a call while a run is in progress shares that run. */
  runDue(): Promise<JobReport> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<JobReport> {
    const at = this.d.now();
    const report: JobReport = { at, rotated: [], destroyed: [], expired: [], skipped: [], failed: [], services: {} };
    const runId = randomBytes(8).toString('hex');
    const each = async (job: JobName, list: () => Promise<DueKey[]>, act: (k: DueKey) => Promise<CasOutcome>, done: string[]) => {
      let due: DueKey[];
      try {
        due = await list();
      } catch (err) {
        report.failed.push({ job, key_id: '', error: (err as Error).message });
        return;
      }
      for (const k of due) {
        try {
          if ((await act(k)) === 'applied') done.push(k.keyId);
          else report.skipped.push({ job, key_id: k.keyId });
        } catch (err) {
          report.failed.push({ job, key_id: k.keyId, error: (err as Error).message });
          this.d.audit?.record({ ...this.who(job, runId, k), at: this.d.now(), resourceId: k.keyId, outcome: 'failed', status: 500, errorCode: 'KMS.0101' });
        }
      }
    };
    const hook = (job: JobName, k: DueKey) => this.d.audit?.systemHook(this.who(job, runId, k));
    await each('rotate-key', () => this.d.repo.dueRotations(at), (k) => rotateKeyVersion(this.d.hsm, this.d.repo, k, this.d.now(), hook('rotate-key', k)), report.rotated);
    await each('destroy-key', () => this.d.repo.dueDeletions(at), async (k) => {
      const r = await this.d.repo.destroy(k.keyId, at, hook('destroy-key', k));
      // Material of a destroyed key is gone for good: wipe what this process holds now, and what a
      // PKCS#11 token holds of it (its objects; a software partition's material went with the rows).
      if (r === 'applied') {
        this.d.hsm.forget(k.keyId, k.currentVersion);
        for (let version = 1; version <= k.currentVersion; version++) {
          await this.d.hsm.destroyKey({ keyId: k.keyId, version, keySpec: k.keySpec, partitionId: k.partitionId }).catch((err: Error) => {
            report.failed.push({ job: 'destroy-key', key_id: k.keyId, error: `the key is destroyed, but its token objects of version ${version} were not: ${err.message}` });
          });
        }
      }
      return r;
    }, report.destroyed);
    await each('delete-expired-material', () => this.d.repo.expiredMaterial(at), async (k) => {
      const r = await this.d.repo.expireMaterial(k.keyId, at, hook('delete-expired-material', k));
      if (r === 'applied') this.d.hsm.forget(k.keyId, Math.max(1, k.currentVersion));
      return r;
    }, report.expired);
    const changed = [...report.rotated, ...report.destroyed, ...report.expired];
    if (changed.length > 0 && this.d.changed) {
      await this.d.changed(changed).catch((err) => report.failed.push({ job: 'rotate-key', key_id: '', error: `cache refresh: ${(err as Error).message}` }));
    }
    for (const job of this.d.serviceJobs ?? []) {
      report.services[job.service] = await job.run().catch((err) => ({ failed: [(err as Error).message] }));
    }
    await this.d.audit?.flush().catch(() => undefined);
    const serviceWork = Object.values(report.services).some((r) => Object.values(r).some((v) => (typeof v === 'number' ? v > 0 : v.length > 0)));
    if (changed.length > 0 || report.failed.length > 0 || serviceWork) {
      this.d.log(JSON.stringify({ level: report.failed.length ? 'error' : 'info', msg: 'scheduled jobs', ...report }));
    }
    return report;
  }

  private who(job: JobName, runId: string, k: DueKey) {
    return { requestId: `job-${runId}`, domainId: k.domainId, userId: 'system', accessKey: '', sourceIp: '', operation: `scheduler/${job}` };
  }
}
