/** Request bodies as JSON: the one parser every route's body goes through (KMS.0202 when it is not JSON). */
import { kmsErrors } from '../errors.js';
import { exceedsJsonDepth } from './json-depth.js';

/** Parses the raw body as JSON (an empty body is `{}`); nesting deeper than json-depth.ts allows is KMS.0202 too. */
export function parseJson(raw: Uint8Array): unknown {
  if (raw.length === 0) return {};
  if (exceedsJsonDepth(raw)) throw kmsErrors.badJson();
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch {
    throw kmsErrors.badJson();
  }
}
