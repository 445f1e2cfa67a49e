/**
 * The dedicated HSM service modules: instances at `/v1/{project_id}/dew/hsms` (our API in the
 * reference's style: the reference names `GET …/dew/hsms/{hsm_id}` and `…/hsms/jobs/{job_id}` but
 * publishes no more) and keystores at `/v1.0/{project_id}/keystores` (reference 1h). Privileged
 * instance routes (freeze, unfreeze, delete, token) check the instance admin credential the caller
 * sends in `X-Hsm-Credential` besides the edge's signature and role check; the credential and the
 * token PIN never reach the audit trail (the edge records names and outcomes only). Also the stack
 * live views of `dew_hsm_instance` and `dew_keystore`, and the feed handlers that keep every
 * daemon's partitions and keystore map in step.
 */
import type { HsmInstanceService, CreateHsm, UpdateHsm } from '../../services/hsm/instances.js';
import type { KeystoreService, CreateKeystore } from '../../services/hsm/keystore-service.js';
import type { HsmRegistry } from '../../services/hsm/registry.js';
import type { PendingFinder } from '../../services/stacks.js';
import { DewError } from '../../errors.js';
import { defineModule, type LiveView, type RouteRequest, type ServiceModule } from '../contract.js';
import { queryInt } from '../wire.js';

export interface HsmModuleDeps {
  instances: HsmInstanceService;
  keystores: KeystoreService;
  registry: HsmRegistry;
}

const H = '/hsms/:hsm_id';
const byHsm = { request: (r: RouteRequest) => r.params.hsm_id };
const credentialOf = (r: RouteRequest) => r.header('x-hsm-credential');
const page = (r: RouteRequest, code: string, max: number) => ({
  limit: queryInt(r.query('limit'), { field: 'limit', dflt: 10, min: 1, max, code }),
  offset: queryInt(r.query('offset'), { field: 'offset', dflt: 0, min: 0, max: 1_000_000, code }),
});

export function hsmModule(d: HsmModuleDeps): ServiceModule {
  const { instances } = d;
  return defineModule({
    name: 'hsm',
    base: '/v1/:project_id/dew',
    resource: { request: (r) => r.params.hsm_id, answer: (a) => (a as { hsm_id?: unknown }).hsm_id },
    routes: [
      {
        method: 'POST', path: '/hsms', operation: 'create-hsm', permission: 'manage', schema: 'dhsm/hsm-create',
        handler: (r) => instances.create(r.caller, r.body as unknown as CreateHsm),
      },
      {
        method: 'GET', path: '/hsms', operation: 'list-hsms', permission: 'read',
        handler: (r) => {
          const p = page(r, 'DHSM.0003', 100);
          return instances.list(r.caller, p.limit, p.offset);
        },
      },
      // Before `/hsms/:hsm_id…`: `jobs` is a path segment, not an instance id.
      {
        method: 'GET', path: '/hsms/jobs/:job_id', operation: 'show-hsm-job', permission: 'read', resource: { request: (r) => r.params.job_id },
        handler: (r) => instances.job(r.caller, r.params.job_id),
      },
      {
        method: 'GET', path: H, operation: 'show-hsm', permission: 'read', resource: byHsm,
        handler: (r) => instances.show(r.caller, r.params.hsm_id),
      },
      {
        method: 'PUT', path: H, operation: 'update-hsm', permission: 'manage', schema: 'dhsm/hsm-update', resource: byHsm,
        handler: (r) => instances.update(r.caller, r.params.hsm_id, r.body as UpdateHsm),
      },
      {
        method: 'POST', path: `${H}/freeze`, operation: 'freeze-hsm', permission: 'manage', resource: byHsm,
        handler: (r) => instances.freeze(r.caller, r.params.hsm_id, credentialOf(r)),
      },
      {
        method: 'POST', path: `${H}/unfreeze`, operation: 'unfreeze-hsm', permission: 'manage', resource: byHsm,
        handler: (r) => instances.unfreeze(r.caller, r.params.hsm_id, credentialOf(r)),
      },
      {
        method: 'DELETE', path: H, operation: 'delete-hsm', permission: 'manage', resource: byHsm,
        handler: (r) => instances.delete(r.caller, r.params.hsm_id, credentialOf(r)),
      },
      {
        method: 'GET', path: `${H}/token`, operation: 'show-hsm-token', permission: 'manage', resource: byHsm,
        handler: (r) => instances.token(r.caller, r.params.hsm_id, credentialOf(r)),
      },
    ],
    liveViews: { dew_hsm_instance: instanceView(instances) },
    finders: { dew_hsm_instance: instanceFinder(instances) },
    feeds: {
      hsm: (ids) => d.registry.reloadInstances(ids),
      keystore: (ids) => d.registry.reloadKeystores(ids),
    },
  });
}

