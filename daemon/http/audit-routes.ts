/** Audit trail routes: `GET …/dew/audit/records`, `…/usage?key_id=` and `…/verify` (one service call each). */
import { Hono } from 'hono';
import { kmsErrors } from '../errors.js';
import type { AuditQueries } from '../services/audit-queries.js';
import { noteResource } from './audit-trail.js';
import type { AppEnv } from './env.js';

/** A query-string integer (undefined when absent; KMS.0308 naming `field` when malformed). */
function intParam(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw kmsErrors.invalid(field);
  return Number(v);
}

/** `since`: epoch milliseconds or an ISO 8601 time. */
export function parseSince(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^[0-9]{1,15}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw kmsErrors.invalid('since: epoch milliseconds or an ISO 8601 time');
  return t;
}

export function auditRoutes(d: { queries: AuditQueries }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/records', async (c) => {
    const keyId = c.req.query('key_id') || undefined;
    noteResource(c.get('audit'), keyId);
    return c.json(
      await d.queries.list(c.get('caller'), {
        keyId,
        since: parseSince(c.req.query('since')),
        limit: intParam(c.req.query('limit'), 'limit'),
        marker: intParam(c.req.query('marker'), 'marker'),
      }),
    );
  });
  app.get('/usage', async (c) => {
    const keyId = c.req.query('key_id');
    if (!keyId) throw kmsErrors.missing('key_id');
    noteResource(c.get('audit'), keyId);
    return c.json(await d.queries.usage(c.get('caller'), keyId));
  });
  app.get('/verify', async (c) => c.json(await d.queries.verify(c.get('caller'))));
  return app;
}
