/**
 * The secret service module (reference 5) at `/v1/{project_id}`: secrets, versions, stages,
 * scheduled deletion, rotation and its tasks, backup and restore, tags and resource instances,
 * plus the event routes (modules/csms/event-routes.ts); and the stack live views of
 * `dew_csms_secret` and `dew_csms_secret_version`. Routes name the secret their audit record is
 * about; a value never reaches the audit trail (the edge records names and outcomes only).
 */
import type { SecretService, CreateSecret, UpdateSecret } from '../../services/csms/secrets.js';
import type { VersionService, AddVersion } from '../../services/csms/versions.js';
import type { SecretRotation } from '../../services/csms/rotation.js';
import type { SecretBackup } from '../../services/csms/backup.js';
import type { SecretTags } from '../../services/csms/secret-tags.js';
import type { ResourceQuery } from '../../services/tags.js';
import type { PendingFinder } from '../../services/stacks.js';
import { MAX_BACKUP_BLOB_BYTES } from '../../services/csms/backup.js';
import { secretEntity, tagList } from '../../services/csms/secret-fields.js';
import { DewError, csmsErrors } from '../../errors.js';
import { defineModule, type LiveView, type RouteRequest, type RouteSpec, type ServiceModule } from '../contract.js';
import { queryInt } from '../wire.js';

export interface CsmsModuleDeps {
  secrets: SecretService;
  versions: VersionService;
  rotation: SecretRotation;
  backup: SecretBackup;
  tags: SecretTags;
  /** The event definition, notification record and password routes (modules/csms/event-routes.ts). */
  eventRoutes: readonly RouteSpec[];
}

type Obj = Record<string, unknown>;
const S = '/secrets/:secret_name';
const bySecret = { request: (r: RouteRequest) => r.params.secret_name };
const byId = { request: (r: RouteRequest) => r.params.secret_id };
const none = { request: () => undefined };

const limitOf = (r: RouteRequest, dflt = 50) => queryInt(r.query('limit'), { field: 'limit', dflt, min: 1, max: 200, code: 'CSMS.0002' });
const markerOf = (r: RouteRequest) => {
  const m = r.query('marker');
  return m === undefined || m === '' ? undefined : m;
};

