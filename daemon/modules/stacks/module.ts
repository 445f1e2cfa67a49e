/**
 * The stack module at `/v1.0/{project_id}/dew/stacks` for the declarative tool: list the stacks, read
 * a stack with its live objects, take and release its lock, record and forget objects, and keep the
 * plan the last apply carried out (read by the console). The daemon is the state.
 */
import { kmsErrors } from '../../errors.js';
import type { StackService, StackObjectInput, AppliedPlanInput } from '../../services/stacks.js';
import { defineModule, type ServiceModule } from '../contract.js';
import { queryInt } from '../wire.js';

const STACK_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** A plan's text may run long (a stack of thousands of objects); the schema caps it at 2 MiB of characters. */
const MAX_PLAN_BODY_BYTES = 8 * 1024 * 1024;

function stackName(name: string): string {
  if (!STACK_NAME.test(name)) throw kmsErrors.invalidAs('stack name', '1 to 128 of A-Z a-z 0-9 _ . -');
  return name;
}

export function stacksModule(d: { stacks: StackService }): ServiceModule {
  const s = d.stacks;
  return defineModule({
    name: 'stacks',
    base: '/v1.0/:project_id/dew',
    resource: { request: (r) => r.params.stack },
    routes: [
      { method: 'GET', path: '/stacks', operation: 'list-stacks', permission: 'read',
        handler: (r) => {
          const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 100, min: 1, max: 1000 });
          const offset = queryInt(r.query('marker'), { field: 'marker', dflt: 0, max: 2 ** 31 - 1 });
          return s.list(r.caller, limit, offset);
        } },
      { method: 'GET', path: '/stacks/:stack', operation: 'read-stack', permission: 'read',
        handler: (r) => {
          const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 1000, min: 1, max: 1000 });
          const offset = queryInt(r.query('marker'), { field: 'marker', dflt: 0, max: 2 ** 31 - 1 });
          return s.read(r.caller, stackName(r.params.stack), limit, offset);
        } },
      { method: 'POST', path: '/stacks/:stack/lock', operation: 'lock-stack', permission: 'manage', schema: 'dew/stack-lock',
        handler: (r) => s.lock(r.caller, stackName(r.params.stack), String(r.body.who), String(r.body.operation)) },
      { method: 'DELETE', path: '/stacks/:stack/lock', operation: 'unlock-stack', permission: 'manage', status: 204,
        handler: async (r) => {
          const lockId = r.query('lock_id');
          if (!lockId) throw kmsErrors.missing('lock_id');
          await s.unlock(r.caller, stackName(r.params.stack), lockId);
        } },
      { method: 'PUT', path: '/stacks/:stack/objects', operation: 'put-stack-object', permission: 'manage', schema: 'dew/stack-object-put',
        handler: (r) => s.putObject(r.caller, stackName(r.params.stack), r.body as unknown as StackObjectInput) },
      { method: 'DELETE', path: '/stacks/:stack/objects', operation: 'delete-stack-object', permission: 'manage', schema: 'dew/stack-object-delete',
        handler: (r) => s.deleteObject(r.caller, stackName(r.params.stack), String(r.body.lock_id), String(r.body.address)) },
      { method: 'GET', path: '/stacks/:stack/last-plan', operation: 'read-stack-plan', permission: 'read',
        handler: (r) => s.lastPlan(r.caller, stackName(r.params.stack)) },
      { method: 'PUT', path: '/stacks/:stack/last-plan', operation: 'put-stack-plan', permission: 'manage', schema: 'dew/stack-plan-put', maxBodyBytes: MAX_PLAN_BODY_BYTES,
        handler: (r) => s.recordPlan(r.caller, stackName(r.params.stack), r.body as unknown as AppliedPlanInput) },
    ],
  });
}

const TYPE_NAME = /^dew_[a-z0-9_]{1,60}$/;

/**
 * `GET /v1.0/{project_id}/dew/live/{type}?object_id=…`: one object as the stack reads describe it
 * (the same live view), for front ends that keep their own state (the Terraform provider's refresh).
 * `live` is null when the object is gone; a type no module describes is a 400.
 */
export function liveModule(d: { stacks: StackService }): ServiceModule {
  return defineModule({
    name: 'live',
    base: '/v1.0/:project_id/dew/live',
    resource: { request: (r) => r.query('object_id') },
    routes: [
      { method: 'GET', path: '/:type', operation: 'read-live-object', permission: 'read',
        handler: async (r) => {
          const type = r.params.type;
          if (!TYPE_NAME.test(type)) throw kmsErrors.invalidAs('type', 'a resource type name such as dew_kms_key');
          const objectId = r.query('object_id');
          if (!objectId) throw kmsErrors.missing('object_id');
          if (objectId.length > 512) throw kmsErrors.invalidAs('object_id', 'at most 512 characters');
          const { live, revision } = await d.stacks.liveObject(r.caller, type, objectId);
          if (live === undefined) throw kmsErrors.invalidAs('type', `no live view of ${type}`);
          return { type, object_id: objectId, live, revision };
        } },
    ],
  });
}
