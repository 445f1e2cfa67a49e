/** KMS key lifecycle routes (reference 1a): create, describe, list, enable/disable, deletion, alias and description, quotas. */
import type { KeyService } from '../../services/keys.js';
import type { RouteSpec } from '../contract.js';
import { strNum } from '../wire.js';
import { op } from './op.js';

export interface KeyRouteDeps {
  keys: KeyService;
  /** user-quotas `grant_per_CMK` used: the most grants one key of the project has. */
  grantsPerKeyUsed?: (projectId: string) => number;
}

export function keyRoutes(d: KeyRouteDeps): RouteSpec[] {
  const r = d.keys;
  return [
    op('create-key', 'manage', async (caller, b) => {
      const k = await r.create(caller, b as never);
      return { key_info: { key_id: k.keyId, domain_id: k.domainId, region_id: r.region } };
    }),
    op('describe-key', 'read', async (caller, b) => ({ key_info: r.toDetails(await r.describe(caller, String(b.key_id))) })),
    op('list-keys', 'read', (caller, b) => {
      const res = r.list(caller, {
        limit: b.limit === undefined ? undefined : strNum(b.limit),
        marker: b.marker === undefined ? undefined : strNum(b.marker),
        key_state: b.key_state as string | undefined,
        key_spec: b.key_spec as string | undefined,
      });
      return {
        keys: res.page.map((k) => k.keyId),
        key_details: res.page.map((k) => r.toDetails(k)),
        next_marker: res.nextMarker,
        truncated: res.truncated ? 'true' : 'false',
        total: res.total,
      };
    }),
    op('enable-key', 'manage', async (caller, b) => {
      const k = await r.enable(caller, String(b.key_id));
      return { key_info: { key_id: k.keyId, key_state: k.keyState } };
    }),
    op('disable-key', 'manage', async (caller, b) => {
      const k = await r.disable(caller, String(b.key_id));
      return { key_info: { key_id: k.keyId, key_state: k.keyState } };
    }),
    op('schedule-key-deletion', 'manage', async (caller, b) => {
      const k = await r.scheduleDeletion(caller, String(b.key_id), strNum(b.pending_days));
      return { key_id: k.keyId, key_state: k.keyState };
    }),
    op('cancel-key-deletion', 'manage', async (caller, b) => {
      const k = await r.cancelDeletion(caller, String(b.key_id));
      return { key_id: k.keyId, key_state: k.keyState };
    }),
    op('update-key-alias', 'manage', async (caller, b) => {
      const k = await r.updateAlias(caller, String(b.key_id), String(b.key_alias));
      return { key_info: { key_id: k.keyId, key_alias: k.keyAlias } };
    }),
    op('update-key-description', 'manage', async (caller, b) => {
      const k = await r.updateDescription(caller, String(b.key_id), String(b.key_description));
      return { key_info: { key_id: k.keyId, key_description: k.keyDescription } };
    }),
    { method: 'GET', path: '/user-instances', operation: 'user-instances', permission: 'read', handler: (q) => ({ instance_num: r.customKeyCount(q.caller) }) },
    {
      method: 'GET',
      path: '/user-quotas',
      operation: 'user-quotas',
      permission: 'read',
      handler: (q) => ({
        quotas: {
          resources: [
            { type: 'CMK', used: r.customKeyCount(q.caller), quota: r.keyQuota },
            { type: 'grant_per_CMK', used: d.grantsPerKeyUsed?.(q.caller.projectId) ?? 0, quota: 100 },
          ],
        },
      }),
    },
  ];
}
