/**
 * dew_keystore: a dedicated keystore on an HSM instance, as huaweicloud_kms_dedicated_keystore (reference 1h:
 * POST/GET/DELETE /v1.0/{project_id}/keystores[/{keystore_id}], POST …/{keystore_id}/enable|disable).
 * `alias` is the API's keystore_alias; the API renames nothing, so alias, hsm_cluster_id and keystore_type
 * force a new keystore; `enabled` changes in place. The daemon deletes a keystore only when it holds no key.
 */
import { apiErrorStatus, type DewApi } from './api.js';
import { KEYSTORES, describeKeys, epochMs, keysOfKeystore, keystorePath, readKeystore } from './hsm-api.js';
import { loadResourceSchema } from './load-schema.js';
import { PartialCreateError, str, type Attributes, type ResourceType } from './resource-type.js';

type Obj = Record<string, unknown>;

/** The daemon's refusal to delete a keystore that holds keys (any state, pending deletion included). */
const HOLDS_KEYS = 'KMS.4605';

const keystoreOf = (live: Obj): Obj => (typeof live.keystore === 'object' && live.keystore !== null ? (live.keystore as Obj) : live);

function fromDetail(live: Obj): Attributes {
  return {
    id: str(live.keystore_id),
    keystore_id: str(live.keystore_id),
    alias: str(live.keystore_alias),
    hsm_cluster_id: str(live.hsm_cluster_id ?? live.cluster_id),
    keystore_type: str(live.keystore_type) || 'DHSM',
    enabled: live.keystore_state !== 'DISABLED',
    keystore_state: str(live.keystore_state),
    domain_id: str(live.domain_id),
    create_time: epochMs(live.create_time),
  };
}

async function attributesNow(api: DewApi, keystoreId: string): Promise<Attributes> {
  const live = await readKeystore(api, keystoreId);
  if (!live) throw new Error(`the keystore ${keystoreId} disappeared while it was being changed`);
  return fromDetail(live);
}

const setEnabled = (api: DewApi, keystoreId: string, enabled: boolean) => api.request('POST', `${keystorePath(keystoreId)}/${enabled ? 'enable' : 'disable'}`, {});

export const dewKeystore: ResourceType = {
  type: 'dew_keystore',
  schema: loadResourceSchema('dew_keystore'),
  forceNew: ['alias', 'hsm_cluster_id', 'keystore_type'],
  sensitive: [],
  optionalComputed: [],
  writeOnly: [],

  fromLive(live) {
    const k = keystoreOf(live);
    return k.keystore_id ? fromDetail(k) : null;
  },

  read: (api, keystoreId) => readKeystore(api, keystoreId),

  async create(api, a) {
    const body = { keystore_alias: str(a.alias), keystore_type: str(a.keystore_type) || 'DHSM', hsm_cluster_id: str(a.hsm_cluster_id) };
    const made = (((await api.request('POST', KEYSTORES, body)).body ?? {}) as { keystore?: Obj }).keystore ?? {};
    const keystoreId = str(made.keystore_id);
    if (!keystoreId) throw new Error('the daemon answered the keystore create without a keystore_id');
    if (a.enabled === false) {
      try {
        await setEnabled(api, keystoreId, false);
      } catch (cause) {
        // made but still enabled: recorded as it is, the next plan disables it
        const now = await readKeystore(api, keystoreId).catch(() => null);
        throw new PartialCreateError(keystoreId, now ? fromDetail(now) : { id: keystoreId, keystore_id: keystoreId, alias: body.keystore_alias, hsm_cluster_id: body.hsm_cluster_id, keystore_type: body.keystore_type, enabled: true }, cause);
      }
    }
    return { objectId: keystoreId, attributes: await attributesNow(api, keystoreId) };
  },

  async update(api, keystoreId, before, after) {
    if (typeof after.enabled === 'boolean' && after.enabled !== before.enabled) await setEnabled(api, keystoreId, after.enabled);
    return attributesNow(api, keystoreId);
  },

  async delete(api, keystoreId) {
    try {
      await api.request('DELETE', keystorePath(keystoreId));
    } catch (e) {
      const { status, code } = apiErrorStatus(e);
      if (status === 404) return; // already gone: the goal is reached
      if (code !== HOLDS_KEYS) throw e;
      // keys pending deletion still count: say which, and when the keystore can go
      const keys = await keysOfKeystore(api, keystoreId).catch(() => []);
      if (keys.length === 0) throw e;
      const pending = keys.every((k) => k.key_state === '4');
      throw Object.assign(
        new Error(`the keystore ${keystoreId} still holds ${keys.length} key${keys.length === 1 ? '' : 's'}: ${describeKeys(keys)}; it can be deleted once ${pending ? 'they are deleted (run the destroy again then, or cancel their deletion and keep the keystore)' : 'they are deleted'}`, { cause: e }),
        { code: HOLDS_KEYS, status },
      );
    }
  },

  destroyNotes() {
    return ['a keystore is deleted only when it holds no key, keys pending deletion included: the daemon refuses while it does'];
  },
};
Object.freeze(dewKeystore);
