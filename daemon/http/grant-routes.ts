/** KMS grant routes (reference 1d): create, list, list-retirable, revoke, retire. */
import { Hono } from 'hono';
import type { CreateGrantInput, GrantService } from '../services/grants.js';
import { strNum } from './validate.js';
import { kmsOps, type OpDeps } from './kms-op.js';
import type { AppEnv } from './env.js';

/** The op-route needs (ajv, schemas, op table) and this module's services. */
export interface GrantRouteDeps extends OpDeps {
  grants: GrantService;
}

const num = (v: unknown) => (v === undefined ? undefined : strNum(v));

export function grantRoutes(d: GrantRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const op = kmsOps(app, d);
  op('create-grant', (caller, b) => d.grants.create(caller, b as unknown as CreateGrantInput));
  op('list-grants', (caller, b) => d.grants.list(caller, String(b.key_id), num(b.limit), num(b.marker)));
  op('list-retirable-grants', (caller, b) => d.grants.listRetirable(caller, num(b.limit), num(b.marker)));
  op('revoke-grant', async (caller, b) => {
    await d.grants.revoke(caller, String(b.key_id), String(b.grant_id).toLowerCase());
    return undefined;
  });
  op('retire-grant', async (caller, b) => {
    await d.grants.retire(caller, String(b.key_id), String(b.grant_id).toLowerCase());
    return undefined;
  });
  return app;
}
