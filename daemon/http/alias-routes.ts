/** KMS alias routes (reference 1g): create, delete (with a body), list with paging, associate. */
import { Hono } from 'hono';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { DewError } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { AliasService } from '../services/aliases.js';
import { compileBody } from './validate.js';
import { parseJson } from './kms-op.js';
import type { AppEnv } from './env.js';

type Body = Record<string, unknown>;

export function aliasRoutes(d: { aliases: AliasService; ajv: Ajv2020; schemas: Map<string, JsonSchema> }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const schema = (id: string) => {
    const s = d.schemas.get(id);
    if (!s) throw new Error(`schema ${id} is missing`);
    return compileBody<Body>(d.ajv, s);
  };
  const createBody = schema('kms/alias-create');
  const deleteBody = schema('kms/alias-delete');
  const associateBody = schema('kms/alias-associate');
  const int = (v: string | undefined, dflt: number, min: number, max: number, code: string, field: string) => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!/^[0-9]{1,10}$/.test(v) || n < min || n > max) throw new DewError(code, 400, `Invalid ${field}.`);
    return n;
  };

  app.post('/aliases', async (c) => {
    const b = createBody(parseJson(c.get('rawBody')));
    return c.json(await d.aliases.create(c.get('caller'), String(b.key_id), String(b.alias)), 201);
  });
  app.delete('/aliases', async (c) => {
    const b = deleteBody(parseJson(c.get('rawBody')));
    await d.aliases.delete(c.get('caller'), String(b.key_id), (b.aliases as string[]).map(String));
    return c.body(null, 204);
  });
  app.get('/aliases', (c) => {
    const limit = int(c.req.query('limit'), 100, 1, 1000, 'KMS.1601', 'limit');
    const marker = int(c.req.query('marker'), 0, 0, 2 ** 31 - 1, 'KMS.1602', 'marker');
    return c.json(d.aliases.list(c.get('caller'), c.req.query('key_id') || undefined, limit, marker));
  });
  app.post('/alias/associate', async (c) => {
    const b = associateBody(parseJson(c.get('rawBody')));
    return c.json(await d.aliases.associate(c.get('caller'), String(b.alias), String(b.target_key_id)));
  });
  return app;
}
