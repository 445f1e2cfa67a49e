/** KMS grant routes (reference 1d): create, list, list-retirable, revoke, retire. */
import { Hono } from 'hono';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { CreateGrantInput, GrantService } from '../services/grants.js';
import { strNum } from './validate.js';
import { kmsOps, type OpTable } from './kms-op.js';
import type { AppEnv } from './env.js';

export interface GrantRouteDeps {
  grants: GrantService;
  ajv: Ajv2020;
  schemas: Map<string, JsonSchema>;
  /** The op table the operations are entered in (http/kms-op.ts). */
  ops?: OpTable;
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
