/**
 * dew_hsm_instance: a dedicated HSM instance (issue 14: POST/GET/PUT/DELETE /v1/{project_id}/dew/hsms[/{hsm_id}],
 * asynchronous jobs). Its specification never changes (a change is a replacement, refused while the instance
 * holds keys: plan/hsm-replacement.ts, and again here before the old instance goes). The admin credential
 * create returns once is never an attribute: it goes only to credential_file (mode 0600, never over an existing
 * file), from which delete reads it for the X-Hsm-Credential header; the file is removed once the instance is
 * gone, so a replacement can write the new instance's credential there.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { apiErrorStatus, type DewApi } from './api.js';
import { readCredentialFile, reserveCredentialFile, type ReservedCredentialFile } from './credential-file.js';
import { HSMS, credentialHeaders, describeKeys, epochMs, hsmPath, keysOfKeystore, readHsm, waitForHsmJob } from './hsm-api.js';
import { loadResourceSchema } from './load-schema.js';
import { PartialCreateError, str, type ApplyContext, type Attributes, type ResourceType } from './resource-type.js';

type Obj = Record<string, unknown>;

/** What the daemon cannot report back: where the credential was written. */
const WRITE_ONLY = ['credential_file'] as const;

const hsmOf = (live: Obj): Obj => (typeof live.hsm === 'object' && live.hsm !== null ? (live.hsm as Obj) : live);

function fromDetail(live: Obj): Attributes {
  return {
    id: str(live.hsm_id),
    hsm_id: str(live.hsm_id),
    name: str(live.name),
    specification: str(live.specification),
    description: str(live.description),
    status: str(live.status),
    keystore_id: str(live.keystore_id),
    key_count: typeof live.key_count === 'number' ? live.key_count : 0,
    create_time: epochMs(live.create_time),
  };
}

function withWriteOnly(attrs: Attributes, a: Attributes): Attributes {
  const out = { ...attrs };
  for (const k of WRITE_ONLY) if (typeof a[k] === 'string') out[k] = a[k];
  return out;
}

async function attributesNow(api: DewApi, hsmId: string, a: Attributes): Promise<Attributes> {
  const live = await readHsm(api, hsmId);
  if (!live) throw new Error(`the HSM instance ${hsmId} disappeared while it was being changed`);
  return withWriteOnly(fromDetail(live), a);
}

const credentialPath = (a: Attributes, ctx: ApplyContext): string | undefined => (typeof a.credential_file === 'string' && a.credential_file !== '' ? resolve(ctx.configDir, a.credential_file) : undefined);

/** The keys an instance still holds, as an error naming them (undefined when it holds none). */
export async function heldKeysError(api: DewApi, live: Obj, why: string): Promise<Error | undefined> {
  const count = typeof live.key_count === 'number' ? live.key_count : 0;
  if (count === 0) return undefined;
  const keys = await keysOfKeystore(api, str(live.keystore_id));
  const named = keys.length ? `: ${describeKeys(keys)}` : '';
  return Object.assign(new Error(`the HSM instance ${str(live.name)} (${str(live.hsm_id)}) holds ${count} key${count === 1 ? '' : 's'}${named}; ${why}`), { code: 'DHSM.0105' });
}