export function keystoreModule(d: HsmModuleDeps): ServiceModule {
  const { keystores } = d;
  const K = '/keystores/:keystore_id';
  const byKs = { request: (r: RouteRequest) => r.params.keystore_id };
  return defineModule({
    name: 'keystores',
    base: '/v1.0/:project_id',
    resource: { request: (r) => r.params.keystore_id, answer: (a) => (a as { keystore?: { keystore_id?: unknown } }).keystore?.keystore_id },
    routes: [
      {
        method: 'POST', path: '/keystores', operation: 'create-keystore', permission: 'manage', schema: 'kms/create-keystore', resource: { request: () => undefined },
        handler: (r) => keystores.create(r.caller, r.body as unknown as CreateKeystore),
      },
      {
        method: 'GET', path: '/keystores', operation: 'list-keystores', permission: 'read', resource: { request: () => undefined },
        handler: (r) => {
          const p = page(r, 'KMS.0308', 1000);
          return keystores.list(r.caller, p.limit, p.offset);
        },
      },
      {
        method: 'GET', path: K, operation: 'show-keystore', permission: 'read', resource: byKs,
        handler: (r) => keystores.show(r.caller, r.params.keystore_id),
      },
      {
        method: 'POST', path: `${K}/enable`, operation: 'enable-keystore', permission: 'manage', resource: byKs,
        handler: (r) => keystores.setEnabled(r.caller, r.params.keystore_id, true),
      },
      {
        method: 'POST', path: `${K}/disable`, operation: 'disable-keystore', permission: 'manage', resource: byKs,
        handler: (r) => keystores.setEnabled(r.caller, r.params.keystore_id, false),
      },
      {
        method: 'DELETE', path: K, operation: 'delete-keystore', permission: 'manage', resource: byKs,
        handler: (r) => keystores.delete(r.caller, r.params.keystore_id),
      },
    ],
    liveViews: { dew_keystore: keystoreView(keystores) },
    finders: { dew_keystore: keystoreFinder(keystores) },
  });
}

const notFound = (err: unknown) => err instanceof DewError && err.status === 404;

/** A stack's instance (id = hsm_id): the instance as GET shows it; never the credential. */
function instanceView(instances: HsmInstanceService): LiveView {
  return async (caller, objectId) => {
    try {
      const { hsm } = await instances.show(caller, objectId);
      return { live: hsm, revision: Number(hsm.update_time) };
    } catch (err) {
      if (notFound(err)) return { live: null, revision: 0 };
      throw err;
    }
  };
}

function instanceFinder(instances: HsmInstanceService): PendingFinder {
  return async (caller, args, since) => {
    const { hsms } = await instances.list(caller, 100, 0);
    const hit = hsms.find((h) => h.name === args.name && Number(h.create_time) >= since);
    return hit ? { objectId: String(hit.hsm_id) } : undefined;
  };
}

/** A stack's keystore (id = keystore_id); its revision moves with its state, the one thing that changes. */
function keystoreView(keystores: KeystoreService): LiveView {
  return async (caller, objectId) => {
    try {
      const { keystore } = await keystores.show(caller, objectId);
      return { live: keystore, revision: keystore.keystore_state === 'ENABLED' ? 1 : 2 };
    } catch (err) {
      if (notFound(err)) return { live: null, revision: 0 };
      throw err;
    }
  };
}

function keystoreFinder(keystores: KeystoreService): PendingFinder {
  return async (caller, args, since) => {
    const { keystores: all } = await keystores.list(caller, 1000, 0);
    const hit = all.find((k) => k.keystore_alias === (args.alias ?? args.keystore_alias) && Number(k.create_time) >= since);
    return hit ? { objectId: String(hit.keystore_id) } : undefined;
  };
}
