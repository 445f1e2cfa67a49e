/**
 * tfplugin6 `DynamicValue` in and out: read msgpack when present, else JSON, else null (as
 * Terraform does); always answer msgpack.
 */
import type { CtyType } from './types.js';
import type { CtyValue } from './values.js';
import { decodeMsgpack, encodeMsgpack } from './msgpack.js';
import { decodeJson } from './json.js';

/** A DynamicValue as proto-loader gives it (bytes as Buffer; `defaults: true` makes absent fields empty). */
export interface DynamicValueMessage {
  msgpack?: Uint8Array | null;
  json?: Uint8Array | null;
}

export function decodeDynamicValue(t: CtyType, dv: DynamicValueMessage | null | undefined): CtyValue {
  if (dv?.msgpack && dv.msgpack.length > 0) return decodeMsgpack(t, dv.msgpack);
  if (dv?.json && dv.json.length > 0) return decodeJson(t, dv.json);
  return null;
}

export function encodeDynamicValue(t: CtyType, v: CtyValue): { msgpack: Buffer } {
  return { msgpack: encodeMsgpack(t, v) };
}
