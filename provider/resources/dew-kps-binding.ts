/**
 * dew_kps_binding: a key pair bound to a host (reference 4: POST /v3/{project_id}/keypairs/associate
 * and …/disassociate, each a task this waits for). Every argument that matters forces a new binding;
 * the login (auth_type, password) is used by create only and never recorded. Id `<keypair_name>/<host_id>`.
 */
import { apiErrorStatus, type DewApi } from './api.js';
import { runTask } from './kps-task.js';
import { loadResourceSchema } from './load-schema.js';
import { str, type Attributes, type ResourceType } from './resource-type.js';

/** Create-only login arguments: never diffed, never in the stack. */
const LOGIN = ['auth_type', 'password'] as const;

function splitId(id: string): { keypairName: string; hostId: string } {
  const i = id.lastIndexOf('/');
  return { keypairName: id.slice(0, i), hostId: id.slice(i + 1) };
}

/** The host of the binding while it has that key pair bound; null otherwise. */
async function readBinding(api: DewApi, objectId: string): Promise<Record<string, unknown> | null> {
  const { keypairName, hostId } = splitId(objectId);
  try {
    const h = ((await api.request('GET', `/v3/{project_id}/hosts/${encodeURIComponent(hostId)}`)).body as { host?: Record<string, unknown> }).host;
    return h && h.keypair_name === keypairName ? h : null;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

/** The daemon's live view of a binding: the host's entity with the key pair bound to it. */
function fromHost(h: Record<string, unknown>): Attributes | null {
  if (!h.id || typeof h.keypair_name !== 'string' || h.keypair_name === '') return null;
  return { id: `${h.keypair_name}/${str(h.id)}`, keypair_name: h.keypair_name, host_id: str(h.id), disable_password: h.password_disabled === true };
}

export const dewKpsBinding: ResourceType = {
  type: 'dew_kps_binding',
  schema: loadResourceSchema('dew_kps_binding'),
  forceNew: ['keypair_name', 'host_id', 'disable_password'],
  sensitive: ['password'],
  optionalComputed: ['disable_password'],
  writeOnly: [],

  fromLive: fromHost,

  read: (api, objectId) => readBinding(api, objectId),

  async create(api, a) {
    const auth: Record<string, unknown> = { type: a.auth_type ?? 'password' };
    if (auth.type === 'password') auth.key = a.password;
    const server: Record<string, unknown> = { id: a.host_id, auth };
    if (typeof a.disable_password === 'boolean') server.disable_password = a.disable_password;
    const { task_id } = (await api.request('POST', '/v3/{project_id}/keypairs/associate', { keypair_name: a.keypair_name, server })).body as { task_id: string };
    const task = await runTask(api, task_id);
    const id = `${str(a.keypair_name)}/${str(task.server_id) || str(a.host_id)}`;
    const bound = fromHost((await readBinding(api, id)) ?? {});
    if (!bound) throw new Error(`the associate task ${task_id} succeeded but the host does not have ${str(a.keypair_name)} bound`);
    return { objectId: id, attributes: bound };
  },

  async update() {
    throw new Error('dew_kps_binding has no in-place update (its arguments force a new binding)');
  },

  async delete(api, objectId) {
    // only while the host still has this key pair: a host rebound (or unbound) outside dew is left alone
    if (!(await readBinding(api, objectId))) return;
    const { task_id } = (await api.request('POST', '/v3/{project_id}/keypairs/disassociate', { server: { id: splitId(objectId).hostId } })).body as { task_id: string };
    await runTask(api, task_id);
  },

  sameValue(attribute) {
    return (LOGIN as readonly string[]).includes(attribute);
  },

  stored(a) {
    const out = { ...a };
    for (const k of LOGIN) delete out[k];
    return out;
  },

  destroyNotes() {
    return ['the host\u2019s authorized_keys loses the key; the disassociate task logs in with the key pair\u2019s managed private key'];
  },
};
Object.freeze(dewKpsBinding);
