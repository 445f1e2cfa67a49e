/**
 * Dedicated HSM instances (issue 14; our API at `/v1/{project_id}/dew/hsms`, in the reference's
 * style): create, list, show, rename, freeze, unfreeze, delete and the token details, with the
 * states creating → running → frozen / deleting run as asynchronous jobs.
 *
 * An instance is one HSM partition. `software`: a partition of dew's software HSM with its own
 * root key, wrapped under the master key. `pkcs11`: a token of the operator's PKCS#11 library,
 * initialised for the instance with random PINs (kept sealed under the master key), its root key
 * and every key of its keystore generated inside the token. The specification never changes
 * (FAQ 4.8). Privileged operations need the instance admin credential (the "UKey") given once at
 * creation, in addition to the caller's signature; dew keeps only its hash.
 */
import { randomUUID } from 'node:crypto';
import { hsmErrors } from '../../errors.js';
import type { Hsm } from '../../hsm/hsm.js';
import type { HsmJobRow, HsmRepo, HsmRow } from '../../store/hsm-repo.js';
import type { Caller } from '../caller.js';
import { checkCredential, newCredential } from './credential.js';
import { pinContext, type HsmRegistry } from './registry.js';
import type { TokenBackend } from './token-backend.js';

export const HSM_SPECIFICATIONS = ['software', 'pkcs11'] as const;
export type HsmSpecification = (typeof HSM_SPECIFICATIONS)[number];

/** Instances a project may hold. */
export const HSM_QUOTA = 10;

/** A CREATING or DELETING instance whose job has made no progress for this long was interrupted (its daemon stopped). */
const INTERRUPTED_AFTER_MS = 10 * 60_000;

export interface CreateHsm {
  name: string;
  specification: HsmSpecification;
  description?: string;
}

export interface UpdateHsm {
  name?: string;
  description?: string;
  specification?: string;
}

export interface HsmServiceDeps {
  repo: HsmRepo;
  registry: HsmRegistry;
  hsm: Hsm;
  tokens?: TokenBackend;
  now: () => number;
  log: (line: string) => void;
}

type JobType = 'CREATE' | 'FREEZE' | 'UNFREEZE' | 'DELETE';

