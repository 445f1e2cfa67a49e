/** dew_kms_key: a customer master key, as huaweicloud_kms_key (create-key, alias/description/enable/rotation/tags updates, scheduled deletion). */
import { apiErrorStatus, type DewApi } from './api.js';
import { loadResourceSchema } from './load-schema.js';
import { PartialCreateError, str, type Attributes, type ResourceType } from './resource-type.js';

const ASYMMETRIC = /^(RSA_|EC_|SECP|SM2|ED25519)/;

/** `<alias>-replaced-<first 8 of key id>` (or `-deleted-`), cut to the reference's 255 characters. */
export function tombstoneAlias(alias: string, keyId: string, replacing: boolean): string {
  const suffix = `-${replacing ? 'replaced' : 'deleted'}-${keyId.slice(0, 8)}`;
  return alias.slice(0, 255 - suffix.length) + suffix;
}

function tagsOf(v: unknown): Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : {};
}

async function setTags(api: DewApi, keyId: string, action: 'create' | 'delete', tags: Record<string, string>): Promise<void> {
  const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
  if (list.length) await api.request('POST', `/v1.0/{project_id}/kms/${encodeURIComponent(keyId)}/tags/action`, { action, tags: list });
}

async function describe(api: DewApi, keyId: string): Promise<Record<string, unknown>> {
  const res = (await api.kms('describe-key', { key_id: keyId })) as { key_info?: Record<string, unknown> };
  return res.key_info ?? {};
}

function keyAttributes(info: Record<string, unknown>, extra: Attributes): Attributes {
  return {
    id: str(info.key_id),
    key_id: str(info.key_id),
    key_alias: str(info.key_alias),
    key_algorithm: str(info.key_spec),
    key_usage: str(info.key_usage),
    key_description: str(info.key_description),
    origin: str(info.origin),
    keystore_id: str(info.keystore_id),
    domain_id: str(info.domain_id),
    key_state: str(info.key_state),
    creation_date: str(info.creation_date),
    scheduled_deletion_date: str(info.scheduled_deletion_date),
    default_key_flag: str(info.default_key_flag),
    is_enabled: str(info.key_state) !== '3',
    rotation_enabled: str(info.key_rotation_enabled) === 'true',
    ...extra,
  };
}

