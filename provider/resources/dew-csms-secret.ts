/**
 * dew_csms_secret: a secret, as huaweicloud_csms_secret (reference 5: POST/GET/PUT /v1/{project_id}/secrets[/{name}],
 * POST …/versions, PUT …/versions/{v}, tags, POST …/scheduled-deleted-tasks/create). The value (secret_text or
 * secret_binary) is the current version's (SYSCURRENT, what versions/latest reads) and is digested: plans and the
 * stack keep `sha256:<hex>`, and a new value is a new version made in place. When the current version is not
 * the one recorded (a version made, or SYSCURRENT moved, outside dew) the value shows as changed.
 * Destroying schedules the deletion; a replacement that keeps the name deletes the old secret at once.
 */
import { jsonEqual } from '../config/values.js';
import { apiErrorStatus, type DewApi } from './api.js';
import { SECRETS, latestValueDigest, readSecret, secretPath, splitSecretId } from './csms-secret-live.js';
import { loadResourceSchema } from './load-schema.js';
import { PartialCreateError, str, type Attributes, type ResourceType } from './resource-type.js';
import { valueDigest } from './value-digest.js';

type Obj = Record<string, unknown>;

/** The value arguments, exactly one of which is set; both are digested. */
const VALUES = ['secret_text', 'secret_binary'] as const;
/** What PUT /secrets/{name} changes. */
const UPDATABLE = ['kms_key_id', 'description', 'auto_rotation', 'rotation_period', 'event_subscriptions'] as const;
const DEFAULT_RECOVERY_DAYS = 30;
const MAX_VALUE_BYTES = 32 * 1024;

/** `6h`, `30d`: seconds, or NaN. */
function periodSeconds(p: string): number {
  const m = /^(\d{1,5})([dhms])$/.exec(p);
  return m ? Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's'] : NaN;
}

function tagMap(v: unknown): Record<string, string> {
  if (Array.isArray(v)) return Object.fromEntries(v.filter((t): t is Obj => typeof t === 'object' && t !== null).map((t) => [str(t.key), str(t.value)]));
  return typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, str(x)])) : {};
}

/** The reference keeps seconds, the resource (as huaweicloud_csms_secret) milliseconds. */
const secondsFromMs = (v: unknown): number | undefined => (typeof v === 'number' ? Math.floor(v / 1000) : undefined);

/** Epoch seconds (CSMS times on the wire) as milliseconds. */
const msOf = (v: unknown): number | null => (typeof v === 'number' && v > 0 ? v * 1000 : null);

/** The secret's attributes from its live object (csms-secret-live.ts), values aside. */
function liveAttributes(live: Obj): Attributes | null {
  if (!live.name || live.state === 'PENDING_DELETE') return null; // pending deletion: gone for the stack, as a key pending deletion
  const subs = Array.isArray(live.event_subscriptions) ? (live.event_subscriptions as unknown[]).map(String).sort() : [];
  const attrs: Attributes = {
    id: `${str(live.id)}/${str(live.name)}`,
    secret_id: str(live.id),
    name: str(live.name),
    kms_key_id: str(live.kms_key_id),
    description: str(live.description),
    secret_type: str(live.secret_type) || 'COMMON',
    enterprise_project_id: typeof live.enterprise_project_id === 'string' && live.enterprise_project_id !== '' ? live.enterprise_project_id : null,
    event_subscriptions: subs,
    tags: tagMap(live.tags),
    auto_rotation: live.auto_rotation === true,
    rotation_period: typeof live.rotation_period === 'string' && live.rotation_period !== '' ? live.rotation_period : null,
    latest_version: str(live.latest_version),
    version_stages: Array.isArray(live.version_stages) ? (live.version_stages as unknown[]).map(String).sort() : [],
    create_time: msOf(live.create_time),
    status: str(live.status ?? live.state),
  };
  // a live view without the current version's expiry leaves the one last applied standing
  if ('expire_time' in live) attrs.expire_time = msOf(live.expire_time);
  return attrs;
}

