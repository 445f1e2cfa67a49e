/** dew_iam_user: a user of the account (dew/iam/users); a new name makes a new user, roles change in place (PUT …/roles). */
import { loadResourceSchema } from './load-schema.js';
import { str, type Attributes, type ResourceType } from './resource-type.js';

const USERS = '/v1.0/{project_id}/dew/iam/users';

const roles = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export const dewIamUser: ResourceType = {
  type: 'dew_iam_user',
  schema: loadResourceSchema('dew_iam_user'),
  forceNew: ['name'],
  sensitive: [],
  optionalComputed: [],
  writeOnly: [],

  fromLive(live) {
    if (!live.user_id) return null;
    return { id: str(live.user_id), user_id: str(live.user_id), name: str(live.name), roles: roles(live.roles), domain_id: str(live.domain_id) };
  },

  async read(api, objectId) {
    const list = ((await api.request('GET', USERS)).body as { users?: Record<string, unknown>[] }).users ?? [];
    return list.find((u) => u.user_id === objectId) ?? null;
  },

  async create(api, a) {
    // the answer carries the user's first secret key: only the ids are kept, never the secret
    const b = (await api.request('POST', USERS, { name: a.name, roles: roles(a.roles) })).body as Record<string, unknown>;
    const id = str(b.user_id);
    return { objectId: id, attributes: { id, user_id: id, name: a.name, roles: roles(a.roles), domain_id: str(b.domain_id) } as Attributes };
  },

  async update(api, objectId, before, after) {
    await api.request('PUT', `${USERS}/${encodeURIComponent(objectId)}/roles`, { roles: roles(after.roles) });
    return { ...before, ...after, id: objectId, user_id: objectId };
  },

  async delete(api, objectId) {
    await api.request('DELETE', `${USERS}/${encodeURIComponent(objectId)}`);
  },
};
Object.freeze(dewIamUser);
