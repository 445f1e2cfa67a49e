/**
 * The key pair service module (reference 4) at `/v3/{project_id}`: key pairs, their managed
 * private keys, binding tasks, and dew's own SSH hosts that tasks bind key pairs to; plus the stack
 * live views of `dew_kps_keypair`, `dew_kps_host` and `dew_kps_binding`. Routes name the key pair
 * (or host) their audit record is about.
 */
import type { KeypairService, CreateKeypair, KeyProtection } from '../../services/kps/keypairs.js';
import type { HostService, HostInput } from '../../services/kps/hosts.js';
import type { BindingTasks, ServerSpec } from '../../services/kps/binding-tasks.js';
import type { PendingFinder } from '../../services/stacks.js';
import { parsePublicKey, type PrivateKeyFormat } from '../../kps/key-formats.js';
import { DewError, kpsErrors } from '../../errors.js';
import { defineModule, type LiveView, type RouteSpec, type ServiceModule } from '../contract.js';
import { queryInt } from '../wire.js';

export interface KpsModuleDeps {
  keypairs: KeypairService;
  hosts: HostService;
  tasks: BindingTasks;
}

type Obj = Record<string, unknown>;
const keypairOf = (body: Obj): Obj => (body.keypair ?? {}) as Obj;

export function kpsModule(d: KpsModuleDeps): ServiceModule {
  const { keypairs: k, hosts, tasks } = d;
  const byName = { request: (r: { params: Readonly<Record<string, string>> }) => r.params.keypair_name };
  const byServer = { request: (r: { body: Obj }) => (r.body.server as Obj | undefined)?.id };
  const byHost = { request: (r: { params: Readonly<Record<string, string>> }) => r.params.host_id };
  const routes: RouteSpec[] = [
    {
      method: 'POST', path: '/keypairs', operation: 'create-keypair', permission: 'manage', schema: 'kps/keypair-create',
      handler: (r) => k.create(r.caller, keypairOf(r.body) as unknown as CreateKeypair),
    },
    {
      method: 'GET', path: '/keypairs', operation: 'list-keypairs', permission: 'read', resource: { request: () => undefined },
      handler: (r) => {
        const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 50, min: 1, max: 1000, code: 'KPS.0001' });
        const marker = r.query('marker');
        return k.list(r.caller, limit, marker === undefined || marker === '' ? undefined : marker);
      },
    },
    {
      method: 'GET', path: '/keypairs/:keypair_name', operation: 'show-keypair', permission: 'read', resource: byName,
      handler: async (r) => {
        const detail = k.toDetail(await k.get(r.caller, r.params.keypair_name));
        // `?fingerprint_hash=md5`: the MD5 form `ssh-keygen -E md5 -lf` prints, for older tooling.
        const hash = r.query('fingerprint_hash');
        if (hash !== undefined && hash !== 'sha256' && hash !== 'md5') throw kpsErrors.invalid('fingerprint_hash', 'use sha256 or md5');
        if (hash === 'md5') detail.fingerprint = parsePublicKey(String(detail.public_key)).fingerprintMd5;
        return { keypair: detail };
      },
    },
    {
      method: 'PUT', path: '/keypairs/:keypair_name', operation: 'update-keypair', permission: 'manage', schema: 'kps/keypair-update', status: 204, resource: byName,
      handler: (r) => k.update(r.caller, r.params.keypair_name, keypairOf(r.body) as { description?: string; scope?: 'domain' }),
    },
    {
      method: 'DELETE', path: '/keypairs/:keypair_name', operation: 'delete-keypair', permission: 'manage', status: 204, resource: byName,
      handler: (r) => k.delete(r.caller, r.params.keypair_name),
    },
    {
      method: 'POST', path: '/keypairs/private-key/import', operation: 'import-private-key', permission: 'manage', schema: 'kps/private-key-import',
      handler: (r) => {
        const kp = keypairOf(r.body);
        return k.importPrivateKey(r.caller, String(kp.name), kp.user_id as string | undefined, kp.key_protection as KeyProtection & { private_key: string });
      },
    },
    {
      method: 'POST', path: '/keypairs/private-key/export', operation: 'export-private-key', permission: 'use', schema: 'kps/private-key-export',
      handler: (r) => k.exportPrivateKey(r.caller, String(keypairOf(r.body).name), keypairOf(r.body).format as PrivateKeyFormat | undefined),
    },
    {
      method: 'DELETE', path: '/keypairs/:keypair_name/private-key', operation: 'clear-private-key', permission: 'manage', status: 204, resource: byName,
      handler: (r) => k.clearPrivateKey(r.caller, r.params.keypair_name),
    },
    {
      method: 'POST', path: '/keypairs/batch-import', operation: 'batch-import-keypair', permission: 'manage', schema: 'kps/batch-import', resource: { request: () => undefined },
      handler: async (r) => {
        const failed: Obj[] = [];
        const succeeded: Obj[] = [];
        for (const item of r.body as unknown as { keypair: CreateKeypair }[]) {
          try {
            succeeded.push(await k.create(r.caller, item.keypair));
          } catch (e) {
            // A refusal is this key pair's answer; anything else (the database failing) fails the batch.
            if (!(e instanceof DewError)) throw e;
            failed.push({ keypair_name: item.keypair.name, failed_reason: `${e.code}: ${e.message}` });
          }
        }
        return { failed_keypairs: failed, succeeded_keypairs: succeeded };
      },
    },
    {
      method: 'POST', path: '/keypairs/private-key/batch-export', operation: 'batch-export-private-key', permission: 'use', schema: 'kps/batch-export', resource: { request: () => undefined },
      handler: async (r) => {
        const out: Obj[] = [];
        for (const item of r.body as unknown as { keypair: { name: string; format?: PrivateKeyFormat } }[]) out.push(await k.exportPrivateKey(r.caller, item.keypair.name, item.keypair.format));
        return { keypairs: out.map((o) => o.keypair) };
      },
    },
    {
      method: 'POST', path: '/keypairs/decrypt-password', operation: 'decrypt-password', permission: 'use', schema: 'kps/decrypt-password',
      handler: (r) => k.decryptPassword(r.caller, String(keypairOf(r.body).name), String(keypairOf(r.body).password_ciphertext)),
    },
    {
      method: 'POST', path: '/keypairs/associate', operation: 'associate-keypair', permission: 'manage', schema: 'kps/associate', resource: { request: (r) => r.body.keypair_name },
      handler: (r) => tasks.associate(r.caller, String(r.body.keypair_name), r.body.server as ServerSpec),
    },
    {
      method: 'POST', path: '/keypairs/batch-associate', operation: 'batch-associate-keypair', permission: 'manage', schema: 'kps/batch-associate',
      resource: { request: (r) => (r.body.batch_keypairs as Obj[] | undefined)?.[0]?.keypair_name },
      handler: (r) => tasks.batchAssociate(r.caller, r.body.batch_keypairs as { keypair_name: string; server: ServerSpec }[]),
    },
    {
      method: 'POST', path: '/keypairs/disassociate', operation: 'disassociate-keypair', permission: 'manage', schema: 'kps/disassociate', resource: byServer,
      handler: (r) => tasks.disassociate(r.caller, r.body.server as ServerSpec),
    },
    {
      method: 'GET', path: '/tasks/:task_id', operation: 'show-task', permission: 'read', resource: { request: (r) => r.params.task_id },
      handler: (r) => tasks.get(r.caller, r.params.task_id),
    },
    ...(['running', 'failed'] as const).map(
      (which): RouteSpec => ({
        method: 'GET', path: `/${which}-tasks`, operation: `list-${which}-tasks`, permission: 'read', resource: { request: () => undefined },
        handler: (r) => {
          const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 1000, min: 1, max: 1000, code: 'KPS.0001' });
          const offset = queryInt(r.query('offset'), { field: 'offset', dflt: 0, max: 2 ** 31 - 1, code: 'KPS.0001' });
          return tasks.list(r.caller, which, limit, offset);
        },
      }),
    ),
    {
      method: 'DELETE', path: '/failed-tasks', operation: 'delete-all-failed-tasks', permission: 'manage', status: 204, resource: { request: () => undefined },
      handler: (r) => tasks.deleteFailed(r.caller),
    },
    {
      method: 'DELETE', path: '/failed-tasks/:task_id', operation: 'delete-failed-task', permission: 'manage', status: 204, resource: { request: (r) => r.params.task_id },
      handler: (r) => tasks.deleteFailed(r.caller, r.params.task_id),
    },
    {
      method: 'POST', path: '/hosts', operation: 'create-host', permission: 'manage', schema: 'kps/host-create', resource: { request: (r) => (r.body.host as Obj | undefined)?.name },
      handler: (r) => hosts.create(r.caller, r.body.host as unknown as HostInput),
    },
    {
      method: 'GET', path: '/hosts', operation: 'list-hosts', permission: 'read', resource: { request: () => undefined },
      handler: (r) => {
        const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 100, min: 1, max: 1000, code: 'KPS.0001' });
        const offset = queryInt(r.query('offset'), { field: 'offset', dflt: 0, max: 2 ** 31 - 1, code: 'KPS.0001' });
        return hosts.list(r.caller, offset, limit);
      },
    },
    {
      method: 'GET', path: '/hosts/:host_id', operation: 'show-host', permission: 'read', resource: byHost,
      handler: async (r) => ({ host: hosts.toEntity(await hosts.get(r.caller, r.params.host_id)) }),
    },
    {
      method: 'PUT', path: '/hosts/:host_id', operation: 'update-host', permission: 'manage', schema: 'kps/host-update', resource: byHost,
      handler: (r) => hosts.update(r.caller, r.params.host_id, r.body.host as Partial<HostInput>),
    },
    {
      method: 'DELETE', path: '/hosts/:host_id', operation: 'delete-host', permission: 'manage', status: 204, resource: byHost,
      handler: (r) => hosts.delete(r.caller, r.params.host_id),
    },
  ];
  return defineModule({
    name: 'kps',
    base: '/v3/:project_id',
    resource: { request: (r) => keypairOf(r.body).name ?? r.params.keypair_name },
    routes,
    liveViews: { dew_kps_keypair: keypairView(k), dew_kps_host: hostView(hosts), dew_kps_binding: bindingView(hosts) },
    finders: { dew_kps_keypair: keypairFinder(k), dew_kps_host: hostFinder(hosts), dew_kps_binding: bindingFinder(hosts) },
  });
}

