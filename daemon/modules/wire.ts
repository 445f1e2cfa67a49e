/** Wire helpers shared by the service modules' handlers: strict decodings of request fields. */
import { kmsErrors } from '../errors.js';

/** Strict Base64 (node's decoder skips junk silently): decode, re-encode, compare; `code` on failure. */
export function strictBase64(field: string, value: unknown, maxBytes: number, code = 'KMS.0308'): Buffer {
  const text = String(value);
  const buf = Buffer.from(text, 'base64');
  if (buf.length === 0 || buf.length > maxBytes || buf.toString('base64') !== text) {
    throw kmsErrors.invalid(`${field}: it must be Base64 of 1 to ${maxBytes} bytes`, code);
  }
  return buf;
}

/** A body field given as a JSON string or number, as a number (KMS sends many integers as strings). */
export function strNum(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