export function csmsModule(d: CsmsModuleDeps): ServiceModule {
  const { secrets, versions, rotation, backup, tags } = d;
  const routes: RouteSpec[] = [
    {
      method: 'POST', path: '/secrets', operation: 'create-secret', permission: 'manage', schema: 'csms/secret-create',
      handler: (r) => secrets.create(r.caller, r.body as unknown as CreateSecret),
    },
    {
      method: 'GET', path: '/secrets', operation: 'list-secrets', permission: 'read', resource: none,
      handler: (r) => secrets.list(r.caller, limitOf(r), markerOf(r), r.query('event_name') || undefined),
    },
    {
      method: 'GET', path: S, operation: 'show-secret', permission: 'read', resource: bySecret,
      handler: async (r) => ({ secret: secretEntity(await secrets.get(r.caller, r.params.secret_name)) }),
    },
    {
      method: 'PUT', path: S, operation: 'update-secret', permission: 'manage', schema: 'csms/secret-update', resource: bySecret,
      handler: (r) => secrets.update(r.caller, r.params.secret_name, r.body as UpdateSecret),
    },
    {
      method: 'DELETE', path: S, operation: 'delete-secret', permission: 'manage', resource: bySecret,
      handler: (r) => secrets.delete(r.caller, r.params.secret_name),
    },
    {
      method: 'POST', path: `${S}/scheduled-deleted-tasks/create`, operation: 'schedule-secret-deletion', permission: 'manage', schema: 'csms/scheduled-delete', resource: bySecret,
      handler: (r) => secrets.scheduleDeletion(r.caller, r.params.secret_name, (r.body.recovery_window_in_days as number | undefined) ?? 30),
    },
    {
      method: 'POST', path: `${S}/scheduled-deleted-tasks/cancel`, operation: 'cancel-secret-deletion', permission: 'manage', resource: bySecret,
      handler: (r) => secrets.cancelDeletion(r.caller, r.params.secret_name),
    },
    {
      method: 'POST', path: `${S}/versions`, operation: 'create-secret-version', permission: 'manage', schema: 'csms/version-create', resource: bySecret,
      handler: (r) => versions.add(r.caller, r.params.secret_name, r.body as AddVersion),
    },
    {
      method: 'GET', path: `${S}/versions`, operation: 'list-secret-versions', permission: 'read', resource: bySecret,
      handler: (r) => versions.list(r.caller, r.params.secret_name, limitOf(r), markerOf(r)),
    },
    {
      method: 'GET', path: `${S}/versions/:version_id`, operation: 'show-secret-version', permission: 'use', resource: bySecret,
      handler: (r) => versions.show(r.caller, r.params.secret_name, r.params.version_id),
    },
    {
      method: 'PUT', path: `${S}/versions/:version_id`, operation: 'update-secret-version', permission: 'manage', schema: 'csms/version-update', resource: bySecret,
      handler: (r) => versions.update(r.caller, r.params.secret_name, r.params.version_id, r.body.expire_time),
    },
    {
      method: 'PUT', path: `${S}/stages/:stage_name`, operation: 'update-secret-stage', permission: 'manage', schema: 'csms/stage-update', resource: bySecret,
      handler: (r) => versions.putStage(r.caller, r.params.secret_name, r.params.stage_name, String(r.body.version_id)),
    },
    {
      method: 'GET', path: `${S}/stages/:stage_name`, operation: 'show-secret-stage', permission: 'read', resource: bySecret,
      handler: (r) => versions.showStage(r.caller, r.params.secret_name, r.params.stage_name),
    },
    {
      method: 'DELETE', path: `${S}/stages/:stage_name`, operation: 'delete-secret-stage', permission: 'manage', status: 204, resource: bySecret,
      handler: (r) => versions.deleteStage(r.caller, r.params.secret_name, r.params.stage_name),
    },
    {
      method: 'POST', path: `${S}/rotate`, operation: 'rotate-secret', permission: 'manage', resource: bySecret,
      handler: (r) => rotation.rotate(r.caller, r.params.secret_name),
    },
    {
      method: 'POST', path: `${S}/backup`, operation: 'backup-secret', permission: 'manage', resource: bySecret,
      handler: (r) => backup.backup(r.caller, r.params.secret_name),
    },
    {
      method: 'POST', path: '/secrets/restore', operation: 'restore-secret', permission: 'manage', schema: 'csms/restore', resource: { answer: (a) => ((a as Obj).secret as Obj | undefined)?.name },
      maxBodyBytes: MAX_BACKUP_BLOB_BYTES + 1024,
      handler: (r) => backup.restore(r.caller, String(r.body.secret_blob)),
    },
    {
      method: 'POST', path: '/secrets/batch-import', operation: 'batch-import-secrets', permission: 'manage', schema: 'csms/batch-import', resource: none,
      maxBodyBytes: 4 * 1024 * 1024,
      handler: async (r) => {
        const list = r.body.secrets as CreateSecret[];
        const errors: Obj[] = [];
        for (const item of list) {
          try {
            await secrets.create(r.caller, item);
          } catch (e) {
            // A refusal is this secret's answer; anything else (the database failing) fails the batch.
            if (!(e instanceof DewError)) throw e;
            errors.push({ name: item.name, error_code: e.code, error_msg: e.message });
          }
        }
        return { error_list: errors, total: list.length, success: list.length - errors.length, failed: errors.length };
      },
    },
    {
      method: 'GET', path: '/csms/tasks', operation: 'list-rotation-tasks', permission: 'read', resource: none,
      handler: (r) => {
        const status = r.query('status') || undefined;
        if (status !== undefined && status !== 'SUCCESS' && status !== 'FAILED' && status !== 'RUNNING') throw csmsErrors.invalid('status', 'SUCCESS, FAILED or RUNNING');
        const offset = queryInt(r.query('marker'), { field: 'marker', dflt: 0, max: 2 ** 31 - 1, code: 'CSMS.0002' });
        return rotation.listTasks(r.caller, { secretName: r.query('secret_name') || undefined, status, taskId: r.query('task_id') || undefined }, offset, limitOf(r));
      },
    },
    {
      method: 'GET', path: '/csms/:secret_id/tags', operation: 'list-secret-tags', permission: 'read', resource: byId,
      handler: (r) => tags.list(r.caller, r.params.secret_id),
    },
    {
      method: 'POST', path: '/csms/:secret_id/tags', operation: 'create-secret-tag', permission: 'manage', schema: 'csms/tag-create', status: 204, resource: byId,
      handler: (r) => tags.change(r.caller, r.params.secret_id, [r.body.tag as { key: string; value?: string }], []),
    },
    {
      method: 'DELETE', path: '/csms/:secret_id/tags/:key', operation: 'delete-secret-tag', permission: 'manage', status: 204, resource: byId,
      handler: (r) => tags.deleteOne(r.caller, r.params.secret_id, r.params.key),
    },
    {
      method: 'POST', path: '/csms/:secret_id/tags/action', operation: 'batch-secret-tags', permission: 'manage', schema: 'csms/tags-action', status: 204, resource: byId,
      handler: (r) => {
        const list = r.body.tags as { key: string; value?: string }[];
        return r.body.action === 'create' ? tags.change(r.caller, r.params.secret_id, list, []) : tags.change(r.caller, r.params.secret_id, [], list.map((t) => t.key));
      },
    },
    {
      method: 'GET', path: '/csms/tags', operation: 'list-project-secret-tags', permission: 'read', resource: none,
      handler: (r) => tags.projectTags(r.caller),
    },
    {
      method: 'POST', path: '/csms/resource_instances/action', operation: 'secret-resource-instances', permission: 'read', schema: 'csms/resource-instances', resource: none,
      handler: (r) => tags.resourceInstances(r.caller, r.body as unknown as ResourceQuery),
    },
    ...d.eventRoutes,
  ];
  return defineModule({
    name: 'csms',
    base: '/v1/:project_id',
    resource: bySecret,
    routes,
    liveViews: { dew_csms_secret: secretView(secrets, versions), dew_csms_secret_version: stageView(secrets, versions) },
    finders: { dew_csms_secret: secretFinder(secrets), dew_csms_secret_version: stageFinder(versions) },
  });
}