/** What stands in for the value when a version was made outside dew: never equal to a configured value's digest. */
const changedOutside = (version: string): string => `(changed outside dew: the latest version is ${version || 'none'})`;

function fromLive(live: Obj, previous?: Attributes): Attributes | null {
  const attrs = liveAttributes(live);
  if (!attrs) return null;
  if (typeof live.value_digest === 'string') {
    // dew import read the latest value and digested it
    const kind = live.value_kind === 'binary' ? 'secret_binary' : 'secret_text';
    for (const k of VALUES) attrs[k] = k === kind ? live.value_digest : null;
  } else if (previous && typeof previous.latest_version === 'string' && previous.latest_version !== attrs.latest_version) {
    // the recorded digest describes a version that is no longer the latest: the value changed outside dew
    const kind = typeof previous.secret_binary === 'string' ? 'secret_binary' : 'secret_text';
    attrs[kind] = changedOutside(str(attrs.latest_version));
  }
  return attrs;
}

/** The digested value arguments after a create or update: the digest of each value sent, else the one held. */
function valueAttributes(sent: Partial<Record<(typeof VALUES)[number], string>>, before: Attributes): Attributes {
  const out: Attributes = {};
  const kind = VALUES.find((k) => sent[k] !== undefined);
  for (const k of VALUES) out[k] = kind ? (k === kind ? valueDigest(sent[k]!) : null) : (before[k] ?? null);
  return out;
}

async function attributesNow(api: DewApi, name: string, values: Attributes, a: Attributes): Promise<Attributes> {
  const live = await readSecret(api, name);
  const attrs = live ? liveAttributes(live) : null;
  if (!attrs) throw new Error(`the secret ${name} disappeared while it was being changed`);
  return { ...attrs, ...values, recovery_window_in_days: typeof a.recovery_window_in_days === 'number' ? a.recovery_window_in_days : DEFAULT_RECOVERY_DAYS };
}

async function setTags(api: DewApi, secretId: string, action: 'create' | 'delete', tags: Record<string, string>): Promise<void> {
  const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
  if (list.length) await api.request('POST', `/v1/{project_id}/csms/${encodeURIComponent(secretId)}/tags/action`, { action, tags: list });
}

/** The value fields of a version body for the configured value. */
function valueBody(a: Attributes): { body: Obj; sent: Partial<Record<(typeof VALUES)[number], string>> } {
  if (typeof a.secret_binary === 'string') return { body: { secret_binary: a.secret_binary }, sent: { secret_binary: a.secret_binary } };
  if (typeof a.secret_text === 'string') return { body: { secret_string: a.secret_text }, sent: { secret_text: a.secret_text } };
  return { body: {}, sent: {} };
}

/** A create refused because the name is held by a secret pending deletion: say how to get it back. */
async function explainTaken(api: DewApi, name: string, cause: unknown): Promise<never> {
  const status = apiErrorStatus(cause).status;
  if (status !== undefined && status >= 400 && status < 500) {
    const live = await readSecret(api, name).catch(() => null);
    if (live?.state === 'PENDING_DELETE') {
      const e = new Error(`the name ${name} is held by a secret pending deletion: cancel it with \`dew csms cancel-deletion --name ${name}\` and adopt it with \`dew import\`, or choose another name`, { cause });
      const code = apiErrorStatus(cause).code;
      if (code) (e as { code?: string }).code = code;
      throw e;
    }
  }
  throw cause;
}