/** A stack's key pair object (id = name, as huaweicloud_kps_keypair): its details; the revision moves with every change. */
function keypairView(k: KeypairService): LiveView {
  return async (caller, name) => {
    const r = await k.find(caller, name);
    return r ? { live: k.toDetail(r), revision: r.revision } : { live: null, revision: 0 };
  };
}

/** The host `idOrName`, or undefined when there is none (any other failure is thrown). */
async function findHost(hosts: HostService, caller: Parameters<LiveView>[0], idOrName: string) {
  try {
    return await hosts.get(caller, idOrName);
  } catch (e) {
    if ((e as { status?: unknown }).status === 404) return undefined;
    throw e;
  }
}

/** A stack's host object (id = the host id, or the name it was imported by): its entity. */
function hostView(hosts: HostService): LiveView {
  return async (caller, idOrName) => {
    const h = await findHost(hosts, caller, idOrName);
    return h ? { live: hosts.toEntity(h), revision: h.revision } : { live: null, revision: 0 };
  };
}

/** The host an interrupted create made: that name, made after the intent. */
function hostFinder(hosts: HostService): PendingFinder {
  return async (caller, args, since) => {
    const h = typeof args.name === 'string' ? await findHost(hosts, caller, args.name) : undefined;
    return h && h.name === args.name && h.createTime >= since ? { objectId: h.hostId } : undefined;
  };
}

