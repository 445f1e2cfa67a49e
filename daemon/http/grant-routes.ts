/** KMS grant routes (reference 1d): create, list, list-retirable, revoke, retire. */
import { Hono } from 'hono';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { Caller } from '../services/caller.js';
import type { CreateGrantInput, GrantService } from '../services/grants.js';
import { compileBody, strNum } from './validate.js';
import { parseJson } from './kms-routes.js';
import type { AppEnv } from './env.js';

export interface GrantRouteDeps {
  grants: GrantService;
  ajv: Ajv2020;
  schemas: Map<string, JsonSchema>;
}

type Body = Record<string, unknown>;
const num = (v: unknown) => (v === undefined ? undefined : strNum(v));

export function grantRoutes(d: GrantRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const op = (name: string, handler: (caller: Caller, b: Body) => Promise<unknown> | unknown) => {
    const schema = d.schemas.get(`kms/${name}`);
    if (!schema) throw new Error(`schema kms/${name} is missing`);
    const validate = compileBody<Body>(d.ajv, schema);
    app.post(`/${name}`, async (c) => {
      const answer = await handler(c.get('caller'), validate(parseJson(c.get('rawBody'))));
      return answer === undefined ? c.body(null, 200) : c.json(answer);
    });
  };
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
