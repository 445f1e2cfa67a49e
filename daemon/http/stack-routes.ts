/** Stack routes for the declarative tool: read a stack with live objects, lock, record and forget objects. */
import { Hono } from 'hono';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { DewError } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { StackService, StackObjectInput } from '../services/stacks.js';
import { compileBody } from './validate.js';
import { parseJson } from './kms-op.js';
import type { AppEnv } from './env.js';

const STACK_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function stackRoutes(d: { stacks: StackService; ajv: Ajv2020; schemas: Map<string, JsonSchema> }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const schema = (id: string) => {
    const s = d.schemas.get(id);
    if (!s) throw new Error(`schema ${id} is missing`);
    return compileBody<Record<string, unknown>>(d.ajv, s);
  };
  const lockBody = schema('dew/stack-lock');
  const putBody = schema('dew/stack-object-put');
  const deleteBody = schema('dew/stack-object-delete');
  const stackName = (name: string) => {
    if (!STACK_NAME.test(name)) throw new DewError('KMS.0308', 400, 'Invalid stack name: 1 to 128 of A-Z a-z 0-9 _ . -');
    return name;
  };
  const int = (v: string | undefined, dflt: number, max: number, field: string) => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new DewError('KMS.0308', 400, `Invalid ${field}.`);
    return n;
  };

  app.get('/:stack', async (c) => {
    const limit = Math.max(1, int(c.req.query('limit'), 1000, 1000, 'limit'));
    const offset = int(c.req.query('marker'), 0, 2 ** 31 - 1, 'marker');
    return c.json(await d.stacks.read(c.get('caller'), stackName(c.req.param('stack')), limit, offset));
  });
  app.post('/:stack/lock', async (c) => {
    const b = lockBody(parseJson(c.get('rawBody')));
    return c.json(await d.stacks.lock(c.get('caller'), stackName(c.req.param('stack')), String(b.who), String(b.operation)));
  });
  app.delete('/:stack/lock', async (c) => {
    const lockId = c.req.query('lock_id');
    if (!lockId) throw new DewError('KMS.0204', 400, 'The request message lacks required parameters: lock_id.');
    await d.stacks.unlock(c.get('caller'), stackName(c.req.param('stack')), lockId);
    return c.body(null, 204);
  });
  app.put('/:stack/objects', async (c) => {
    const b = putBody(parseJson(c.get('rawBody'))) as unknown as StackObjectInput;
    return c.json(await d.stacks.putObject(c.get('caller'), stackName(c.req.param('stack')), b));
  });
  app.delete('/:stack/objects', async (c) => {
    const b = deleteBody(parseJson(c.get('rawBody')));
    return c.json(await d.stacks.deleteObject(c.get('caller'), stackName(c.req.param('stack')), String(b.lock_id), String(b.address)));
  });
  return app;
}
