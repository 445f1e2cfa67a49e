/** Wire helpers shared by the service modules' handlers: strict decodings of request fields. */
import { kmsErrors, REFERENCE_MESSAGES } from '../errors.js';

/** Strict Base64 (node's decoder skips junk silently): decode, re-encode, compare; `code` on failure. */
export function strictBase64(field: string, value: unknown, maxBytes: number, code = 'KMS.0308'): Buffer {
  const text = String(value);
  const buf = Buffer.from(text, 'base64');
  if (buf.length === 0 || buf.length > maxBytes || buf.toString('base64') !== text) {
    throw kmsErrors.invalidAs(field, `it must be Base64 of 1 to ${maxBytes} bytes`, code);
  }
  return buf;
}

/**
 * A query-string integer: decimal digits only, in [min, max]; `dflt` when absent or empty. A bad
 * value answers `code` (KMS.0308 unless the reference gives the parameter its own, as KMS.1601 for
 * limit) with the reference message for that code, or "Invalid <field>.".
 */
export function queryInt(v: string | undefined, o: { field: string; max: number; min?: number; code?: string }): number | undefined;
export function queryInt(v: string | undefined, o: { field: string; max: number; min?: number; code?: string; dflt: number }): number;
export function queryInt(v: string | undefined, o: { field: string; max: number; min?: number; code?: string; dflt?: number }): number | undefined {
  if (v === undefined || v === '') return o.dflt;
  const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= (o.min ?? 0) && n <= o.max)) {
    const code = o.code ?? 'KMS.0308';
    throw code in REFERENCE_MESSAGES ? kmsErrors.reference(code) : kmsErrors.invalid(o.field, code);
  }
  return n;
}

/** A body field given as a JSON string or number, as a number (KMS sends many integers as strings). */
export function strNum(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