export const dewCsmsSecret: ResourceType = {
  type: 'dew_csms_secret',
  schema: loadResourceSchema('dew_csms_secret'),
  // the API moves no secret between enterprise projects (huaweicloud_csms_secret migrates it with the EPS API)
  forceNew: ['name', 'secret_type', 'enterprise_project_id'],
  sensitive: [...VALUES],
  digested: [...VALUES],
  optionalComputed: ['kms_key_id', 'enterprise_project_id', 'expire_time', 'tags', 'rotation_period'],
  writeOnly: ['recovery_window_in_days'],

  check(a, present = new Set(Object.keys(a))) {
    const out: { attribute: string; message: string }[] = [];
    const given = VALUES.filter((k) => present.has(k));
    if (given.length !== 1) out.push({ attribute: given[1] ?? 'name', message: given.length ? 'secret_text and secret_binary conflict: set exactly one of them' : 'set exactly one of secret_text and secret_binary (the value)' });
    // messages name the attribute only: never the value
    if (typeof a.secret_text === 'string' && Buffer.byteLength(a.secret_text, 'utf8') > MAX_VALUE_BYTES) out.push({ attribute: 'secret_text', message: `secret_text is longer than ${MAX_VALUE_BYTES} bytes (UTF-8)` });
    if (typeof a.secret_binary === 'string') {
      const bytes = Buffer.from(a.secret_binary, 'base64');
      if (bytes.toString('base64') !== a.secret_binary) out.push({ attribute: 'secret_binary', message: 'secret_binary is not canonical Base64 (filebase64("file") gives it)' });
      else if (bytes.length > MAX_VALUE_BYTES) out.push({ attribute: 'secret_binary', message: `secret_binary decodes to more than ${MAX_VALUE_BYTES} bytes` });
    }
    if (a.auto_rotation === true && !present.has('rotation_period')) out.push({ attribute: 'auto_rotation', message: 'auto_rotation = true needs rotation_period (6h to 8760h)' });
    if (typeof a.rotation_period === 'string') {
      const s = periodSeconds(a.rotation_period);
      if (!(s >= 6 * 3600 && s <= 8760 * 3600)) out.push({ attribute: 'rotation_period', message: `rotation_period must be between 6h and 8760h, got ${a.rotation_period}` });
    }
    if (typeof a.expire_time === 'number' && a.expire_time % 1000 !== 0) out.push({ attribute: 'expire_time', message: 'expire_time is in milliseconds and must be a multiple of 1000 (the service keeps seconds)' });
    return out;
  },

  fromLive,

  async read(api, objectId) {
    const { secretId, name } = splitSecretId(objectId);
    const live = await readSecret(api, name, secretId);
    if (!live) return null;
    return { ...live, ...((await latestValueDigest(api, name)) ?? {}) };
  },

  async create(api, a) {
    const name = str(a.name);
    const { body: value, sent } = valueBody(a);
    const body: Obj = { name, ...value };
    for (const k of ['kms_key_id', 'secret_type', 'enterprise_project_id', 'rotation_period'] as const) if (typeof a[k] === 'string') body[k] = a[k];
    if (typeof a.description === 'string' && a.description !== '') body.description = a.description;
    if (typeof a.auto_rotation === 'boolean') body.auto_rotation = a.auto_rotation;
    if (Array.isArray(a.event_subscriptions) && a.event_subscriptions.length) body.event_subscriptions = a.event_subscriptions;
    let made: Obj;
    try {
      made = (((await api.request('POST', SECRETS, body)).body ?? {}) as { secret?: Obj }).secret ?? {};
    } catch (e) {
      return explainTaken(api, name, e);
    }
    const secretId = str(made.id);
    if (!secretId) throw new Error('create-secret returned no secret id');
    const objectId = `${secretId}/${name}`;
    const values = valueAttributes(sent, {});
    try {
      await setTags(api, secretId, 'create', tagMap(a.tags));
      if (typeof a.expire_time === 'number') await api.request('PUT', `${secretPath(name)}/versions/v1`, { expire_time: secondsFromMs(a.expire_time) });
    } catch (cause) {
      // the secret and its first version exist: record them, and the next plan finishes the tags / expiry
      const now = await attributesNow(api, name, values, a).catch(() => ({ id: objectId, secret_id: secretId, name, ...values }) as Attributes);
      throw new PartialCreateError(objectId, now, cause);
    }
    return { objectId, attributes: await attributesNow(api, name, values, a) };
  },

  async update(api, objectId, before, after) {
    const name = splitSecretId(objectId).name;
    const put: Obj = {};
    for (const k of UPDATABLE) if (after[k] !== undefined && after[k] !== null && !jsonEqual(after[k], before[k] ?? null)) put[k] = after[k];
    if (Object.keys(put).length) await api.request('PUT', secretPath(name), put);

    if (after.tags !== undefined && after.tags !== null) {
      const old = tagMap(before.tags);
      const next = tagMap(after.tags);
      const secretId = str(before.secret_id) || splitSecretId(objectId).secretId;
      await setTags(api, secretId, 'delete', Object.fromEntries(Object.entries(old).filter(([k, v]) => next[k] !== v)));
      await setTags(api, secretId, 'create', Object.fromEntries(Object.entries(next).filter(([k, v]) => old[k] !== v)));
    }

    // after holds the value read from the configuration where it is configured, else the digest held (the same string)
    const changed = VALUES.filter((k) => typeof after[k] === 'string' && after[k] !== before[k] && valueDigest(after[k] as string) !== before[k]);
    const { body: value, sent } = changed.length ? valueBody(Object.fromEntries(changed.map((k) => [k, after[k]]))) : { body: {}, sent: {} };
    const expire = after.expire_time !== undefined && after.expire_time !== null && after.expire_time !== before.expire_time ? secondsFromMs(after.expire_time) : undefined;
    if (changed.length) {
      // a new value is a new version; it takes SYSCURRENT, the old one SYSPREVIOUS
      await api.request('POST', `${secretPath(name)}/versions`, { ...value, ...(typeof after.expire_time === 'number' ? { expire_time: secondsFromMs(after.expire_time) } : {}) });
    } else if (expire !== undefined && typeof before.latest_version === 'string' && before.latest_version !== '') {
      await api.request('PUT', `${secretPath(name)}/versions/${encodeURIComponent(before.latest_version)}`, { expire_time: expire });
    }
    return attributesNow(api, name, valueAttributes(sent, before), after);
  },

  async delete(api, objectId, a, ctx) {
    const name = splitSecretId(objectId).name || str(a.name);
    try {
      if (ctx.replacing && ctx.replacement?.name === name) {
        // the replacement needs the name now, and a secret pending deletion keeps it: delete at once
        await api.request('DELETE', secretPath(name));
        return { outcome: 'Deleted at once (the replacement takes its name)' };
      }
      const days = typeof a.recovery_window_in_days === 'number' ? a.recovery_window_in_days : DEFAULT_RECOVERY_DAYS;
      const res = (await api.request('POST', `${secretPath(name)}/scheduled-deleted-tasks/create`, { recovery_window_in_days: days })).body as { secret?: Obj } | undefined;
      const at = msOf(res?.secret?.scheduled_delete_time);
      const when = at !== null ? new Date(at).toISOString().replace('.000Z', 'Z') : undefined;
      return { outcome: when ? `Deletion scheduled for ${when}` : 'Deletion scheduled' };
    } catch (e) {
      if (apiErrorStatus(e).status === 404) return; // already gone: the goal is reached
      throw e;
    }
  },

  // a new value is a new version: the latest one and its stages are known once it is made
  recomputed: (changed) => (changed.some((k) => (VALUES as readonly string[]).includes(k)) ? ['latest_version', 'version_stages'] : []),

  destroyNotes(_objectId, before, replacing, after) {
    const name = str(before.name);
    if (replacing && after?.name === before.name)
      return ['the secret is deleted at once with all its versions, not scheduled: its replacement takes the same name'];
    const days = typeof before.recovery_window_in_days === 'number' ? before.recovery_window_in_days : DEFAULT_RECOVERY_DAYS;
    return [`the secret is scheduled for deletion in ${days} days, not deleted at once; until then \`dew csms cancel-deletion --name ${name}\` restores it`];
  },
};
Object.freeze(dewCsmsSecret);