/** A stack's binding object (id `<keypair_name>/<host_id>`): live while the host has that key pair bound. */
function bindingView(hosts: HostService): LiveView {
  return async (caller, objectId) => {
    const slash = objectId.lastIndexOf('/');
    const [name, hostId] = [objectId.slice(0, slash), objectId.slice(slash + 1)];
    const h = await hosts.get(caller, hostId).catch(() => undefined);
    return h && h.keypairName === name ? { live: { keypair_name: name, ...hosts.toEntity(h) }, revision: h.revision } : { live: null, revision: 0 };
  };
}

/** The key pair an interrupted create made: that name, made after the intent. */
function keypairFinder(k: KeypairService): PendingFinder {
  return async (caller, args, since) => {
    const r = typeof args.name === 'string' ? await k.find(caller, args.name) : undefined;
    return r && r.createTime >= since ? { objectId: r.name } : undefined;
  };
}

/** The binding an interrupted create made: the host now has that key pair bound. */
function bindingFinder(hosts: HostService): PendingFinder {
  return async (caller, args) => {
    if (typeof args.host_id !== 'string' || typeof args.keypair_name !== 'string') return undefined;
    const h = await hosts.get(caller, args.host_id).catch(() => undefined);
    return h && h.keypairName === args.keypair_name ? { objectId: `${args.keypair_name}/${h.hostId}` } : undefined;
  };
}
