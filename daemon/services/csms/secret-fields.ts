/**
 * The secret service's pure wire rules (reference 5): value decoding and limits, the rotation
 * period format, version ids, and the answer shapes of a secret and a version's metadata. CSMS
 * times on the wire are epoch seconds; the database keeps milliseconds.
 */
import { csmsErrors } from '../../errors.js';
import { strictBase64 } from '../../modules/wire.js';
import { FORBIDDEN_IN_TAGS } from '../tags.js';
import type { SecretRow, VersionRow } from '../../store/csms-repo.js';

/** A secret value is at most 32 KB (reference: secret_string / secret_binary ≤ 32 KB). */
export const MAX_VALUE_BYTES = 32 * 1024;
/** At most this many stage labels a secret carries. */
export const MAX_STAGES = 12;
/** At most this many tags a secret carries. */
export const MAX_TAGS = 20;
/** Rotation periods between 6 hours and 8760 hours (one year). */
const MIN_PERIOD_MS = 6 * 3600_000;
const MAX_PERIOD_MS = 8760 * 3600_000;

export type ValueKind = 'text' | 'binary';

/** A value as given: exactly one of `secret_string` (UTF-8) or `secret_binary` (Base64). */
export function valueOf(body: { secret_string?: unknown; secret_binary?: unknown }, required: boolean): { bytes: Buffer; kind: ValueKind } | undefined {
  const hasText = body.secret_string !== undefined;
  const hasBinary = body.secret_binary !== undefined;
  if (hasText && hasBinary) throw csmsErrors.invalid('secret_string', 'give secret_string or secret_binary, not both');
  if (!hasText && !hasBinary) {
    if (required) throw csmsErrors.badRequest('give secret_string or secret_binary');
    return undefined;
  }
  if (hasText) {
    const bytes = Buffer.from(String(body.secret_string), 'utf8');
    if (bytes.length === 0 || bytes.length > MAX_VALUE_BYTES) throw csmsErrors.invalid('secret_string', `it must be 1 to ${MAX_VALUE_BYTES} bytes`);
    return { bytes, kind: 'text' };
  }
  return { bytes: strictBase64('secret_binary', body.secret_binary, MAX_VALUE_BYTES, 'CSMS.0002'), kind: 'binary' };
}

/** The answer fields of a value: `secret_string` or `secret_binary` as it was given. */
export function valueFields(value: Buffer, kind: string): Record<string, string> {
  return kind === 'binary' ? { secret_binary: value.toString('base64') } : { secret_string: value.toString('utf8') };
}

/** `<int><d|h|m|s>` between 6h and 8760h, in milliseconds. */
export function rotationPeriodMs(period: string): number {
  const m = /^([1-9][0-9]{0,9})([dhms])$/.exec(period);
  const unit = m ? { d: 86400_000, h: 3600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'] : 0;
  const ms = m ? Number(m[1]) * unit : NaN;
  if (!(ms >= MIN_PERIOD_MS && ms <= MAX_PERIOD_MS)) throw csmsErrors.invalid('rotation_period', 'use <number><d|h|m|s> between 6h and 8760h, such as 30d');
  return ms;
}

/** `v3` → 3; anything else is refused (`latest` is resolved by the caller first). */
export function versionNumber(id: string): number {
  const m = /^v([1-9][0-9]{0,9})$/.exec(id);
  if (!m) throw csmsErrors.invalid('version_id', 'use v1, v2, … or latest');
  return Number(m[1]);
}

export const versionId = (n: number): string => `v${n}`;

const seconds = (ms: number | null | undefined): number | null => (ms === null || ms === undefined ? null : Math.floor(ms / 1000));

/** A wire expire_time (epoch seconds) in ms; it must lie in the future. */
export function expireTimeMs(expire: unknown, now: number): number {
  const n = typeof expire === 'number' ? expire : Number.NaN;
  if (!Number.isInteger(n) || n * 1000 <= now || n > 253402300799) throw csmsErrors.invalid('expire_time', 'epoch seconds in the future');
  return n * 1000;
}

export function parseJsonList(text: string): string[] {
  return JSON.parse(text) as string[];
}

/** The reference's Secret object. */
export function secretEntity(r: SecretRow): Record<string, unknown> {
  return {
    id: r.secretId,
    name: r.name,
    state: r.state,
    kms_key_id: r.kmsKeyId,
    description: r.description,
    create_time: seconds(r.createTime),
    update_time: seconds(r.updateTime),
    scheduled_delete_time: seconds(r.scheduledDeleteTime),
    secret_type: r.secretType,
    auto_rotation: r.autoRotation === 1,
    rotation_period: r.rotationPeriod ?? '',
    rotation_config: r.rotationConfig ?? '',
    rotation_time: seconds(r.rotationTime),
    next_rotation_time: seconds(r.nextRotationTime),
    event_subscriptions: parseJsonList(r.eventSubscriptions),
    enterprise_project_id: r.enterpriseProjectId,
    rotation_func_urn: r.rotationFuncUrn ?? '',
  };
}

/** The reference's VersionMetadata. */
export function versionMetadata(v: VersionRow, secretName: string, stages: readonly string[]): Record<string, unknown> {
  return {
    id: versionId(v.version),
    create_time: seconds(v.createTime),
    expire_time: seconds(v.expireTime),
    kms_key_id: v.kmsKeyId,
    secret_name: secretName,
    version_stages: [...stages],
  };
}

/** Tags as the reference lists them. */
export function tagList(tagsJson: string): { key: string; value: string }[] {
  return Object.entries(JSON.parse(tagsJson) as Record<string, string>).map(([key, value]) => ({ key, value }));
}

/** A tag as given: key 1–128, value 0–255 characters, no control characters or * < > \\ =, no `_sys_` prefix. */
export function checkTag(key: unknown, value: unknown): { key: string; value: string } {
  if (typeof key !== 'string' || key.trim().length === 0 || [...key].length > 128 || FORBIDDEN_IN_TAGS.test(key)) throw csmsErrors.invalid('tag key', '1 to 128 characters, none of them a control character or * < > \\ =');
  if (key.toLowerCase().startsWith('_sys_')) throw csmsErrors.invalid('tag key', 'the _sys_ prefix is reserved for the system');
  const v = value ?? '';
  if (typeof v !== 'string' || [...v].length > 255 || FORBIDDEN_IN_TAGS.test(v)) throw csmsErrors.invalid('tag value', 'at most 255 characters, none of them a control character or * < > \\ =');
  return { key, value: v };
}
