/** Replaces sensitive leaves of a value with a marker and drops unknown leaves (JSON plan `before`/`after`). */
import type { Json, MarkTree } from '../config/values.js';

export const REDACTED = '(sensitive value)';

export function redact(v: Json, sensitive: MarkTree | undefined): Json {
  if (sensitive === true) return REDACTED;
  if (!sensitive) return v;
  if (Array.isArray(v)) return v.map((x, i) => redact(x, Array.isArray(sensitive) ? sensitive[i] : undefined));
  if (v && typeof v === 'object') {
    const t = sensitive as Record<string, MarkTree>;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x, t[k])]));
  }
  return v;
}

/** Terraform's `after` omits values not known until apply; `after_unknown` says which. */
export function dropUnknown(v: Json, unknown: MarkTree | undefined): Json {
  if (unknown === true) return null;
  if (!unknown || typeof unknown !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => dropUnknown(x, Array.isArray(unknown) ? unknown[i] : undefined));
  if (v && typeof v === 'object') {
    const t = unknown as Record<string, MarkTree>;
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (t[k] !== true) out[k] = dropUnknown(x, t[k]);
    return out;
  }
  return v;
}
