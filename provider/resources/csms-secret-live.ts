/**
 * Reading a secret for dew_csms_secret (reference 5) into the live object the daemon's stack live view gives
 * too (daemon/modules/csms/module.ts): the Secret's fields, `secret_id`, `status`, `tags` as a map, and the
 * current version (the one holding SYSCURRENT, which `versions/latest` reads): `latest_version`,
 * `version_stages`, `expire_time` (epoch seconds). No value is in it; only `dew import` adds the digest of
 * the current value (value_digest, value_kind).
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

async function getOrNull(api: DewApi, path: string, query?: Record<string, string>): Promise<Obj | null> {
  try {
    return ((await api.request('GET', path, undefined, query)).body ?? {}) as Obj;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

/** The metadata of version `id` (its stages, expire_time), looked up in the list a page of 50 at a time. */
async function versionMetadata(api: DewApi, name: string, id: string): Promise<Obj | undefined> {
  let marker: string | undefined;
  for (let page = 0; page < 100; page++) {
    const body = await getOrNull(api, `${secretPath(name)}/versions`, { limit: '50', ...(marker ? { marker } : {}) });
    const found = ((body?.version_metadatas ?? []) as Obj[]).find((v) => v.id === id);
    if (found || !body) return found;
    const next = (body.page_info as Obj | undefined)?.next_marker;
    if (typeof next !== 'string' || next === '' || next === marker) return undefined;
    marker = next;
  }
  return undefined;
}

/** The live object of the secret `name` (null when there is none, or `secretId` names another one). */
export async function readSecret(api: DewApi, name: string, secretId = ''): Promise<Obj | null> {
  const secret = (await getOrNull(api, secretPath(name)))?.secret as Obj | undefined;
  if (!secret || (secretId !== '' && secret.id !== secretId)) return null;
  const tags = ((await getOrNull(api, `/v1/{project_id}/csms/${encodeURIComponent(String(secret.id))}/tags`))?.tags ?? []) as Obj[];
  const current = ((await getOrNull(api, `${secretPath(name)}/stages/SYSCURRENT`))?.stage as Obj | undefined)?.version_id;
  const meta = typeof current === 'string' ? await versionMetadata(api, name, current) : undefined;
  return {
    ...secret,
    secret_id: secret.id,
    status: secret.state,
    tags: Object.fromEntries(tags.map((t) => [String(t.key), String(t.value ?? '')])),
    latest_version: typeof current === 'string' ? current : null,
    version_stages: Array.isArray(meta?.version_stages) ? meta.version_stages : [],
    expire_time: meta?.expire_time ?? null,
  };
}

/**
 * The digest of the current version's value, for `dew import`: the value is read, digested as the plan
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
