/**
 * The HSM instance API dew_hsm_instance and `dew hsm` call (issue 14; our API in the reference's style,
 * /v1/{project_id}/dew/hsms…): paths, the owner's credential header, reading an instance, waiting for
 * its asynchronous jobs, and the keys its keystore holds (read through list-keys, by keystore_id).
 */
import { apiErrorStatus, type DewApi } from './api.js';

export const HSMS = '/v1/{project_id}/dew/hsms';
export const hsmPath = (hsmId: string): string => `${HSMS}/${encodeURIComponent(hsmId)}`;
export const KEYSTORES = '/v1.0/{project_id}/keystores';
export const keystorePath = (keystoreId: string): string => `${KEYSTORES}/${encodeURIComponent(keystoreId)}`;

/** The header privileged calls (freeze, unfreeze, delete, token) carry the instance's admin credential in. */
export const CREDENTIAL_HEADER = 'X-Hsm-Credential';

export const credentialHeaders = (credential: string): Record<string, string> => ({ [CREDENTIAL_HEADER]: credential });

type Obj = Record<string, unknown>;

/** An instance as GET /hsms/{hsm_id} answers it (`hsm`), or null when there is none (deleted instances are gone). */
export async function readHsm(api: DewApi, hsmId: string): Promise<Obj | null> {
  try {
    return ((await api.request('GET', hsmPath(hsmId))).body as { hsm?: Obj } | undefined)?.hsm ?? null;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

/** A keystore as GET /keystores/{id} answers it, or null when there is none. */
export async function readKeystore(api: DewApi, keystoreId: string): Promise<Obj | null> {
  try {
    return ((await api.request('GET', keystorePath(keystoreId))).body as { keystore?: Obj } | undefined)?.keystore ?? null;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

export interface HsmJob {
  job_id: string;
  hsm_id?: string;
  job_type?: string;
  status: string;
  fail_reason?: string | null;
  [k: string]: unknown;
}

/** A job that ended FAIL: its type and reason. */
export class HsmJobFailedError extends Error {
  readonly code = 'DHSM.JOB_FAILED';
  constructor(readonly job: HsmJob) {
    super(`the ${String(job.job_type ?? '').toLowerCase() || 'HSM'} job ${job.job_id} of instance ${job.hsm_id ?? '?'} failed: ${job.fail_reason || 'no reason given'}`);
    this.name = 'HsmJobFailedError';
  }
}

export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls GET /hsms/jobs/{job_id} (100 ms, doubling to 1 s) until the job is no longer RUNNING; throws
 * HsmJobFailedError when it ended FAIL. The daemon ends every job, so there is no client-side deadline.
 */
export async function waitForHsmJob(api: DewApi, jobId: string, sleep: Sleep = realSleep): Promise<HsmJob> {
  if (typeof jobId !== 'string' || jobId === '') throw new TypeError('waitForHsmJob: jobId must be a non-empty string');
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const job = ((await api.request('GET', `${HSMS}/jobs/${encodeURIComponent(jobId)}`)).body as { job?: HsmJob } | undefined)?.job;
    if (!job) throw new Error(`the daemon answered GET ${HSMS}/jobs/${jobId} without a job`);
    if (job.status === 'FAIL') throw new HsmJobFailedError(job);
    if (job.status !== 'RUNNING') return job;
    await sleep(delay);
  }
}

export interface HeldKey {
  key_id: string;
  key_alias: string;
  key_state: string;
  /** Epoch milliseconds as the KMS reports them ("" when not pending deletion). */
  scheduled_deletion_date?: string;
}

/** An epoch-milliseconds time the daemon gives as a number or a numeric string; null when there is none. */
export function epochMs(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** The keys of a keystore: list-keys a page of 1000 at a time, those whose keystore_id is it. */
export async function keysOfKeystore(api: DewApi, keystoreId: string): Promise<HeldKey[]> {
  if (!keystoreId) return [];
  const out: HeldKey[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const body = (await api.kms('list-keys', { key_spec: 'ALL', limit: '1000', ...(marker ? { marker } : {}) })) as { key_details?: Obj[]; next_marker?: unknown; truncated?: unknown };
    for (const k of body.key_details ?? []) if (k.keystore_id === keystoreId) out.push({ key_id: String(k.key_id), key_alias: String(k.key_alias ?? ''), key_state: String(k.key_state ?? ''), scheduled_deletion_date: String(k.scheduled_deletion_date ?? '') });
    const next = body.next_marker === undefined || body.next_marker === null ? '' : String(body.next_marker);
    if (body.truncated !== 'true' || next === '' || next === marker) break;
    marker = next;
  }
  return out;
}

/** `id (alias "a"), id2 (alias "b", pending deletion until 2026-12-09T10:00:00Z)`: keys as an error message names them. */
export function describeKeys(keys: readonly HeldKey[]): string {
  const pending = (k: HeldKey): string => {
    if (k.key_state !== '4') return '';
    const at = epochMs(k.scheduled_deletion_date);
    return at === null ? 'pending deletion' : `pending deletion until ${new Date(at).toISOString().replace('.000Z', 'Z')}`;
  };
  return keys.map((k) => `${k.key_id} (${[k.key_alias ? `alias "${k.key_alias}"` : '', pending(k)].filter(Boolean).join(', ') || 'no alias'})`).join(', ');
}