export class HsmInstanceService {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly d: HsmServiceDeps) {}

  async create(caller: Caller, input: CreateHsm): Promise<{ hsm_id: string; job_id: string; admin_credential: string }> {
    if (input.specification === 'pkcs11' && !this.d.tokens) throw hsmErrors.noLibrary();
    if ((await this.d.repo.countInstances(caller.projectId)) >= HSM_QUOTA) throw hsmErrors.quota(HSM_QUOTA);
    const now = this.d.now();
    const hsmId = randomUUID();
    const { credential, hash } = newCredential();
    const row: HsmRow = {
      hsmId,
      projectId: caller.projectId,
      domainId: caller.domainId,
      name: input.name,
      description: input.description ?? '',
      specification: input.specification,
      status: 'CREATING',
      partitionId: `hsm-${hsmId}`,
      credentialHash: hash,
      token: null,
      tokenSealed: null,
      createTime: now,
      updateTime: now,
    };
    const job = this.newJob(caller, hsmId, 'CREATE', 'RUNNING');
    if (!(await this.d.repo.insertInstance(row, job))) throw hsmErrors.nameExists(input.name);
    await this.d.registry.putInstance(row);
    this.track(this.runCreate(row, job.jobId));
    return { hsm_id: hsmId, job_id: job.jobId, admin_credential: credential };
  }

  private async runCreate(row: HsmRow, jobId: string): Promise<void> {
    try {
      const patch: Partial<HsmRow> = { status: 'RUNNING' };
      if (row.specification === 'pkcs11') {
        const tokens = this.d.tokens;
        if (!tokens) throw new Error('no PKCS#11 library is configured');
        const { token, pins } = await tokens.provision(row.hsmId);
        patch.token = JSON.stringify(token);
        patch.tokenSealed = this.d.hsm.sealSecret(Buffer.from(JSON.stringify(pins)), pinContext(row.hsmId));
      }
      if (!(await this.d.repo.updateInstance(row.hsmId, patch, ['CREATING']))) throw new Error('the instance changed while it was being created');
      // The partition opens from the stored row: a software root is made and sealed on first open.
      await this.d.registry.putInstance({ ...row, ...patch, updateTime: this.d.now() });
      await this.d.repo.finishJob(jobId, 'SUCCESS', null);
    } catch (err) {
      const reason = `creating the instance failed: ${(err as Error).message}`.slice(0, 512);
      this.d.log(JSON.stringify({ level: 'warn', msg: 'HSM instance creation failed', hsm_id: row.hsmId, error: (err as Error).message }));
      await this.d.repo.updateInstance(row.hsmId, { status: 'ERROR' }, ['CREATING']).catch(() => false);
      await this.d.repo.finishJob(jobId, 'FAIL', reason).catch(() => undefined);
      const now = await this.d.repo.instance(row.hsmId).catch(() => undefined);
      if (now) await this.d.registry.putInstance(now);
    }
  }

  /** One page of the project's instances. */
  async list(caller: Caller, limit: number, offset: number): Promise<{ total: number; hsms: Record<string, unknown>[] }> {
    const { rows, total } = await this.d.repo.listInstances(caller.projectId, limit, offset);
    const hsms: Record<string, unknown>[] = [];
    for (const r of rows) hsms.push(await this.view(r));
    return { total, hsms };
  }

  async show(caller: Caller, hsmId: string): Promise<{ hsm: Record<string, unknown> }> {
    return { hsm: await this.view(await this.own(caller, hsmId)) };
  }

  /** Renames or re-describes; a different specification is refused (FAQ 4.8: the type never changes). */
  async update(caller: Caller, hsmId: string, input: UpdateHsm): Promise<{ hsm: Record<string, unknown> }> {
    const row = await this.own(caller, hsmId);
    if (input.specification !== undefined && input.specification !== row.specification) throw hsmErrors.specification(row.specification, input.specification);
    const patch: Partial<HsmRow> = {};
    if (input.name !== undefined && input.name !== row.name) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (Object.keys(patch).length > 0) {
      const live = ['CREATING', 'RUNNING', 'FROZEN', 'ERROR'];
      if (!(await this.d.repo.updateInstance(hsmId, patch, live))) {
        const now = await this.own(caller, hsmId);
        if (patch.name !== undefined && live.includes(now.status)) throw hsmErrors.nameExists(patch.name);
        throw hsmErrors.state(`The HSM instance is ${now.status}: it cannot be changed now.`);
      }
    }
    const now = await this.own(caller, hsmId);
    await this.d.registry.putInstance(now);
    return { hsm: await this.view(now) };
  }

  async freeze(caller: Caller, hsmId: string, credential: string | undefined): Promise<{ job_id: string }> {
    return this.transition(caller, hsmId, credential, 'FREEZE', 'RUNNING', 'FROZEN');
  }

  async unfreeze(caller: Caller, hsmId: string, credential: string | undefined): Promise<{ job_id: string }> {
    return this.transition(caller, hsmId, credential, 'UNFREEZE', 'FROZEN', 'RUNNING');
  }

  private async transition(caller: Caller, hsmId: string, credential: string | undefined, type: JobType, from: string, to: string): Promise<{ job_id: string }> {
    const row = await this.privileged(caller, hsmId, credential);
    if (row.status !== from) throw hsmErrors.state(`The HSM instance is ${row.status}: only a ${from} instance can be ${type === 'FREEZE' ? 'frozen' : 'unfrozen'}.`);
    const job = this.newJob(caller, hsmId, type, 'SUCCESS');
    job.endTime = job.beginTime;
    if (!(await this.d.repo.updateInstance(hsmId, { status: to }, [from], job))) {
      const now = await this.own(caller, hsmId);
      throw hsmErrors.state(`The HSM instance is ${now.status}: only a ${from} instance can be ${type === 'FREEZE' ? 'frozen' : 'unfrozen'}.`);
    }
    await this.d.registry.putInstance({ ...row, status: to, updateTime: this.d.now() });
    return { job_id: job.jobId };
  }

  /** Deletes an instance without a keystore: its partition root (software) or token objects (pkcs11) are destroyed, so its keys are gone for good. */
  async delete(caller: Caller, hsmId: string, credential: string | undefined): Promise<{ job_id: string }> {
    const row = await this.privileged(caller, hsmId, credential);
    const from = ['RUNNING', 'FROZEN', 'ERROR'];
    if (!from.includes(row.status)) throw hsmErrors.state(`The HSM instance is ${row.status}: it cannot be deleted now.`);
    const blocking = async () => {
      const ks = await this.d.repo.keystoreOfInstance(hsmId);
      if (ks) throw hsmErrors.state(`The HSM instance holds keystore ${ks.keystoreId} (${JSON.stringify(ks.keystoreAlias)}): delete the keystore first.`);
    };
    await blocking();
    const job = this.newJob(caller, hsmId, 'DELETE', 'RUNNING');
    if (!(await this.d.repo.updateInstance(hsmId, { status: 'DELETING' }, from, job))) {
      const now = await this.own(caller, hsmId);
      throw hsmErrors.state(`The HSM instance is ${now.status}: it cannot be deleted now.`);
    }
    // A keystore made on another daemon between the check and the status change: put it back.
    try {
      await blocking();
    } catch (err) {
      await this.d.repo.updateInstance(hsmId, { status: row.status }, ['DELETING']);
      await this.d.repo.finishJob(job.jobId, 'FAIL', (err as Error).message);
      throw err;
    }
    this.track(this.runDelete({ ...row, status: 'DELETING' }, job.jobId));
    return { job_id: job.jobId };
  }

  private async runDelete(row: HsmRow, jobId: string): Promise<void> {
    try {
      const token = this.d.registry.tokenOf(row);
      await this.d.registry.removeInstance(row.hsmId);
      if (row.specification === 'pkcs11' && token) {
        if (!this.d.tokens) throw new Error('no PKCS#11 library is configured to destroy the token with');
        await this.d.tokens.destroy(token.token, token.pins);
      }
      await this.d.repo.deleteInstance(row.hsmId, row.partitionId);
      await this.d.repo.finishJob(jobId, 'SUCCESS', null);
    } catch (err) {
      this.d.log(JSON.stringify({ level: 'warn', msg: 'HSM instance deletion failed', hsm_id: row.hsmId, error: (err as Error).message }));
      await this.d.repo.finishJob(jobId, 'FAIL', `deleting the instance failed: ${(err as Error).message}`.slice(0, 512)).catch(() => undefined);
    }
  }

  /** Where the instance's token is and the user PIN to reach it with one's own PKCS#11 software (pkcs11 instances, credential holder only). */
  async token(caller: Caller, hsmId: string, credential: string | undefined): Promise<{ token: Record<string, string> }> {
    const row = await this.privileged(caller, hsmId, credential);
    if (row.specification !== 'pkcs11') throw hsmErrors.invalid('hsm_id', 'a software instance has no PKCS#11 token: only pkcs11 instances do');
    const t = this.d.registry.tokenOf(row);
    if (!t) throw hsmErrors.state(`The HSM instance is ${row.status}: its token is not ready.`);
    const slotId = this.d.tokens ? this.d.tokens.slotOf(t.token) : t.token.slotId;
    return { token: { library: t.token.library, slot_id: slotId, token_label: t.token.tokenLabel, token_serial: t.token.tokenSerial, user_pin: t.pins.userPin } };
  }

  async job(caller: Caller, jobId: string): Promise<{ job: Record<string, unknown> }> {
    const j = await this.d.repo.job(jobId);
    if (!j || j.projectId !== caller.projectId) throw hsmErrors.jobNotFound(jobId);
    return {
      job: { job_id: j.jobId, hsm_id: j.hsmId, job_type: j.jobType, status: j.status, begin_time: j.beginTime, end_time: j.endTime ?? null, fail_reason: j.failReason ?? null },
    };
  }

  /** At start: finishes what a stopped daemon left half done (a creation is failed, a deletion completed). */
  async recover(): Promise<void> {
    const stale = this.d.now() - INTERRUPTED_AFTER_MS;
    for (const row of await this.d.repo.allInstances()) {
      if (row.updateTime > stale) continue;
      if (row.status === 'CREATING') {
        if (await this.d.repo.updateInstance(row.hsmId, { status: 'ERROR' }, ['CREATING'])) await this.d.registry.putInstance({ ...row, status: 'ERROR' });
      } else if (row.status === 'DELETING') {
        await this.runDelete(row, randomUUID());
      }
    }
  }

  /** Resolves when every job this daemon started has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private newJob(caller: Caller, hsmId: string, jobType: JobType, status: 'RUNNING' | 'SUCCESS'): HsmJobRow {
    return { jobId: randomUUID(), projectId: caller.projectId, hsmId, jobType, status, failReason: null, beginTime: this.d.now(), endTime: null };
  }

  /** The caller's project's instance (another project's is not found). */
  private async own(caller: Caller, hsmId: string): Promise<HsmRow> {
    const row = await this.d.repo.instance(hsmId);
    if (!row || row.projectId !== caller.projectId) throw hsmErrors.notFound(hsmId);
    return row;
  }

  private async privileged(caller: Caller, hsmId: string, credential: string | undefined): Promise<HsmRow> {
    const row = await this.own(caller, hsmId);
    const check = checkCredential(credential, row.credentialHash);
    if (check !== 'ok') throw hsmErrors.credential(check === 'missing' ? 'missing' : 'not this instance\'s');
    return row;
  }

  private async view(r: HsmRow): Promise<Record<string, unknown>> {
    const ks = this.d.registry.keystoreOf(r.hsmId) ?? (await this.d.repo.keystoreOfInstance(r.hsmId));
    const keyCount = ks ? (await this.d.repo.keysIn(ks.keystoreId)).length : 0;
    return {
      hsm_id: r.hsmId,
      name: r.name,
      description: r.description,
      specification: r.specification,
      status: r.status,
      keystore_id: ks?.keystoreId ?? '',
      key_count: keyCount,
      create_time: r.createTime,
      update_time: r.updateTime,
    };
  }
}
