/**
 * The shape every KMS operation route shares: `POST /{operation}` with a JSON body validated by
 * schemas/kms/{operation}.json, one service call, the answer as JSON (200 with no body when the
 * service returns nothing, as the reference answers enable-key-rotation, revoke-grant, …).
 */
import type { Context, Hono } from 'hono';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { kmsErrors } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { Caller } from '../services/caller.js';
import { compileBody } from './validate.js';
import { noteResource } from './audit-trail.js';
import type { AppEnv } from './env.js';

export type OpBody = Record<string, unknown>;
export type OpHandler = (caller: Caller, body: OpBody, c: Context<AppEnv>) => Promise<unknown> | unknown;

export interface OpDeps {
  ajv: Ajv2020;
  schemas: Map<string, JsonSchema>;
}

/** Parses the raw body as JSON (KMS.0202 when it is not). */
export function parseJson(raw: Uint8Array): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch {
    throw kmsErrors.badJson();
  }
}

/** Strict Base64 (node's decoder skips junk silently): decode, re-encode, compare; `code` on failure. */
export function strictBase64(field: string, value: unknown, maxBytes: number, code = 'KMS.0308'): Buffer {
  const text = String(value);
  const buf = Buffer.from(text, 'base64');
  if (buf.length === 0 || buf.length > maxBytes || buf.toString('base64') !== text) {
    throw kmsErrors.invalid(`${field}: it must be Base64 of 1 to ${maxBytes} bytes`, code);
  }
  return buf;
}

/** Returns `op(name, handler, schemaId?)`, which mounts one operation on `app`; schemas compile once, here. */
export function kmsOps(app: Hono<AppEnv>, d: OpDeps): (name: string, handler: OpHandler, schemaId?: string) => void {
  return (name, handler, schemaId = `kms/${name}`) => {
    const schema = d.schemas.get(schemaId);
    if (!schema) throw new Error(`schema ${schemaId} is missing`);
    const validate = compileBody<OpBody>(d.ajv, schema);
    app.post(`/${name}`, async (c) => {
      const body = validate(parseJson(c.get('rawBody')));
      const audit = c.get('audit');
      noteResource(audit, body.key_id);
      const answer = await handler(c.get('caller'), body, c);
      if (answer === undefined) return c.body(null, 200);
      noteResource(audit, (answer as { key_id?: unknown }).key_id);
      return c.json(answer);
    });
  };
}