export const dewHsmInstance: ResourceType = {
  type: 'dew_hsm_instance',
  schema: loadResourceSchema('dew_hsm_instance'),
  // FAQ 4.8: the type of an instance cannot change; old root keys cannot move to a new instance
  forceNew: ['specification'],
  // never an attribute: listed so that nothing that might carry it is ever shown
  sensitive: ['admin_credential'],
  optionalComputed: [],
  writeOnly: [...WRITE_ONLY],

  fromLive(live) {
    const h = hsmOf(live);
    if (!h.hsm_id || h.status === 'DELETING') return null; // being deleted: gone as far as the stack is concerned
    return fromDetail(h);
  },

  read: (api, hsmId) => readHsm(api, hsmId),

  async create(api, a, ctx) {
    const body: Obj = { name: str(a.name), specification: str(a.specification) };
    if (typeof a.description === 'string' && a.description !== '') body.description = a.description;
    const path = credentialPath(a, ctx);
    // the file first: once the daemon answers, the credential must have somewhere to go
    const file: ReservedCredentialFile | undefined = path ? await reserveCredentialFile(path) : undefined;
    let made: { hsm_id?: unknown; job_id?: unknown; admin_credential?: unknown };
    try {
      made = ((await api.request('POST', HSMS, body)).body ?? {}) as typeof made;
    } catch (e) {
      await file?.abandon();
      throw e;
    }
    const hsmId = str(made.hsm_id);
    if (!hsmId) {
      await file?.abandon();
      throw new Error('the daemon answered the instance create without an hsm_id');
    }
    const partial = async (cause: unknown, kept: Attributes): Promise<never> => {
      const now = await readHsm(api, hsmId).catch(() => null);
      throw new PartialCreateError(hsmId, withWriteOnly(now ? fromDetail(now) : { id: hsmId, hsm_id: hsmId, name: str(a.name) }, kept), cause);
    };
    if (file) {
      try {
        await file.write(String(made.admin_credential ?? ''));
      } catch (cause) {
        await file.abandon().catch(() => undefined);
        // recorded without credential_file: the credential is lost, and only the plan's next create can make one
        return partial(new Error(`the instance ${hsmId} was created, but its admin credential could not be written to ${path}: ${(cause as Error).message}`, { cause }), {});
      }
    }
    made.admin_credential = undefined;
    try {
      if (typeof made.job_id === 'string' && made.job_id !== '') await waitForHsmJob(api, made.job_id);
    } catch (cause) {
      return partial(cause, a);
    }
    return { objectId: hsmId, attributes: await attributesNow(api, hsmId, a) };
  },

  async update(api, hsmId, before, after, ctx) {
    const put: Obj = {};
    if (str(after.name) !== str(before.name)) put.name = str(after.name);
    if (str(after.description) !== str(before.description)) put.description = str(after.description);
    if (Object.keys(put).length) await api.request('PUT', hsmPath(hsmId), put);
    const moved = credentialPath(after, ctx);
    // a new credential_file is only recorded: it must already hold the credential (moved there by its owner)
    if (moved && after.credential_file !== before.credential_file) await readCredentialFile(moved);
    return attributesNow(api, hsmId, after);
  },

  async delete(api, hsmId, a, ctx) {
    const live = await readHsm(api, hsmId);
    if (!live) return; // already gone: the goal is reached
    if (ctx.replacing) {
      const held = await heldKeysError(api, live, 'a new instance cannot take them over (their root key cannot move), so it is not replaced');
      if (held) throw held;
    }
    const path = credentialPath(a, ctx);
    if (!path)
      throw Object.assign(new Error(`destroying the HSM instance ${str(live.name)} (${hsmId}) needs its admin credential, and credential_file is not set: set credential_file to the file that holds it`), { code: 'hsm.no_credential' });
    const credential = await readCredentialFile(path);
    let jobId: unknown;
    try {
      jobId = ((await api.request('DELETE', hsmPath(hsmId), undefined, undefined, credentialHeaders(credential))).body as { job_id?: unknown } | undefined)?.job_id;
    } catch (e) {
      if (apiErrorStatus(e).status === 404) return;
      throw e;
    }
    if (typeof jobId === 'string' && jobId !== '') await waitForHsmJob(api, jobId);
    // the credential of a deleted instance opens nothing; the file goes so the name is free for a new one
    await rm(path, { force: true });
    return { outcome: `Deleted; its credential file ${str(a.credential_file)} was removed` };
  },

  destroyNotes(_hsmId, before) {
    const file = str(before.credential_file);
    if (!file) return ['destroying it needs the admin credential, and credential_file is not set: set it to the file that holds the credential, or the destroy fails'];
    return [`the admin credential is read from ${file}, which is removed once the instance is deleted`];
  },
};
Object.freeze(dewHsmInstance);
