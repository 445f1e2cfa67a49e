/** dew_kms_alias: an extra alias for a key (POST/DELETE /v1.0/{project_id}/kms/aliases); both arguments force a new alias. */
import { loadResourceSchema } from './load-schema.js';
import { str, type ResourceType } from './resource-type.js';

/** Object id as huaweicloud_kms_alias: `<key_id>?<alias>`. */
function splitId(id: string): { keyId: string; alias: string } {
  const i = id.indexOf('?');
  return i < 0 ? { keyId: '', alias: id } : { keyId: id.slice(0, i), alias: id.slice(i + 1) };
}

export const dewKmsAlias: ResourceType = {
  type: 'dew_kms_alias',
  schema: loadResourceSchema('dew_kms_alias'),
  forceNew: ['key_id', 'alias'],
  sensitive: [],
  optionalComputed: [],
  writeOnly: [],

  fromLive(live) {
    if (!live.alias) return null;
    return { id: `${str(live.key_id)}?${str(live.alias)}`, key_id: str(live.key_id), alias: str(live.alias), alias_urn: str(live.alias_urn) };
  },

  async read(api, objectId) {
    const { keyId, alias } = splitId(objectId);
    const res = await api.request('GET', '/v1.0/{project_id}/kms/aliases', undefined, keyId ? { key_id: keyId, limit: '100' } : { limit: '100' });
    const body = res.body as { aliases?: Record<string, unknown>[] } | { aliases?: Record<string, unknown>[] }[];
    const list = (Array.isArray(body) ? body.flatMap((b) => b.aliases ?? []) : body.aliases ?? []) as Record<string, unknown>[];
    return list.find((a) => a.alias === alias) ?? null;
  },

  async create(api, a) {
    const res = await api.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: a.key_id, alias: a.alias });
    const b = (res.body ?? {}) as Record<string, unknown>;
    const id = `${str(a.key_id)}?${str(a.alias)}`;
    return { objectId: id, attributes: { id, key_id: a.key_id, alias: a.alias, alias_urn: str(b.alias_urn) } };
  },

  async update() {
    throw new Error('dew_kms_alias has no in-place update (every argument forces a new alias)');
  },

  async delete(api, objectId, a) {
    const { keyId, alias } = splitId(objectId);
    // the alias may have been re-pointed outside dew: the daemon deletes it only under the key it names now
    const current = typeof a.key_id === 'string' && a.key_id ? a.key_id : keyId;
    await api.request('DELETE', '/v1.0/{project_id}/kms/aliases', { key_id: current, aliases: [alias || a.alias] });
  },
};
Object.freeze(dewKmsAlias);
