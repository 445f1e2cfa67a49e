/**
 * Reading a secret for dew_csms_secret (reference 5): the secret, its versions' metadata and its tags, as
 * one live object, the shape the daemon's stack live view gives too:
 * `{ secret: Secret, version_metadatas: [VersionMetadata…], tags: [{key, value}…] }`. No value is in it;
 * only `dew import` adds the digest of the latest version's value (value_digest, value_kind).
 */
import { apiErrorStatus, type DewApi } from './api.js';
import { valueDigest } from './value-digest.js';

export const SECRETS = '/v1/{project_id}/secrets';
export const secretPath = (name: string): string => `${SECRETS}/${encodeURIComponent(name)}`;

type Obj = Record<string, unknown>;

/** A dew_csms_secret object id is `<secret_id>/<name>` (huaweicloud_csms_secret's id); a bare name works too. */
export function splitSecretId(objectId: string): { secretId: string; name: string } {
  const i = objectId.lastIndexOf('/');
  return i < 0 ? { secretId: '', name: objectId } : { secretId: objectId.slice(0, i), name: objectId.slice(i + 1) };
}

/** The number of a version id (`v12` → 12), for ordering; -1 for anything else. */
export function versionNumber(id: unknown): number {
  const m = typeof id === 'string' ? /^v(\d{1,10})$/.exec(id) : null;
  return m ? Number(m[1]) : -1;
}

/** The newest version (by number: versions are v1, v2, … in creation order), or undefined when none. */
export function latestVersion(versions: readonly Obj[]): Obj | undefined {
  let best: Obj | undefined;
  for (const v of versions) if (!best || versionNumber(v.id) > versionNumber(best.id)) best = v;
  return best;
}

async function getOrNull(api: DewApi, path: string, query?: Record<string, string>): Promise<Obj | null> {
  try {
    return ((await api.request('GET', path, undefined, query)).body ?? {}) as Obj;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

/** Every version's metadata, a page of 50 at a time. */
async function allVersions(api: DewApi, name: string): Promise<Obj[]> {
  const out: Obj[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 100; page++) {
    const body = await getOrNull(api, `${secretPath(name)}/versions`, { limit: '50', ...(marker ? { marker } : {}) });
    if (!body) break;
    out.push(...((body.version_metadatas ?? []) as Obj[]));
    const next = (body.page_info as Obj | undefined)?.next_marker;
    if (typeof next !== 'string' || next === '' || next === marker) break;
    marker = next;
  }
  return out;
}

/** The live object of the secret `name` (null when there is none, or `secretId` names another one). */
export async function readSecret(api: DewApi, name: string, secretId = ''): Promise<Obj | null> {
  const secret = (await getOrNull(api, secretPath(name)))?.secret as Obj | undefined;
  if (!secret || (secretId !== '' && secret.id !== secretId)) return null;
  const tags = typeof secret.id === 'string' ? ((await getOrNull(api, `/v1/{project_id}/csms/${encodeURIComponent(secret.id)}/tags`))?.tags ?? []) : [];
  return { secret, version_metadatas: await allVersions(api, name), tags };
}

/**
 * The digest of the latest version's value, for `dew import`: the value is read, digested as the plan
 * digests a configured value (secret_binary as its Base64 text) and not kept. Undefined when the daemon
 * does not serve it (a disabled secret). The value itself stays in this function's locals.
 */
export async function latestValueDigest(api: DewApi, name: string): Promise<{ value_digest: string; value_kind: 'text' | 'binary' } | undefined> {
  let version: Obj | undefined;
  try {
    version = ((await api.request('GET', `${secretPath(name)}/versions/latest`)).body as { version?: Obj }).version;
  } catch (e) {
    const status = apiErrorStatus(e).status;
    if (status !== undefined && status >= 400 && status < 500) return undefined;
    throw e;
  }
  // the daemon answers canonical Base64, which is what the configuration must hold too (check())
  if (typeof version?.secret_binary === 'string') return { value_digest: valueDigest(version.secret_binary), value_kind: 'binary' };
  if (typeof version?.secret_string === 'string') return { value_digest: valueDigest(version.secret_string), value_kind: 'text' };
  return undefined;
}
