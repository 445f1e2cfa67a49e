/**
 * Secret versions and stages (reference 5): versions `v1, v2, …` in creation order; a new version
 * takes SYSCURRENT unless `version_stages` says otherwise and the previous holder becomes
 * SYSPREVIOUS; a stage lives on exactly one version and moving it is one call; SYSCURRENT and
 * SYSPREVIOUS cannot be deleted (CSMS.0105); at most 12 stages and 20 versions (the oldest
 * version with no stage is pruned); a version past its `expire_time` cannot be read. `latest` is
 * the version that holds SYSCURRENT.
 */
import type { Caller } from '../caller.js';
import type { CsmsRepo, SecretRow, VersionRow } from '../../store/csms-repo.js';
import { SYSCURRENT, SYSPREVIOUS } from '../../store/csms-repo.js';
import type { SecretVault } from './secret-vault.js';
import type { EventSink } from './event-sink.js';
import type { SecretService } from './secrets.js';
import { subscriptionsOf } from './secrets.js';
import { csmsErrors } from '../../errors.js';
import { MAX_STAGES, expireTimeMs, valueFields, valueOf, versionId, versionMetadata, versionNumber, type ValueKind } from './secret-fields.js';

export interface AddVersion {
  secret_string?: string;
  secret_binary?: string;
  version_stages?: string[];
  expire_time?: number;
}

const STAGE_RE = /^[a-zA-Z0-9_-]{1,64}$/;

export class VersionService {
  constructor(
    private readonly repo: CsmsRepo,
    private readonly secrets: SecretService,
    private readonly vault: SecretVault,
    private readonly events: EventSink,
    private readonly now: () => number,
  ) {}

  /** POST /secrets/{name}/versions. */
  async add(caller: Caller, name: string, body: AddVersion): Promise<Record<string, unknown>> {
    const value = valueOf(body, true)!;
    try {
      const secret = await this.enabled(caller, name);
      const expire = body.expire_time === undefined ? null : expireTimeMs(body.expire_time, this.now());
      return { version_metadata: await this.addValue(caller, secret, value.bytes, value.kind, body.version_stages ?? [SYSCURRENT], expire) };
    } finally {
      value.bytes.fill(0);
    }
  }

  /**
   * Seals `bytes` as the secret's next version holding `stages` and raises SECRET_VERSION_CREATED;
   * the new version's metadata. The version number is reserved first (two writers never share one),
   * then the value is sealed with that number bound in, then version and stages commit at once.
   */
  async addValue(caller: Caller, secret: SecretRow, bytes: Buffer, kind: ValueKind, stages: string[], expire: number | null): Promise<Record<string, unknown>> {
    await this.checkStages(secret, stages);
    const n = await this.repo.reserveVersion(secret.secretId, this.now());
    if (n === undefined) throw await this.whyNotEnabled(caller, secret.name);
    let sealed;
    try {
      sealed = await this.vault.seal(caller, secret.kmsKeyId, secret.secretId, n, bytes);
    } catch (e) {
      // The number goes back when nobody took a later one meanwhile: a refused seal leaves no gap.
      await this.repo.releaseVersion(secret.secretId, n);
      throw e;
    }
    const row: VersionRow = { secretId: secret.secretId, version: n, projectId: secret.projectId, kmsKeyId: sealed.kmsKeyId, sealed: sealed.text, valueKind: kind, createTime: this.now(), expireTime: expire, expiredNotified: 0 };
    if (!(await this.repo.commitVersion(row, stages))) throw csmsErrors.secretNotFound(secret.name);
    const held = (await this.repo.stagesByVersion(secret.secretId, [n])).get(n) ?? [];
    await this.events.raise(secret.projectId, { name: secret.name, eventSubscriptions: subscriptionsOf(secret) }, 'SECRET_VERSION_CREATED', { version_id: versionId(n), version_stages: held });
    return versionMetadata(row, secret.name, held);
  }

  /** GET /secrets/{name}/versions: metadata only, newest first. */
  async list(caller: Caller, name: string, limit: number, marker: string | undefined): Promise<Record<string, unknown>> {
    const secret = await this.secrets.get(caller, name);
    const rows = await this.repo.listVersions(secret.secretId, marker === undefined ? undefined : versionNumber(marker), limit);
    const page = rows.slice(0, limit);
    const stages = await this.repo.stagesByVersion(secret.secretId);
    return {
      version_metadatas: page.map((v) => versionMetadata(v, name, stages.get(v.version) ?? [])),
      page_info: { next_marker: rows.length > limit ? versionId(page[page.length - 1].version) : null, previous_marker: marker ?? null, current_count: page.length },
    };
  }

  /** GET /secrets/{name}/versions/{version_id}: the value, for an ENABLED secret and an unexpired version. */
  async show(caller: Caller, name: string, id: string): Promise<Record<string, unknown>> {
    const secret = await this.enabled(caller, name);
    const v = await this.versionOf(secret, id);
    if (v.expireTime !== null && v.expireTime <= this.now()) throw csmsErrors.versionExpired(name, versionId(v.version));
    const value = await this.vault.open(caller, v.sealed, secret.secretId, v.version);
    try {
      const stages = (await this.repo.stagesByVersion(secret.secretId, [v.version])).get(v.version) ?? [];
      return { version: { version_metadata: versionMetadata(v, name, stages), ...valueFields(value, v.valueKind) } };
    } finally {
      value.fill(0);
    }
  }

