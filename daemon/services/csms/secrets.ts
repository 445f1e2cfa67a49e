/**
 * Secrets (reference 5): create with a first version, list, show, update, delete now, and
 * scheduled deletion (7–30 days) with cancel; the scheduler's `deleteDue` deletes on the day. A
 * secret's values live in its versions (services/csms/versions.ts); this service keeps the secret
 * itself and raises SECRET_VERSION_CREATED / SECRET_DELETED for its subscribers.
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../caller.js';
import type { DataPlane } from '../data-plane.js';
import type { CsmsRepo, SecretRow } from '../../store/csms-repo.js';
import { SYSCURRENT } from '../../store/csms-repo.js';
import type { SecretVault } from './secret-vault.js';
import type { EventSink } from './event-sink.js';
import { csmsErrors } from '../../errors.js';
import { rotationPeriodMs, secretEntity, valueOf, versionId, parseJsonList } from './secret-fields.js';

export const CSMS_DEFAULT_KEY = 'csms/default';
/** Secrets a project may hold (reference console limit). */
export const DEFAULT_SECRET_QUOTA = 500;

export interface CreateSecret {
  name: string;
  secret_string?: string;
  secret_binary?: string;
  kms_key_id?: string;
  description?: string;
  secret_type?: string;
  auto_rotation?: boolean;
  rotation_period?: string;
  rotation_config?: string;
  event_subscriptions?: string[];
  enterprise_project_id?: string;
  rotation_func_urn?: string;
}

export type UpdateSecret = Partial<Pick<CreateSecret, 'kms_key_id' | 'description' | 'auto_rotation' | 'rotation_period' | 'rotation_config' | 'event_subscriptions' | 'rotation_func_urn'>>;

export interface SecretServiceOptions {
  now: () => number;
  quota: number;
  /** Whether an event definition of that name exists in the project (subscriptions name one). */
  eventExists: (projectId: string, name: string) => Promise<boolean>;
  /** Checks a COMMON secret's rotation_config (the password policy its rotations generate with). */
  checkRotationConfig: (config: string) => void;
}

/** The wire `event_subscriptions` list of a row. */
export const subscriptionsOf = (r: SecretRow): string[] => parseJsonList(r.eventSubscriptions);

export class SecretService {
  constructor(
    private readonly repo: CsmsRepo,
    private readonly vault: SecretVault,
    private readonly data: DataPlane,
    private readonly events: EventSink,
    private readonly opts: SecretServiceOptions,
  ) {}

  /** The secret `name` of the caller's project (CSMS.0106 when there is none). */
  async get(caller: Caller, name: string): Promise<SecretRow> {
    const r = await this.repo.secretByName(caller.projectId, name);
    if (!r) throw csmsErrors.secretNotFound(name);
    return r;
  }

  /** The secret `name`, or undefined. */
  find(caller: Caller, name: string): Promise<SecretRow | undefined> {
    return this.repo.secretByName(caller.projectId, name);
  }

  /** By id or name (tag routes name secrets by id). */
  async getByIdOrName(caller: Caller, idOrName: string): Promise<SecretRow> {
    const r = (await this.repo.secretById(caller.projectId, idOrName)) ?? (await this.repo.secretByName(caller.projectId, idOrName));
    if (!r) throw csmsErrors.secretNotFound(idOrName);
    return r;
  }

  /** A secret that can change: not pending deletion. */
  async getChangeable(caller: Caller, name: string): Promise<SecretRow> {
    const r = await this.get(caller, name);
    if (r.state === 'PENDING_DELETE') throw csmsErrors.pendingDelete(name);
    return r;
  }

