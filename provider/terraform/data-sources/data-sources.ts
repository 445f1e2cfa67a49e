/**
 * The data sources of the Terraform provider: read-only lookups whose shapes are the JSON Schemas of
 * schemas/data-sources/ (one source of truth with the resources'), each reading the daemon's API.
 */
import { loadJsonSchema } from '../load-json-schema.js';
import type { DewApi } from '../../resources/api.js';
import { apiErrorStatus } from '../../resources/api.js';
import { dewKmsKey } from '../../resources/dew-kms-key.js';
import { str, type Attributes, type ResourceSchema } from '../../resources/resource-type.js';

export interface DataSource {
  readonly type: string;
  readonly schema: ResourceSchema;
  readonly sensitive: readonly string[];
  /** Arguments the read fills in when unset (key_alias of a key found by id). */
  readonly optionalComputed: readonly string[];
  /** Problems of the configuration beyond its schema, as ResourceType.check: the known values and every configured argument, known or not. */
  check?(attrs: Attributes, present: ReadonlySet<string>): { attribute: string; message: string }[];
  read(api: DewApi, config: Attributes): Promise<Attributes>;
}

/** A data source found nothing: the message names what was looked for. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

const loadSchema = (type: string): ResourceSchema => loadJsonSchema(`data-sources/${type}`);

async function orNotFound<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (apiErrorStatus(e).status === 404) throw new NotFoundError(`${what} was not found`);
    throw e;
  }
}

const kmsKey: DataSource = {
  type: 'dew_kms_key',
  schema: loadSchema('dew_kms_key'),
  sensitive: [],
  optionalComputed: ['key_id', 'key_alias'],
  check(_attrs, present) {
    return !present.has('key_id') && !present.has('key_alias') ? [{ attribute: 'key_id', message: 'give key_id or key_alias' }] : [];
  },
  async read(api, c) {
    const ref = str(c.key_id ?? c.key_alias);
    const live = await dewKmsKey.read(api, ref);
    const attrs = live ? dewKmsKey.fromLive(live) : null;
    if (!attrs) throw new NotFoundError(`key ${JSON.stringify(ref)} was not found (or is pending deletion)`);
    if (c.key_id !== undefined && c.key_alias !== undefined && attrs.key_alias !== c.key_alias && attrs.key_id !== c.key_id)
      throw new NotFoundError(`key ${JSON.stringify(c.key_id)} is not aliased ${JSON.stringify(c.key_alias)}`);
    const { pending_days: _p, is_enabled: _e, ...rest } = attrs;
    return { ...rest, id: str(attrs.key_id) };
  },
};

const dataKey: DataSource = {
  type: 'dew_kms_data_key',
  schema: loadSchema('dew_kms_data_key'),
  sensitive: ['plain_text'],
  optionalComputed: [],
  async read(api, c) {
    const body: Record<string, unknown> = { key_id: c.key_id, datakey_length: str(c.datakey_length ?? '512') };
    // the daemon binds a data key to additional_authenticated_data (create-datakey has no encryption_context)
    if (typeof c.additional_authenticated_data === 'string') body.additional_authenticated_data = c.additional_authenticated_data;
    const r = (await orNotFound(`key ${JSON.stringify(c.key_id)}`, () => api.kms('create-datakey', body))) as Record<string, unknown>;
    return { key_id: c.key_id, datakey_length: str(c.datakey_length ?? '512'), additional_authenticated_data: c.additional_authenticated_data ?? null, id: str(r.key_id), plain_text: str(r.plain_text), cipher_text: str(r.cipher_text) };
  },
};

const publicKey: DataSource = {
  type: 'dew_kms_public_key',
  schema: loadSchema('dew_kms_public_key'),
  sensitive: [],
  optionalComputed: [],
  async read(api, c) {
    const r = (await orNotFound(`key ${JSON.stringify(c.key_id)}`, () => api.kms('get-publickey', { key_id: c.key_id }))) as Record<string, unknown>;
    const info = ((await api.kms('describe-key', { key_id: c.key_id })) as { key_info?: Record<string, unknown> }).key_info ?? {};
    return { key_id: c.key_id, id: str(info.key_id ?? r.key_id), public_key: str(r.public_key), key_algorithm: str(info.key_spec), key_usage: str(info.key_usage) };
  },
};

const secretVersion: DataSource = {
  type: 'dew_csms_secret_version',
  schema: loadSchema('dew_csms_secret_version'),
  sensitive: ['secret_text', 'secret_binary'],
  optionalComputed: [],
  check(_attrs, present) {
    return present.has('version_id') && present.has('version_stage') ? [{ attribute: 'version_stage', message: 'give version_id or version_stage, not both' }] : [];
  },
  async read(api, c) {
    const name = encodeURIComponent(str(c.secret_name));
    const base = `/v1/{project_id}/secrets/${name}`;
    let versionId = str(c.version_id ?? 'latest');
    if (c.version_stage !== undefined) {
      const stage = (await orNotFound(`stage ${JSON.stringify(c.version_stage)} of secret ${JSON.stringify(c.secret_name)}`, () => api.request('GET', `${base}/stages/${encodeURIComponent(str(c.version_stage))}`))).body as { stage?: { version_id?: string } };
      versionId = str(stage.stage?.version_id);
    }
    const body = (await orNotFound(`version ${versionId} of secret ${JSON.stringify(c.secret_name)}`, () => api.request('GET', `${base}/versions/${encodeURIComponent(versionId)}`))).body as { version?: Record<string, unknown> };
    const v = body.version ?? {};
    const meta = (v.version_metadata ?? {}) as Record<string, unknown>;
    return {
      secret_name: c.secret_name,
      version_id: c.version_id ?? null,
      version_stage: c.version_stage ?? null,
      id: `${str(c.secret_name)}/${str(meta.id)}`,
      secret_text: typeof v.secret_string === 'string' ? v.secret_string : null,
      secret_binary: typeof v.secret_binary === 'string' ? v.secret_binary : null,
      version_stages: Array.isArray(meta.version_stages) ? meta.version_stages.map(String) : [],
      created_at: typeof meta.create_time === 'number' ? meta.create_time : null,
      expire_time: typeof meta.expire_time === 'number' ? meta.expire_time : null,
      kms_key_id: str(meta.kms_key_id),
    };
  },
};

const SOURCES: ReadonlyMap<string, DataSource> = new Map([kmsKey, dataKey, publicKey, secretVersion].map((d) => [d.type, d]));

export function dataSource(type: string): DataSource | undefined {
  return SOURCES.get(type);
}

export function dataSourceNames(): string[] {
  return [...SOURCES.keys()];
}
