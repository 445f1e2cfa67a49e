/**
 * Secret rotation: `rotate` on demand and the scheduler's due rotations make a new version from the
 * secret's generator (a random password by the policy in its `rotation_config`) that takes
 * SYSCURRENT, record a task (reference `csms/tasks`) and raise SECRET_ROTATED. A scheduled rotation
 * is claimed by a compare-and-set on `next_rotation_time`, so across daemons each due time rotates
 * exactly once. A rotation that fails leaves the current version untouched, records a FAILED task
 * with the reason and raises SECRET_ROTATED_FAILED.
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../caller.js';
import type { CsmsRepo, SecretRow, TaskRow } from '../../store/csms-repo.js';
import { SYSCURRENT } from '../../store/csms-repo.js';
import type { SecretService } from './secrets.js';
import { subscriptionsOf } from './secrets.js';
import type { VersionService } from './versions.js';
import type { EventSink } from './event-sink.js';
import { DewError, csmsErrors } from '../../errors.js';
import { rotationPeriodMs } from './secret-fields.js';

/** After a failed scheduled rotation the next try comes at most this long after (sooner when the period is short). */
const RETRY_AFTER_FAILURE_MS = 3600_000;

export interface RotationDeps {
  repo: CsmsRepo;
  secrets: SecretService;
  versions: VersionService;
  events: EventSink;
  now: () => number;
  /** A new value from the secret's rotation_config (the password policy; null: the default policy). */
  generate: (rotationConfig: string | null) => string;
}

export interface RotationReport {
  rotated: string[];
  failed: { secret_name: string; error: string }[];
}

/** The caller a scheduled rotation acts as: the service itself, in the secret's project. */
function systemCaller(r: SecretRow): Caller {
  return { domainId: r.domainId, projectId: r.projectId, userId: 'system', accessKey: '', roles: [], sourceIp: '', operation: 'rotate-secret' };
}

export class SecretRotation {
  constructor(private readonly d: RotationDeps) {}

  /** POST /secrets/{name}/rotate: the new version's id and the task's. */
  async rotate(caller: Caller, name: string): Promise<Record<string, unknown>> {
    const secret = await this.d.secrets.getChangeable(caller, name);
    if (secret.state !== 'ENABLED') throw csmsErrors.notEnabled(name, secret.state);
    const { taskId, versionId, error } = await this.run(caller, secret, 'ROTATE');
    if (error) throw withTask(error, taskId);
    return { version_id: versionId, secret_name: name, rotation_task_id: taskId };
  }

  /** The scheduler: every due secret is claimed, then rotated by the daemon that won the claim. */
  async rotateDue(): Promise<RotationReport> {
    const report: RotationReport = { rotated: [], failed: [] };
    for (const r of await this.d.repo.dueRotations(this.d.now())) {
      const now = this.d.now();
      const period = r.rotationPeriod ? rotationPeriodMs(r.rotationPeriod) : 0;
      if (!period || !(await this.d.repo.claimRotation(r.secretId, r.nextRotationTime!, now + period))) continue;
      const { error } = await this.run(systemCaller(r), { ...r, revision: r.revision + 1 }, 'AUTO_ROTATE');
      if (!error) {
        report.rotated.push(r.name);
        continue;
      }
      report.failed.push({ secret_name: r.name, error: `${error instanceof DewError ? `${error.code}: ` : ''}${error.message}` });
      // Try again sooner than a whole period; the claim above already moved the due time on.
      await this.d.repo.claimRotation(r.secretId, now + period, now + Math.min(period, RETRY_AFTER_FAILURE_MS));
    }
    return report;
  }

  async listTasks(caller: Caller, q: { secretName?: string; status?: string; taskId?: string }, offset: number, limit: number): Promise<Record<string, unknown>> {
    const { total, tasks } = await this.d.repo.listTasks(caller.projectId, q, offset, limit);
    return { total, tasks: tasks.map(taskEntity), next_marker: offset + tasks.length < total ? String(offset + tasks.length) : null };
  }

  private async run(caller: Caller, secret: SecretRow, operateType: 'ROTATE' | 'AUTO_ROTATE'): Promise<{ taskId: string; versionId?: string; error?: Error }> {
    const now = this.d.now();
    const task: TaskRow = {
      taskId: randomUUID(),
      projectId: secret.projectId,
      secretId: secret.secretId,
      secretName: secret.name,
      rotationFuncUrn: secret.rotationFuncUrn,
      taskStatus: 'RUNNING',
      operateType,
      taskTime: now,
      attemptNums: 1,
      taskErrorCode: null,
      taskErrorMsg: null,
    };
    await this.d.repo.insertTask(task);
    const subscribers = { name: secret.name, eventSubscriptions: subscriptionsOf(secret) };
    let value: Buffer | undefined;
    try {
      value = Buffer.from(this.d.generate(secret.rotationConfig), 'utf8');
      const meta = await this.d.versions.addValue(caller, secret, value, 'text', [SYSCURRENT], null);
      await this.markRotated(secret, now);
      await this.d.repo.updateTask(task.taskId, { taskStatus: 'SUCCESS' });
      await this.d.events.raise(secret.projectId, subscribers, 'SECRET_ROTATED', { version_id: meta.id, rotation_task_id: task.taskId });
      return { taskId: task.taskId, versionId: String(meta.id) };
    } catch (e) {
      const err = e as Error;
      const code = err instanceof DewError ? err.code : 'CSMS.0001';
      // Only the code and the service's own message: neither ever holds a value.
      const msg = err instanceof DewError ? err.message : 'the rotation failed inside the service';
      await this.d.repo.updateTask(task.taskId, { taskStatus: 'FAILED', taskErrorCode: code, taskErrorMsg: msg });
      await this.d.events.raise(secret.projectId, subscribers, 'SECRET_ROTATED_FAILED', { rotation_task_id: task.taskId, error_code: code, error_msg: msg });
      if (!(err instanceof DewError)) throw err;
      return { taskId: task.taskId, error: err };
    } finally {
      value?.fill(0);
    }
  }

  /** Records the rotation time (and the next, for automatic rotation) whatever else changed meanwhile. */
  private async markRotated(secret: SecretRow, at: number): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await this.d.repo.secretById(secret.projectId, secret.secretId);
      if (!r) return;
      const next = r.autoRotation === 1 && r.rotationPeriod ? at + rotationPeriodMs(r.rotationPeriod) : r.nextRotationTime;
      if (await this.d.repo.updateSecret(r.secretId, r.revision, { rotationTime: at, nextRotationTime: next, updateTime: at })) return;
    }
  }
}

/** The error a failed on-demand rotation answers: the cause's code and message, with the task that recorded it. */
function withTask(e: Error, taskId: string): DewError {
  const d = e as DewError;
  return new DewError(d.code, d.status, d.message, { shape: d.shape, cause: e, extra: { ...d.extra, rotation_task_id: taskId } });
}

function taskEntity(t: TaskRow): Record<string, unknown> {
  return {
    task_id: t.taskId,
    secret_name: t.secretName,
    rotation_func_urn: t.rotationFuncUrn ?? '',
    task_status: t.taskStatus,
    operate_type: t.operateType,
    task_time: Math.floor(t.taskTime / 1000),
    attempt_nums: t.attemptNums,
    task_error_code: t.taskErrorCode ?? '',
    task_error_msg: t.taskErrorMsg ?? '',
  };
}
