/**
 * dew_kms_rotation: a key's automatic rotation as a resource of its own (enable-key-rotation and
 * update-key-rotation-interval; destroy is disable-key-rotation). The object id is the key id; the
 * object is gone when rotation was disabled outside, or the key is gone or pending deletion.
 */
import { apiErrorStatus, type DewApi } from './api.js';
import { loadResourceSchema } from './load-schema.js';
import { str, type Attributes, type ResourceType } from './resource-type.js';

async function rotationOf(api: DewApi, keyId: string): Promise<Record<string, unknown> | null> {
  try {
    const info = ((await api.kms('describe-key', { key_id: keyId })) as { key_info?: Record<string, unknown> }).key_info;
    if (!info?.key_id || str(info.key_state) === '4') return null;
    const status = (await api.kms('get-key-rotation-status', { key_id: keyId })) as Record<string, unknown>;
    return { ...status, key_id: str(info.key_id) };
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

function attributesOf(live: Record<string, unknown>): Attributes {
  return {
    id: str(live.key_id),
    key_id: str(live.key_id),
    rotation_interval: typeof live.rotation_interval === 'number' ? live.rotation_interval : 365,
    last_rotation_time: str(live.last_rotation_time),
    rotation_number: typeof live.number_of_rotations === 'number' ? live.number_of_rotations : 0,
  };
}

async function setRotationInterval(api: DewApi, keyId: string, days: unknown): Promise<void> {
  await api.kms('update-key-rotation-interval', { key_id: keyId, rotation_interval: typeof days === 'number' ? days : 365 });
}

export const dewKmsRotation: ResourceType = {
  type: 'dew_kms_rotation',
  schema: loadResourceSchema('dew_kms_rotation'),
  forceNew: ['key_id'],
  sensitive: [],
  optionalComputed: [],
  writeOnly: [],

  fromLive(live) {
    return live.key_rotation_enabled === true ? attributesOf(live) : null;
  },

  read: rotationOf,

  async create(api, a) {
    const keyId = str(a.key_id);
    await api.kms('enable-key-rotation', { key_id: keyId });
    await setRotationInterval(api, keyId, a.rotation_interval);
    const live = await rotationOf(api, keyId);
    if (!live) throw new Error(`key ${keyId} is gone`);
    return { objectId: keyId, attributes: attributesOf(live) };
  },

  async update(api, keyId, _before, after) {
    await setRotationInterval(api, keyId, after.rotation_interval);
    const live = await rotationOf(api, keyId);
    if (!live) throw new Error(`key ${keyId} is gone`);
    return attributesOf(live);
  },

  async delete(api, keyId) {
    try {
      await api.kms('disable-key-rotation', { key_id: keyId });
    } catch (e) {
      // the key is gone or pending deletion: its rotation went with it
      if (![400, 404].includes(apiErrorStatus(e).status ?? 0)) throw e;
    }
  },

  destroyNotes() {
    return ['rotation is disabled; the key and its versions stay'];
  },
};
Object.freeze(dewKmsRotation);
