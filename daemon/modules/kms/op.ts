/**
 * The shape most KMS routes share (reference section 1): `POST /{operation}` with a JSON body
 * validated by schemas/kms/{operation}.json, one service call, the answer as JSON (200 with no
 * body when the service returns nothing, as the reference answers enable-key-rotation,
 * revoke-grant, …). The permission is declared beside each operation.
 */
import type { Caller } from '../../services/caller.js';
import type { Body, Permission, RouteSpec } from '../contract.js';

export type OpHandler = (caller: Caller, body: Body) => unknown;

/** `POST /{name}`: operation `name`, body schema `kms/{name}` unless another is given. */
export function op(name: string, permission: Permission, handler: OpHandler, schema = `kms/${name}`): RouteSpec {
  return { method: 'POST', path: `/${name}`, operation: name, permission, schema, handler: (r) => handler(r.caller, r.body) };
}

/** A string field, or undefined when absent. */
export const optStr = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
