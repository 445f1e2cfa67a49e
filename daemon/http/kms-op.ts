/**
 * The shape every KMS operation route shares: `POST /{operation}` with a JSON body validated by
 * schemas/kms/{operation}.json, one service call, the answer as JSON (200 with no body when the
 * service returns nothing, as the reference answers enable-key-rotation, revoke-grant, …).
 * Each operation is mounted on the Hono app and entered in the op table, from which the op lane
 * (http/op-lane.ts) serves the same operation without Hono's per-request machinery.
 */
import type { Hono } from 'hono';
import { exceedsJsonDepth } from './json-depth.js';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { kmsErrors } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { Caller } from '../services/caller.js';
import type { AuditDraft } from '../services/audit.js';
import { kmsOperationAccess, type Access } from '../services/authorization.js';
import { compileBody } from './validate.js';
import { noteResource } from './audit-trail.js';
import type { AppEnv } from './env.js';

export type OpBody = Record<string, unknown>;
export type OpHandler = (caller: Caller, body: OpBody) => Promise<unknown> | unknown;

/** One operation, ready to run on a raw body: validation, the service call, the key named in the audit record. */
export type OpRoute = (caller: Caller, raw: Uint8Array, audit: AuditDraft | undefined) => Promise<unknown>;

/** `POST /v1.0/{project_id}/kms/{operation}` routes by operation name, with what each needs of the caller. */
export type OpTable = Map<string, { run: OpRoute; access: Access }>;

export interface OpDeps {
  ajv: Ajv2020;
  schemas: Map<string, JsonSchema>;
  /** Where the operations are entered for the op lane (absent: Hono only). */
  ops?: OpTable;
}

/** Parses the raw body as JSON (KMS.0202 when it is not). */
export function parseJson(raw: Uint8Array): unknown {
  if (raw.length === 0) return {};
  if (exceedsJsonDepth(raw)) throw kmsErrors.badJson();
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
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
    const route: OpRoute = async (caller, raw, audit) => {
      const body = validate(parseJson(raw));
      noteResource(audit, body.key_id);
      let answer = handler(caller, body);
      // A handler answering at once is not awaited: one microtask turn less on the hot path.
      if (answer instanceof Promise) answer = await answer;
      if (answer !== undefined) noteResource(audit, (answer as { key_id?: unknown }).key_id);
      return answer;
    };
    d.ops?.set(name, { run: route, access: kmsOperationAccess(name) });
    app.post(`/${name}`, async (c) => {
      const answer = await route(c.get('caller'), c.get('rawBody'), c.get('audit'));
      return answer === undefined ? c.body(null, 200) : c.json(answer);
    });
  };
}