/** `<secret_id>/<name>` (the Terraform id) or a bare name: the name. */
const nameOfId = (objectId: string): string => objectId.slice(objectId.lastIndexOf('/') + 1);

/**
 * A stack's secret (id `<secret_id>/<name>`): the secret, its tags, and which version is current
 * (`latest_version`, with its stages), so a version added outside the stack shows as drift. Never a value.
 */
function secretView(secrets: SecretService, versions: VersionService): LiveView {
  return async (caller, objectId) => {
    const r = await secrets.find(caller, nameOfId(objectId));
    if (!r || (objectId.includes('/') && !objectId.startsWith(`${r.secretId}/`))) return { live: null, revision: 0 };
    const current = await versions.current(r);
    return {
      live: { ...secretEntity(r), secret_id: r.secretId, status: r.state, tags: Object.fromEntries(tagList(r.tags).map((t) => [t.key, t.value])), latest_version: current?.id ?? null, version_stages: current?.stages ?? [], expire_time: current?.expireTime == null ? null : Math.floor(current.expireTime / 1000) },
      revision: r.revision,
    };
  };
}

/** A stack's stage pin (id `<secret_name>/<stage>`): which version holds the stage. */
function stageView(secrets: SecretService, versions: VersionService): LiveView {
  return async (caller, objectId) => {
    const slash = objectId.lastIndexOf('/');
    const [name, stage] = [objectId.slice(0, slash), objectId.slice(slash + 1)];
    try {
      const s = (await versions.showStage(caller, name, stage)).stage as Obj;
      const r = await secrets.get(caller, name);
      return { live: { secret_name: name, stage, version_id: s.version_id }, revision: r.revision };
    } catch (e) {
      if (e instanceof DewError && e.status === 404) return { live: null, revision: 0 };
      throw e;
    }
  };
}

/** The secret an interrupted create made: that name, made after the intent. */
function secretFinder(secrets: SecretService): PendingFinder {
  return async (caller, args, since) => {
    const r = typeof args.name === 'string' ? await secrets.find(caller, args.name) : undefined;
    return r && r.createTime >= since ? { objectId: `${r.secretId}/${r.name}` } : undefined;
  };
}

/** The stage pin an interrupted create made: the stage now on that version. */
function stageFinder(versions: VersionService): PendingFinder {
  return async (caller, args) => {
    if (typeof args.secret_name !== 'string' || typeof args.stage !== 'string') return undefined;
    const s = await versions.showStage(caller, args.secret_name, args.stage).catch(() => undefined);
    return s && (s.stage as Obj).version_id === args.version_id ? { objectId: `${args.secret_name}/${args.stage}` } : undefined;
  };
}
