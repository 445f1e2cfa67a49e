/**
 * dew_csms_secret_version: a stage of a secret pinned to a version (reference 5: PUT/GET/DELETE
 * /v1/{project_id}/secrets/{name}/stages/{stage}). A new version_id moves the stage in place; destroy deletes
 * the stage, except SYSCURRENT and SYSPREVIOUS, which cannot be deleted (CSMS.0105): destroying their pin
 * only removes it from the stack, as the AWS provider leaves AWSCURRENT where it is. Id `<secret_name>/<stage>`.
 */
import { apiErrorStatus, type DewApi } from './api.js';
import { secretPath } from './csms-secret-live.js';
import { loadResourceSchema } from './load-schema.js';
import { str, type Attributes, type ResourceType } from './resource-type.js';

/** The stages the service moves itself and never deletes. */
export const SYSTEM_STAGES: readonly string[] = Object.freeze(['SYSCURRENT', 'SYSPREVIOUS']);

function splitId(id: string): { secretName: string; stage: string } {
  const i = id.lastIndexOf('/');
  return { secretName: id.slice(0, Math.max(0, i)), stage: id.slice(i + 1) };
}

const stagePath = (secretName: string, stage: string): string => `${secretPath(secretName)}/stages/${encodeURIComponent(stage)}`;

/** GET …/stages/{stage}'s `stage` ({name, update_time, secret_name, version_id}); null when the stage or the secret is gone. */
async function readStage(api: DewApi, objectId: string): Promise<Record<string, unknown> | null> {
  const { secretName, stage } = splitId(objectId);
  if (!secretName || !stage) return null;
  try {
    return ((await api.request('GET', stagePath(secretName, stage))).body as { stage?: Record<string, unknown> }).stage ?? null;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

/**
 * A stage's attributes: from GET …/stages/{stage}'s `stage` ({name, update_time (epoch seconds), secret_name,
 * version_id}) or the daemon's live view ({secret_name, stage, version_id}).
 */
function fromStage(s: Record<string, unknown>): Attributes | null {
  const stage = str(s.stage ?? s.name);
  if (!stage || !s.secret_name || typeof s.version_id !== 'string' || s.version_id === '') return null;
  const attrs: Attributes = { id: `${str(s.secret_name)}/${stage}`, secret_name: str(s.secret_name), stage, version_id: s.version_id };
  if (typeof s.update_time === 'number') attrs.update_time = s.update_time * 1000;
  return attrs;
}

async function putStage(api: DewApi, secretName: string, stage: string, versionId: string): Promise<Attributes> {
  const res = (await api.request('PUT', stagePath(secretName, stage), { version_id: versionId })).body as { stage?: Record<string, unknown> } | undefined;
  const attrs = fromStage(res?.stage ?? {}) ?? fromStage((await readStage(api, `${secretName}/${stage}`)) ?? {});
  if (!attrs) throw new Error(`the stage ${stage} of ${secretName} was set but the daemon does not report it`);
  return attrs;
}

export const dewCsmsSecretVersion: ResourceType = {
  type: 'dew_csms_secret_version',
  schema: loadResourceSchema('dew_csms_secret_version'),
  forceNew: ['secret_name', 'stage'],
  sensitive: [],
  optionalComputed: [],
  writeOnly: [],

  fromLive: (live) => fromStage(live),

  read: (api, objectId) => readStage(api, objectId),

  async create(api, a) {
    const attrs = await putStage(api, str(a.secret_name), str(a.stage), str(a.version_id));
    return { objectId: str(attrs.id), attributes: attrs };
  },

  async update(api, objectId, _before, after) {
    const { secretName, stage } = splitId(objectId);
    return putStage(api, secretName, stage, str(after.version_id));
  },

  async delete(api, objectId, a) {
    const { secretName, stage } = splitId(objectId);
    if (SYSTEM_STAGES.includes(stage)) return { outcome: `Removed from the stack only (${stage} cannot be deleted; it stays on ${str(a.version_id)})` };
    try {
      await api.request('DELETE', stagePath(secretName, stage));
    } catch (e) {
      if (apiErrorStatus(e).status !== 404) throw e; // the stage or its secret is gone already
    }
  },

  destroyNotes(_objectId, before) {
    const stage = str(before.stage);
    if (SYSTEM_STAGES.includes(stage)) return [`${stage} cannot be deleted: dew only removes this pin from the stack and the stage stays on ${str(before.version_id)}`];
    return [`the stage ${stage} is deleted from the secret ${str(before.secret_name)}; apps that read it get an error until it is set again`];
  },
};
Object.freeze(dewCsmsSecretVersion);