  /** PUT /secrets/{name}/versions/{version_id}: a new expire_time. */
  async update(caller: Caller, name: string, id: string, expire: unknown): Promise<Record<string, unknown>> {
    const secret = await this.enabled(caller, name);
    const v = await this.versionOf(secret, id);
    const expireTime = expireTimeMs(expire, this.now());
    if (!(await this.repo.setExpireTime(secret.secretId, v.version, expireTime, this.now()))) throw csmsErrors.notFound(`version ${id} of secret ${JSON.stringify(name)}`);
    const stages = (await this.repo.stagesByVersion(secret.secretId, [v.version])).get(v.version) ?? [];
    return { version_metadata: versionMetadata({ ...v, expireTime }, name, stages) };
  }

  /** PUT /secrets/{name}/stages/{stage}: puts the stage on a version (moving it). */
  async putStage(caller: Caller, name: string, stage: string, id: string): Promise<Record<string, unknown>> {
    if (!STAGE_RE.test(stage)) throw csmsErrors.invalid('stage_name', '1 to 64 letters, digits, _ or -');
    const secret = await this.secrets.getChangeable(caller, name);
    const v = await this.versionOf(secret, id);
    await this.checkStages(secret, [stage]);
    const now = this.now();
    if (!(await this.repo.moveStage(secret.secretId, stage, v.version, now))) throw csmsErrors.notFound(`version ${id} of secret ${JSON.stringify(name)}`);
    return { stage: { name: stage, update_time: Math.floor(now / 1000), secret_name: name, version_id: versionId(v.version) } };
  }

  async showStage(caller: Caller, name: string, stage: string): Promise<Record<string, unknown>> {
    const secret = await this.secrets.get(caller, name);
    const s = await this.repo.stage(secret.secretId, stage);
    if (!s) throw csmsErrors.notFound(`stage ${JSON.stringify(stage)} of secret ${JSON.stringify(name)}`);
    return { stage: { name: s.name, update_time: Math.floor(s.updateTime / 1000), secret_name: name, version_id: versionId(s.version) } };
  }

  async deleteStage(caller: Caller, name: string, stage: string): Promise<void> {
    if (stage === SYSCURRENT || stage === SYSPREVIOUS) throw csmsErrors.systemStage(stage);
    const secret = await this.secrets.getChangeable(caller, name);
    if (!(await this.repo.deleteStage(secret.secretId, stage, this.now()))) throw csmsErrors.notFound(`stage ${JSON.stringify(stage)} of secret ${JSON.stringify(name)}`);
  }

  /** The version `id` names (`latest`: the SYSCURRENT holder). */
  async versionOf(secret: SecretRow, id: string): Promise<VersionRow> {
    let n: number;
    if (id === 'latest') {
      const current = await this.repo.stage(secret.secretId, SYSCURRENT);
      if (!current) throw csmsErrors.notFound(`a current version of secret ${JSON.stringify(secret.name)}`);
      n = current.version;
    } else n = versionNumber(id);
    const v = await this.repo.version(secret.secretId, n);
    if (!v) throw csmsErrors.notFound(`version ${id} of secret ${JSON.stringify(secret.name)}`);
    return v;
  }

  /** The SYSCURRENT holder's id and stages; undefined when no version holds it. */
  async current(secret: SecretRow): Promise<{ id: string; stages: string[]; expireTime: number | null } | undefined> {
    const s = await this.repo.stage(secret.secretId, SYSCURRENT);
    const v = s && (await this.repo.version(secret.secretId, s.version));
    if (!v) return undefined;
    return { id: versionId(v.version), stages: (await this.repo.stagesByVersion(secret.secretId, [v.version])).get(v.version) ?? [], expireTime: v.expireTime };
  }

  /** The scheduler: raises SECRET_VERSION_EXPIRED once for each version whose expiry passed. */
  async reportExpired(): Promise<string[]> {
    const done: string[] = [];
    for (const v of await this.repo.newlyExpired(this.now())) {
      if (!(await this.repo.markExpiryNotified(v.secretId, v.version))) continue;
      done.push(`${v.name}/${versionId(v.version)}`);
      await this.events.raise(v.projectId, { name: v.name, eventSubscriptions: JSON.parse(v.eventSubscriptions) as string[] }, 'SECRET_VERSION_EXPIRED', { version_id: versionId(v.version), expire_time: Math.floor(v.expireTime! / 1000) });
    }
    return done;
  }

  private async enabled(caller: Caller, name: string): Promise<SecretRow> {
    const secret = await this.secrets.get(caller, name);
    if (secret.state === 'PENDING_DELETE') throw csmsErrors.pendingDelete(name);
    if (secret.state !== 'ENABLED') throw csmsErrors.notEnabled(name, secret.state);
    return secret;
  }

  private async whyNotEnabled(caller: Caller, name: string): Promise<Error> {
    try {
      await this.enabled(caller, name);
      return csmsErrors.busy('the secret changed while a version was added');
    } catch (e) {
      return e as Error;
    }
  }

  /** Stage names are valid and unique, and the secret will not carry more than MAX_STAGES. */
  private async checkStages(secret: SecretRow, stages: string[]): Promise<void> {
    if (stages.length < 1 || stages.length > MAX_STAGES) throw csmsErrors.invalid('version_stages', `1 to ${MAX_STAGES} stages`);
    for (const s of stages) if (!STAGE_RE.test(s)) throw csmsErrors.invalid('version_stages', `${JSON.stringify(s.slice(0, 64))}: 1 to 64 letters, digits, _ or -`);
    if (new Set(stages).size !== stages.length) throw csmsErrors.invalid('version_stages', 'a stage is named twice');
    const held = new Set((await this.repo.stages(secret.secretId)).map((s) => s.name));
    // A new SYSCURRENT holder makes SYSPREVIOUS appear too.
    const after = new Set([...held, ...stages, ...(stages.includes(SYSCURRENT) && held.has(SYSCURRENT) ? [SYSPREVIOUS] : [])]);
    if (after.size > MAX_STAGES) throw csmsErrors.tooManyStages(MAX_STAGES);
  }
}
