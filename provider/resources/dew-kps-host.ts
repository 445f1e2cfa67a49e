/**
 * dew_kps_host: an SSH host key pairs are bound to (POST/GET/PUT/DELETE /v3/{project_id}/hosts[/{id}],
 * dew's own resource). A new name makes a new host; the rest changes in place (a new host_key re-pins).
 */
import { apiErrorStatus, type DewApi } from './api.js';
import { loadResourceSchema } from './load-schema.js';
import { str, type Attributes, type ResourceType } from './resource-type.js';
import { samePublicKey } from './ssh-public-key.js';

const HOSTS = '/v3/{project_id}/hosts';
const path = (id: string): string => `${HOSTS}/${encodeURIComponent(id)}`;

/** Arguments PUT /hosts/{id} takes. */
const UPDATABLE = ['address', 'port', 'username', 'host_key', 'sshd_config', 'description'] as const;

function fromEntity(h: Record<string, unknown>): Attributes {
  return {
    id: str(h.id),
    name: str(h.name),
    address: str(h.address),
    port: typeof h.port === 'number' ? h.port : 22,
    username: str(h.username),
    host_key: typeof h.host_key === 'string' ? h.host_key : null,
    sshd_config: str(h.sshd_config),
    description: str(h.description),
    host_key_fingerprint: str(h.host_key_fingerprint),
  };
}

async function show(api: DewApi, id: string): Promise<Record<string, unknown> | null> {
  try {
    return ((await api.request('GET', path(id))).body as { host?: Record<string, unknown> }).host ?? null;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

/** The body fields for the arguments that are set. */
function hostBody(a: Attributes, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((k) => a[k] !== undefined && a[k] !== null).map((k) => [k, a[k]]));
}

export const dewKpsHost: ResourceType = {
  type: 'dew_kps_host',
  schema: loadResourceSchema('dew_kps_host'),
  forceNew: ['name'],
  sensitive: [],
  optionalComputed: ['host_key', 'sshd_config'],
  writeOnly: [],

  fromLive(live) {
    return live.id ? fromEntity(live) : null;
  },

  read: (api, idOrName) => show(api, idOrName),

  async create(api, a) {
    const res = (await api.request('POST', HOSTS, { host: hostBody(a, ['name', ...UPDATABLE]) })).body as { host?: Record<string, unknown> };
    const attrs = fromEntity(res.host ?? {});
    if (!attrs.id) throw new Error('create-host returned no host id');
    return { objectId: str(attrs.id), attributes: attrs };
  },

  async update(api, id, before, after) {
    const changed = UPDATABLE.filter((k) => after[k] !== undefined && after[k] !== null && JSON.stringify(after[k]) !== JSON.stringify(before[k] ?? null));
    if (changed.includes('host_key') && samePublicKey(after.host_key, before.host_key)) changed.splice(changed.indexOf('host_key'), 1);
    const res = changed.length ? ((await api.request('PUT', path(id), { host: hostBody(after, changed) })).body as { host?: Record<string, unknown> }) : { host: (await show(api, id)) ?? undefined };
    if (!res.host) throw new Error(`the host ${id} disappeared during the update`);
    return fromEntity(res.host);
  },

  async delete(api, id) {
    try {
      await api.request('DELETE', path(id));
    } catch (e) {
      if (apiErrorStatus(e).status !== 404) throw e;
    }
  },

  // create-host pins no key until the first task, and edits /etc/ssh/sshd_config unless told otherwise
  plannedComputed(_configured, current): Attributes {
    return current ? {} : { sshd_config: '/etc/ssh/sshd_config' };
  },

  sameValue(attribute, configured, current) {
    // the daemon pins a host key as "type base64", without the comment a configured one may carry
    return attribute === 'host_key' && samePublicKey(configured, current);
  },
};
Object.freeze(dewKpsHost);
