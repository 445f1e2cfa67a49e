/**
 * IAM admin endpoints under /v1.0/{project_id}/dew/iam, signed like every call and open to the
 * `KMS Administrator` role only (services/authorization.ts). `account` (name or domain id) picks
 * another account; only administrators of the operator account may name one.
 */
import { Hono, type Context } from 'hono';
import { kmsErrors } from '../errors.js';
import type { IamAdmin } from '../services/iam-admin.js';
import { parseJson } from './kms-op.js';
import type { AppEnv } from './env.js';

type Body = Record<string, unknown>;

function body(c: Context<AppEnv>): Body {
  const b = parseJson(c.get('rawBody'));
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw kmsErrors.badJson();
  return b as Body;
}

/** `account` from the body, else from the query string. */
function accountOf(c: Context<AppEnv>, b?: Body): string | undefined {
  const v = b?.account ?? c.req.query('account');
  return v === undefined ? undefined : String(v);
}

export function adminRoutes(d: { iam: IamAdmin }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/users', async (c) => {
    const b = body(c);
    return c.json(await d.iam.createUser(c.get('caller'), { name: b.name, roles: b.roles, account: accountOf(c, b) }), 201);
  });
  app.get('/users', (c) => c.json(d.iam.listUsers(c.get('caller'), accountOf(c))));
  app.delete('/users/:user', async (c) => c.json(await d.iam.deleteUser(c.get('caller'), c.req.param('user'), accountOf(c))));
  app.post('/users/:user/access-keys', async (c) => {
    const b = body(c);
    return c.json(await d.iam.createAccessKey(c.get('caller'), c.req.param('user'), accountOf(c, b)), 201);
  });
  app.put('/users/:user/roles', async (c) => {
    const b = body(c);
    return c.json(await d.iam.setRoles(c.get('caller'), c.req.param('user'), b.roles, accountOf(c, b)));
  });
  app.delete('/access-keys/:ak', async (c) => c.json(await d.iam.deleteAccessKey(c.get('caller'), c.req.param('ak'))));
  app.get('/ip-acl', (c) => c.json(d.iam.getIpAcl(c.get('caller'), accountOf(c))));
  app.put('/ip-acl', async (c) => {
    const b = body(c);
    return c.json(await d.iam.setIpAcl(c.get('caller'), b.cidrs, accountOf(c, b)));
  });
  app.delete('/ip-acl', async (c) => c.json(await d.iam.setIpAcl(c.get('caller'), [], accountOf(c))));
  return app;
}
