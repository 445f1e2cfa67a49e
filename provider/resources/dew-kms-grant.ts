/** dew_kms_grant: a grant on a key (create-grant / revoke-grant); every argument forces a new grant. */
import { loadResourceSchema } from './load-schema.js';
import { str, type ResourceType } from './resource-type.js';

/** Object id `<key_id>/<grant_id>`, the import format of huaweicloud_kms_grant. */
function splitId(id: string): { keyId: string; grantId: string } {
  const i = id.indexOf('/');
  return i < 0 ? { keyId: '', grantId: id } : { keyId: id.slice(0, i), grantId: id.slice(i + 1) };
}

export const dewKmsGrant: ResourceType = {
  type: 'dew_kms_grant',
  schema: loadResourceSchema('dew_kms_grant'),
  forceNew: ['key_id', 'grantee_principal', 'operations', 'name', 'type', 'retiring_principal'],
  sensitive: [],
  optionalComputed: ['name', 'retiring_principal'],
  writeOnly: [],

  fromLive(live) {
    if (!live.grant_id) return null;
    return {
      id: str(live.grant_id),
      key_id: str(live.key_id),
      grantee_principal: str(live.grantee_principal),
      operations: Array.isArray(live.operations) ? [...live.operations].map(String).sort() : [],
      name: str(live.name),
      type: str(live.grantee_principal_type) || 'user',
      retiring_principal: str(live.retiring_principal),
      creator: str(live.issuing_principal),
    };
  },

  async read(api, objectId) {
    const { keyId, grantId } = splitId(objectId);
    const res = (await api.kms('list-grants', { key_id: keyId, limit: '100' })) as { grants?: Record<string, unknown>[] };
    return res.grants?.find((g) => g.grant_id === grantId) ?? null;
  },

  async create(api, a) {
    const body: Record<string, unknown> = {
      key_id: a.key_id,
      grantee_principal: a.grantee_principal,
      operations: a.operations,
      grantee_principal_type: a.type ?? 'user',
    };
    if (a.name) body.name = a.name;
    if (a.retiring_principal) body.retiring_principal = a.retiring_principal;
    const res = (await api.kms('create-grant', body)) as { grant_id?: string };
    const grantId = str(res.grant_id);
    if (!grantId) throw new Error('create-grant returned no grant_id');
    return {
      objectId: `${str(a.key_id)}/${grantId}`,
      attributes: { ...a, id: grantId, type: a.type ?? 'user', name: a.name ?? '', retiring_principal: a.retiring_principal ?? '', creator: '' },
    };
  },

  async update() {
    throw new Error('dew_kms_grant has no in-place update (every argument forces a new grant)');
  },

  async delete(api, objectId, a) {
    const { keyId, grantId } = splitId(objectId);
    await api.kms('revoke-grant', { key_id: keyId || a.key_id, grant_id: grantId || a.id });
  },
};
Object.freeze(dewKmsGrant);