export const dewKmsKey: ResourceType = {
  type: 'dew_kms_key',
  schema: loadResourceSchema('dew_kms_key'),
  forceNew: ['key_algorithm', 'key_usage', 'origin', 'keystore_id'],
  sensitive: [],
  optionalComputed: ['key_algorithm', 'key_usage', 'origin', 'keystore_id', 'rotation_enabled', 'rotation_interval', 'tags', 'key_description'],
  writeOnly: ['pending_days'],

  check(a: Attributes) {
    const out: { attribute: string; message: string }[] = [];
    if (typeof a.key_alias === 'string' && a.key_alias.endsWith('/default')) out.push({ attribute: 'key_alias', message: 'a key alias must not end with "/default" (reserved for default keys)' });
    if (a.rotation_interval !== undefined && a.rotation_interval !== null && a.rotation_enabled !== true)
      out.push({ attribute: 'rotation_interval', message: 'rotation_interval can only be set when rotation_enabled = true' });
    if (a.rotation_enabled === true && typeof a.key_algorithm === 'string' && (ASYMMETRIC.test(a.key_algorithm) || a.key_algorithm.startsWith('HMAC')))
      out.push({ attribute: 'rotation_enabled', message: `rotation is only available for symmetric encryption keys, not ${a.key_algorithm}` });
    if (a.rotation_enabled === true && a.origin === 'external') out.push({ attribute: 'rotation_enabled', message: 'rotation is not available for keys with imported material (origin = "external")' });
    if (typeof a.pending_days === 'string' && (Number(a.pending_days) < 7 || Number(a.pending_days) > 1096))
      out.push({ attribute: 'pending_days', message: 'pending_days must be between 7 and 1096' });
    const alg = typeof a.key_algorithm === 'string' ? a.key_algorithm : 'AES_256';
    if (typeof a.key_usage === 'string') {
      const ok = alg.startsWith('HMAC') ? ['GENERATE_VERIFY_MAC'] : ASYMMETRIC.test(alg) ? ['SIGN_VERIFY', 'ENCRYPT_DECRYPT'] : ['ENCRYPT_DECRYPT'];
      if (!ok.includes(a.key_usage)) out.push({ attribute: 'key_usage', message: `key_usage ${a.key_usage} is not valid for ${alg}; use ${ok.join(' or ')}` });
    }
    return out;
  },

  fromLive(live) {
    const state = str(live.key_state);
    if (state === '4') return null; // pending deletion: gone as far as the stack is concerned (as huaweicloud_kms_key)
    return keyAttributes(live, {
      // the interval only means something while rotation is on (huaweicloud_kms_key reads it the same way)
      rotation_interval: str(live.key_rotation_enabled) === 'true' && typeof live.rotation_interval === 'number' ? live.rotation_interval : null,
      rotation_number: typeof live.number_of_rotations === 'number' ? live.number_of_rotations : 0,
      tags: tagsOf(live.tags),
    });
  },

  async read(api, objectId) {
    try {
      const info = await describe(api, objectId);
      return info.key_id ? info : null;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  },

  async create(api, a) {
    const body: Record<string, unknown> = { key_alias: a.key_alias, key_spec: a.key_algorithm ?? 'AES_256' };
    for (const k of ['key_usage', 'key_description', 'origin', 'keystore_id'] as const) if (a[k] !== undefined && a[k] !== null) body[k] = a[k];
    const res = (await api.kms('create-key', body)) as { key_info?: { key_id?: string } };
    const keyId = str(res.key_info?.key_id);
    if (!keyId) throw new Error('create-key returned no key_id');
    const tags = tagsOf(a.tags);
    try {
      if (a.is_enabled === false && a.origin !== 'external') await api.kms('disable-key', { key_id: keyId });
      if (a.rotation_enabled === true) {
        await api.kms('enable-key-rotation', { key_id: keyId });
        if (typeof a.rotation_interval === 'number') await api.kms('update-key-rotation-interval', { key_id: keyId, rotation_interval: a.rotation_interval });
      }
      await setTags(api, keyId, 'create', tags);
    } catch (cause) {
      // the key exists: report it with what the daemon has, so apply records it and the next plan finishes the job
      const now = await describe(api, keyId).catch(() => ({ key_id: keyId, key_alias: a.key_alias }) as Record<string, unknown>);
      throw new PartialCreateError(keyId, keyAttributes(now, { rotation_interval: null, rotation_number: 0, tags: tagsOf(now.tags), pending_days: a.pending_days ?? '7' }), cause);
    }
    const info = await describe(api, keyId);
    return {
      objectId: keyId,
      attributes: keyAttributes(info, {
        rotation_interval: a.rotation_enabled === true ? ((a.rotation_interval as number | undefined) ?? 365) : null,
        rotation_number: 0,
        tags,
        pending_days: a.pending_days ?? '7',
      }),
    };
  },

  async update(api, keyId, before, after) {
    if (after.key_alias !== before.key_alias) await api.kms('update-key-alias', { key_id: keyId, key_alias: after.key_alias });
    if ((after.key_description ?? '') !== (before.key_description ?? '')) await api.kms('update-key-description', { key_id: keyId, key_description: after.key_description ?? '' });
    if (after.is_enabled !== before.is_enabled) await api.kms(after.is_enabled === false ? 'disable-key' : 'enable-key', { key_id: keyId });
    // unset: the daemon's value stands (dew_kms_rotation may manage it)
    const rotating = typeof after.rotation_enabled === 'boolean' ? after.rotation_enabled : before.rotation_enabled === true;
    if (typeof after.rotation_enabled === 'boolean' && after.rotation_enabled !== (before.rotation_enabled === true)) await api.kms(after.rotation_enabled ? 'enable-key-rotation' : 'disable-key-rotation', { key_id: keyId });
    if (rotating && typeof after.rotation_interval === 'number' && after.rotation_interval !== before.rotation_interval)
      await api.kms('update-key-rotation-interval', { key_id: keyId, rotation_interval: after.rotation_interval });
    if (after.tags !== undefined && after.tags !== null) {
      const old = tagsOf(before.tags);
      const next = tagsOf(after.tags);
      const removed = Object.fromEntries(Object.entries(old).filter(([k, v]) => next[k] !== v));
      const added = Object.fromEntries(Object.entries(next).filter(([k, v]) => old[k] !== v));
      await setTags(api, keyId, 'delete', removed);
      await setTags(api, keyId, 'create', added);
    }
    const info = await describe(api, keyId);
    return keyAttributes(info, {
      rotation_interval: rotating ? ((after.rotation_interval as number | undefined) ?? (before.rotation_interval as number | null) ?? 365) : null,
      rotation_number: before.rotation_number ?? 0,
      tags: after.tags ?? before.tags ?? {},
      pending_days: after.pending_days ?? '7',
    });
  },

  async delete(api, keyId, a, ctx) {
    // A key pending deletion keeps its alias (reference behaviour), which would block a replacement or a
    // later key under the same alias: free it first by renaming the old key to a tombstone alias.
    const alias = str(a.key_alias);
    if (alias) {
      const tomb = tombstoneAlias(alias, keyId, ctx.replacing === true);
      try {
        await api.kms('update-key-alias', { key_id: keyId, key_alias: tomb });
      } catch (e) {
        // already pending deletion (a retried destroy) or gone: scheduling below reports what matters
        if (![400, 404].includes(apiErrorStatus(e).status ?? 0)) throw e;
      }
    }
    // Destroying a key never loses it at once: it is scheduled for deletion (huaweicloud_kms_key behaviour).
    await api.kms('schedule-key-deletion', { key_id: keyId, pending_days: String(a.pending_days ?? '7') });
    const info = ((await api.kms('describe-key', { key_id: keyId })) as { key_info?: Record<string, unknown> }).key_info ?? {};
    const at = Number(info.scheduled_deletion_date);
    return { outcome: Number.isFinite(at) && at > 0 ? `Deletion scheduled for ${new Date(at).toISOString().replace('.000Z', 'Z')}` : 'Deletion scheduled' };
  },

  // create() and update() set the interval so: 365 days unless configured, or kept; none without rotation
  // rotation_enabled unset: a new key does not rotate; an existing one keeps what the daemon has (dew_kms_rotation)
  plannedComputed(a, current): Attributes {
    if (typeof a.rotation_enabled !== 'boolean') return current ? {} : { rotation_enabled: false, rotation_interval: null };
    const kept = typeof current?.rotation_interval === 'number' ? current.rotation_interval : 365;
    return { rotation_interval: a.rotation_enabled ? kept : null };
  },

  destroyNotes(keyId, before, replacing) {
    const days = str(before.pending_days) || '7';
    const notes = [`the key is scheduled for deletion in ${days} days, not deleted at once`];
    const alias = str(before.key_alias);
    if (alias) notes.push(`its key_alias is first renamed to "${tombstoneAlias(alias, keyId, replacing)}" so "${alias}" can be used again`);
    return notes;
  },
};
Object.freeze(dewKmsKey);
