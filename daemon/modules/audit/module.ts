/**
 * The audit module at `/v1.0/{project_id}/dew/audit`: list the trail, a key's usage counts, and
 * verify the chains (operator account administrators only; services/audit-queries.ts decides).
 */
import { kmsErrors } from '../../errors.js';
import { MAX_USAGE_DAYS, type AuditQueries } from '../../services/audit-queries.js';
import { defineModule, type ServiceModule } from '../contract.js';
import { queryInt } from '../wire.js';

/** `since`: epoch milliseconds or an ISO 8601 time. */
export function parseSince(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^[0-9]{1,15}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw kmsErrors.invalid('since: epoch milliseconds or an ISO 8601 time');
  return t;
}

export function auditModule(d: { queries: AuditQueries }): ServiceModule {
  const q = d.queries;
  return defineModule({
    name: 'audit',
    base: '/v1.0/:project_id/dew/audit',
    resource: { request: (r) => r.query('key_id') || undefined },
    routes: [
      { method: 'GET', path: '/records', operation: 'list-audit-records', permission: 'read',
        handler: (r) => q.list(r.caller, {
          keyId: r.query('key_id') || undefined,
          since: parseSince(r.query('since')),
          // Ranges are the service's (KMS.1601/1602); here only the digits.
          limit: queryInt(r.query('limit'), { field: 'limit', max: Number.MAX_SAFE_INTEGER }),
          marker: queryInt(r.query('marker'), { field: 'marker', max: Number.MAX_SAFE_INTEGER }),
          order: r.query('order') || undefined,
          operations: r.query('operation') ? r.query('operation')!.split(',') : undefined,
        }) },
      { method: 'GET', path: '/usage', operation: 'get-key-usage', permission: 'read',
        handler: (r) => {
          const keyId = r.query('key_id');
          if (!keyId) throw kmsErrors.missing('key_id');
          return q.usage(r.caller, keyId, queryInt(r.query('days'), { field: 'days', min: 1, max: MAX_USAGE_DAYS }));
        } },
      { method: 'GET', path: '/verify', operation: 'verify-audit', permission: 'read', handler: (r) => q.verify(r.caller) },
    ],
  });
}