  async create(caller: Caller, body: CreateSecret): Promise<Record<string, unknown>> {
    const value = valueOf(body, true)!;
    const secretType = body.secret_type ?? 'COMMON';
    if (secretType !== 'COMMON') throw csmsErrors.invalid('secret_type', 'dew holds COMMON secrets (RDS-FG and GaussDB-FG rotate database accounts dew does not manage)');
    const rotation = this.rotationOf(body.auto_rotation ?? false, body.rotation_period, undefined);
    if (body.rotation_config !== undefined) this.opts.checkRotationConfig(body.rotation_config);
    const subscriptions = await this.checkSubscriptions(caller, body.event_subscriptions ?? []);
    if ((await this.repo.countSecrets(caller.projectId)) >= this.opts.quota) throw csmsErrors.quota('secret', this.opts.quota);
    if (await this.repo.secretByName(caller.projectId, body.name)) throw csmsErrors.exists(`The secret ${JSON.stringify(body.name)}`);

    const now = this.opts.now();
    const secretId = randomUUID();
    try {
      const sealed = await this.vault.seal(caller, body.kms_key_id ?? CSMS_DEFAULT_KEY, secretId, 1, value.bytes);
      const row: SecretRow = {
        secretId,
        projectId: caller.projectId,
        domainId: caller.domainId,
        name: body.name,
        state: 'ENABLED',
        kmsKeyId: sealed.kmsKeyId,
        description: body.description ?? '',
        secretType,
        autoRotation: rotation.auto ? 1 : 0,
        rotationPeriod: rotation.period ?? null,
        rotationConfig: body.rotation_config ?? null,
        rotationTime: null,
        nextRotationTime: rotation.auto ? now + rotation.periodMs! : null,
        eventSubscriptions: JSON.stringify(subscriptions),
        enterpriseProjectId: body.enterprise_project_id ?? '0',
        rotationFuncUrn: body.rotation_func_urn ?? null,
        scheduledDeleteTime: null,
        tags: '{}',
        nextVersion: 2,
        createTime: now,
        updateTime: now,
        revision: 1,
      };
      const version = { secretId, version: 1, projectId: caller.projectId, kmsKeyId: sealed.kmsKeyId, sealed: sealed.text, valueKind: value.kind, createTime: now, expireTime: null, expiredNotified: 0 };
      if (!(await this.repo.insertSecret(row, version, [SYSCURRENT]))) throw csmsErrors.exists(`The secret ${JSON.stringify(body.name)}`);
      await this.events.raise(caller.projectId, { name: row.name, eventSubscriptions: subscriptions }, 'SECRET_VERSION_CREATED', { version_id: versionId(1), version_stages: [SYSCURRENT] });
      return { secret: secretEntity(row) };
    } finally {
      value.bytes.fill(0);
    }
  }

  async list(caller: Caller, limit: number, marker: string | undefined, eventName: string | undefined): Promise<Record<string, unknown>> {
    // The event filter is applied to whole pages, so a page may hold fewer than `limit`; `next_marker` goes on.
    const rows = await this.repo.listSecrets(caller.projectId, marker, limit);
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const shown = eventName === undefined ? page : page.filter((r) => subscriptionsOf(r).includes(eventName));
    return {
      secrets: shown.map(secretEntity),
      page_info: { next_marker: more ? page[page.length - 1].name : null, previous_marker: marker ?? null, current_count: shown.length },
    };
  }

