/** KMS alias routes (reference 1g): create, delete (with a body), list with paging, associate. */
import { DewError } from '../../errors.js';
import type { AliasService } from '../../services/aliases.js';
import type { RouteSpec } from '../contract.js';

/** A query-string integer in [min, max] (`dflt` when absent; `code` naming `field` when malformed). */
function int(v: string | undefined, dflt: number, min: number, max: number, code: string, field: string): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!/^[0-9]{1,10}$/.test(v) || n < min || n > max) throw new DewError(code, 400, `Invalid ${field}.`);
  return n;
}

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
        const limit = int(r.query('limit'), 100, 1, 1000, 'KMS.1601', 'limit');
        const marker = int(r.query('marker'), 0, 0, 2 ** 31 - 1, 'KMS.1602', 'marker');
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
