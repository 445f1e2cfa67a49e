/** KMS alias routes (reference 1g): create, delete (with a body), list with paging, associate. */
import type { AliasService } from '../../services/aliases.js';
import type { RouteSpec } from '../contract.js';
import { queryInt } from '../wire.js';

export function aliasRoutes(d: { aliases: AliasService }): RouteSpec[] {
  const a = d.aliases;
  return [
    {
      method: 'POST', path: '/aliases', operation: 'create-alias', permission: 'manage', schema: 'kms/alias-create', status: 201,
      handler: (r) => a.create(r.caller, String(r.body.key_id), String(r.body.alias)),
    },
    {
      method: 'DELETE', path: '/aliases', operation: 'delete-alias', permission: 'manage', schema: 'kms/alias-delete', status: 204,
      handler: async (r) => {
        await a.delete(r.caller, String(r.body.key_id), (r.body.aliases as string[]).map(String));
      },
    },
    {
      method: 'GET', path: '/aliases', operation: 'list-aliases', permission: 'read',
      resource: { request: (r) => r.query('key_id') },
      handler: (r) => {
        const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 100, min: 1, max: 1000, code: 'KMS.1601' });
        const marker = queryInt(r.query('marker'), { field: 'marker', dflt: 0, max: 2 ** 31 - 1, code: 'KMS.1602' });
        return a.list(r.caller, r.query('key_id') || undefined, limit, marker);
      },
    },
    {
      method: 'POST', path: '/alias/associate', operation: 'associate-alias', permission: 'manage', schema: 'kms/alias-associate',
      resource: { request: (r) => r.body.target_key_id },
      handler: (r) => a.associate(r.caller, String(r.body.alias), String(r.body.target_key_id)),
    },
  ];
}