  async update(caller: Caller, name: string, body: UpdateSecret): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await this.getChangeable(caller, name);
      const set: Partial<SecretRow> = { updateTime: this.opts.now() };
      if (body.description !== undefined) set.description = body.description;
      if (body.kms_key_id !== undefined) set.kmsKeyId = await this.data.sealingKeyId({ ...caller, operation: 'create-datakey', grantOnly: false }, body.kms_key_id);
      if (body.rotation_config !== undefined) {
        this.opts.checkRotationConfig(body.rotation_config);
        set.rotationConfig = body.rotation_config;
      }
      if (body.rotation_func_urn !== undefined) set.rotationFuncUrn = body.rotation_func_urn;
      if (body.event_subscriptions !== undefined) set.eventSubscriptions = JSON.stringify(await this.checkSubscriptions(caller, body.event_subscriptions));
      if (body.auto_rotation !== undefined || body.rotation_period !== undefined) {
        const rotation = this.rotationOf(body.auto_rotation ?? r.autoRotation === 1, body.rotation_period, r.rotationPeriod ?? undefined);
        set.autoRotation = rotation.auto ? 1 : 0;
        set.rotationPeriod = rotation.period ?? null;
        // Turning rotation on or a new period counts from the last rotation (or now); otherwise the schedule stands.
        const now = set.updateTime!;
        const same = r.autoRotation === 1 && r.rotationPeriod === rotation.period;
        set.nextRotationTime = !rotation.auto ? null : same ? r.nextRotationTime : Math.max(now, (r.rotationTime ?? now) + rotation.periodMs!);
      }
      if (await this.repo.updateSecret(r.secretId, r.revision, set)) return { secret: secretEntity({ ...r, ...set, revision: r.revision + 1 }) };
    }
    throw csmsErrors.busy('the secret kept changing while it was updated');
  }

  /** DELETE /secrets/{name}: gone now, with every version (unrecoverable). */
  async delete(caller: Caller, name: string): Promise<void> {
    const r = await this.get(caller, name);
    if (!(await this.repo.deleteSecret(r.secretId))) throw csmsErrors.secretNotFound(name);
    await this.events.raise(r.projectId, { name: r.name, eventSubscriptions: subscriptionsOf(r) }, 'SECRET_DELETED', { secret_id: r.secretId });
  }

  async scheduleDeletion(caller: Caller, name: string, days: number): Promise<Record<string, unknown>> {
    if (!Number.isInteger(days) || days < 7 || days > 30) throw csmsErrors.invalid('recovery_window_in_days', 'between 7 and 30 days');
    const r = await this.get(caller, name);
    if (r.state === 'PENDING_DELETE') throw csmsErrors.alreadyScheduled(name);
    const now = this.opts.now();
    const set: Partial<SecretRow> = { state: 'PENDING_DELETE', scheduledDeleteTime: now + days * 86400_000, updateTime: now };
    if (!(await this.repo.updateSecret(r.secretId, r.revision, set))) throw csmsErrors.busy('the secret changed while its deletion was scheduled');
    return { secret: secretEntity({ ...r, ...set }) };
  }

  async cancelDeletion(caller: Caller, name: string): Promise<Record<string, unknown>> {
    const r = await this.get(caller, name);
    if (r.state !== 'PENDING_DELETE') throw csmsErrors.notScheduled(name);
    const set: Partial<SecretRow> = { state: 'ENABLED', scheduledDeleteTime: null, updateTime: this.opts.now() };
    if (!(await this.repo.updateSecret(r.secretId, r.revision, set))) throw csmsErrors.busy('the secret changed while its deletion was cancelled');
    return { secret: secretEntity({ ...r, ...set }) };
  }

  /** The scheduler: deletes secrets whose deletion day has come; the names it deleted. */
  async deleteDue(): Promise<string[]> {
    const done: string[] = [];
    for (const r of await this.repo.dueDeletions(this.opts.now())) {
      // Only the daemon whose delete removed the row reports it (another may have been first).
      if (!(await this.repo.deleteSecret(r.secretId, 'PENDING_DELETE'))) continue;
      done.push(r.name);
      await this.events.raise(r.projectId, { name: r.name, eventSubscriptions: subscriptionsOf(r) }, 'SECRET_DELETED', { secret_id: r.secretId, scheduled: true });
    }
    return done;
  }

  private rotationOf(auto: boolean, period: string | undefined, current: string | undefined): { auto: boolean; period?: string; periodMs?: number } {
    const p = period ?? current;
    if (auto && p === undefined) throw csmsErrors.badRequest('rotation_period is required when auto_rotation is true');
    return { auto, period: p, periodMs: p === undefined ? undefined : rotationPeriodMs(p) };
  }

  private async checkSubscriptions(caller: Caller, names: string[]): Promise<string[]> {
    if (names.length > 1) throw csmsErrors.invalid('event_subscriptions', 'a secret subscribes to at most one event');
    for (const n of names) if (!(await this.opts.eventExists(caller.projectId, n))) throw csmsErrors.notFound(`event ${JSON.stringify(n)}`);
    return names;
  }
}
