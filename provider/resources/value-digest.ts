/**
 * The digest a plan, a saved plan and the stack keep instead of a secret value (ResourceType.digested):
 * `sha256:<hex>` of the value's UTF-8 text, as huaweicloud_csms_secret keeps a hash of secret_text in state
 * (there SHA-1; here SHA-256, the digest dew_kps_keypair already records for private keys).
 */
import { createHash } from 'node:crypto';
import type { Json } from '../config/values.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function valueDigest(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

export function isValueDigest(v: unknown): v is string {
  return typeof v === 'string' && DIGEST.test(v);
}

/** Canonical JSON (object keys sorted): the text a non-string value (a sensitive variable) is digested as. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The digest of any JSON value: a string's own text, anything else its canonical JSON. */
export function jsonDigest(v: Json): string {
  return valueDigest(typeof v === 'string' ? v : `json:${canonicalJson(v)}`);
}
