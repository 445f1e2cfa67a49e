/**
 * dew_kps_keypair: an SSH key pair, as huaweicloud_kps_keypair (reference 4: POST/GET/PUT/DELETE
 * /v3/{project_id}/keypairs[/{name}], …/private-key/import|export, DELETE …/{name}/private-key).
 * The private key is never recorded: the stack keeps its SHA-256 digest, compared in plans; a
 * generated one is written to key_file (0600) at create, and is otherwise only in the daemon (managed).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Json } from '../config/values.js';
import { apiErrorStatus, type DewApi } from './api.js';
import { writePrivateKeyFile } from './key-file.js';
import { loadResourceSchema } from './load-schema.js';
import { PartialCreateError, str, type Attributes, type ResourceType } from './resource-type.js';
import { samePublicKey } from './ssh-public-key.js';

const KEYPAIRS = '/v3/{project_id}/keypairs';
const path = (name: string): string => `${KEYPAIRS}/${encodeURIComponent(name)}`;

/** The stack's record of a private key: `sha256:<hex>` of its text ("" stays "": none). */
export function privateKeyDigest(v: Json | undefined): Json | undefined {
  if (typeof v !== 'string' || v === '' || isDigest(v)) return v;
  return `sha256:${createHash('sha256').update(v, 'utf8').digest('hex')}`;
}

const isDigest = (v: unknown): boolean => typeof v === 'string' && /^sha256:[0-9a-f]{64}$/.test(v);

/** scope as configured (user | account) and on the wire (user | domain). */
const scopeFromWire = (v: unknown): string => (v === 'domain' ? 'account' : 'user');

/** Whether the service is asked to hold the private key: an encryption type, or a private key to import. */
const isManaged = (a: Attributes): boolean => typeof a.encryption_type === 'string' || (typeof a.private_key === 'string' && a.private_key !== '' && !isDigest(a.private_key));

function keyProtection(a: Attributes, privateKey?: string): Record<string, unknown> {
  const encryption: Record<string, unknown> = { type: typeof a.encryption_type === 'string' ? a.encryption_type : 'default' };
  if (encryption.type === 'kms') {
    if (typeof a.kms_key_id === 'string') encryption.kms_key_id = a.kms_key_id;
    if (typeof a.kms_key_name === 'string') encryption.kms_key_name = a.kms_key_name;
  }
  return privateKey === undefined ? { encryption } : { private_key: privateKey, encryption };
}

const createdAt = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : str(v));

async function show(api: DewApi, name: string): Promise<Record<string, unknown> | null> {
  try {
    return ((await api.request('GET', path(name))).body as { keypair?: Record<string, unknown> }).keypair ?? null;
  } catch (e) {
    if (apiErrorStatus(e).status === 404) return null;
    throw e;
  }
}

async function exportPrivateKey(api: DewApi, name: string): Promise<string> {
  const res = (await api.request('POST', `${KEYPAIRS}/private-key/export`, { keypair: { name, format: 'openssh' } })).body as { keypair?: { private_key?: string } };
  const key = res.keypair?.private_key;
  if (typeof key !== 'string' || key === '') throw new Error(`the daemon exported no private key for ${name}`);
  return key;
}

/** The arguments the daemon cannot report back (huaweicloud_kps_keypair does not read them either). */
const WRITE_ONLY = ['encryption_type', 'kms_key_id', 'kms_key_name', 'key_file'] as const;

function fromDetail(live: Record<string, unknown>): Attributes {
  const managed = live.is_key_protection === true;
  return {
    id: str(live.name),
    name: str(live.name),
    scope: scopeFromWire(live.scope),
    user_id: str(live.user_id),
    algorithm: str(live.algorithm),
    public_key: str(live.public_key),
    description: str(live.description),
    fingerprint: str(live.fingerprint),
    is_managed: managed,
    created_at: createdAt(live.create_time),
    // a key pair that is not managed has no private key the service holds: "" (one that is keeps the digest)
    ...(managed ? {} : { private_key: '' }),
  };
}

/** The attributes after a create or update: what the daemon reports, the write-only arguments as sent. */
function attributesAfter(live: Record<string, unknown>, a: Attributes): Attributes {
  const out: Attributes = { ...fromDetail(live) };
  for (const k of WRITE_ONLY) if (a[k] !== undefined && a[k] !== null) out[k] = a[k];
  if (out.is_managed === true && typeof a.private_key === 'string' && a.private_key !== '') out.private_key = privateKeyDigest(a.private_key)!;
  return out;
}

export const dewKpsKeypair: ResourceType = {
  type: 'dew_kps_keypair',
  schema: loadResourceSchema('dew_kps_keypair'),
  forceNew: ['name', 'user_id', 'algorithm', 'public_key', 'key_file'],
  sensitive: ['private_key'],
  optionalComputed: ['scope', 'user_id', 'algorithm', 'public_key'],
  writeOnly: [...WRITE_ONLY],

  check(a) {
    const out: { attribute: string; message: string }[] = [];
    const importing = typeof a.public_key === 'string' || (typeof a.private_key === 'string' && a.private_key !== '');
    if (typeof a.key_file === 'string' && importing) out.push({ attribute: 'key_file', message: 'key_file receives a generated private key: it conflicts with public_key and private_key' });
    if (typeof a.algorithm === 'string' && importing) out.push({ attribute: 'algorithm', message: 'algorithm chooses what is generated: an imported key (public_key or private_key) has its own' });
    if (a.encryption_type === 'kms' && typeof a.kms_key_id !== 'string' && typeof a.kms_key_name !== 'string') out.push({ attribute: 'encryption_type', message: 'encryption_type = "kms" needs kms_key_id or kms_key_name' });
    if (a.encryption_type !== 'kms' && (typeof a.kms_key_id === 'string' || typeof a.kms_key_name === 'string'))
      out.push({ attribute: typeof a.kms_key_id === 'string' ? 'kms_key_id' : 'kms_key_name', message: 'kms_key_id and kms_key_name are only used with encryption_type = "kms"' });
    return out;
  },

  fromLive(live) {
    return live.name ? fromDetail(live) : null;
  },

  read: (api, name) => show(api, name),

  async create(api, a, ctx) {
    const name = str(a.name);
    const privateKey = typeof a.private_key === 'string' && a.private_key !== '' ? a.private_key : undefined;
    const body: Record<string, unknown> = { name };
    if (typeof a.scope === 'string') body.scope = a.scope === 'account' ? 'domain' : 'user';
    if (typeof a.user_id === 'string') body.user_id = a.user_id;
    if (typeof a.description === 'string' && a.description !== '') body.description = a.description;
    if (typeof a.public_key === 'string') body.public_key = a.public_key;
    else if (privateKey === undefined) body.algorithm = typeof a.algorithm === 'string' ? a.algorithm : 'SSH_RSA_2048';
    if (isManaged(a)) body.key_protection = keyProtection(a, privateKey);
    const made = ((await api.request('POST', KEYPAIRS, { keypair: body })).body as { keypair?: Record<string, unknown> }).keypair ?? {};
    const afterCreate = async (): Promise<Attributes> => attributesAfter((await show(api, name)) ?? { ...made, is_key_protection: isManaged(a) }, a);
    if (typeof a.key_file === 'string') {
      try {
        // the create answer has the generated key once, unless the service keeps it (managed): then export it
        const generated = typeof made.private_key === 'string' && made.private_key !== '' ? made.private_key : await exportPrivateKey(api, name);
        await writePrivateKeyFile(resolve(ctx.configDir, a.key_file), generated);
      } catch (cause) {
        // made, but its key is not where asked: recorded without key_file, the next plan replaces it
        const { key_file: _, ...rest } = await afterCreate().catch(() => ({ id: name, name }) as Attributes);
        throw new PartialCreateError(name, rest, cause);
      }
    }
    return { objectId: name, attributes: await afterCreate() };
  },

  async update(api, name, before, after) {
    const put: Record<string, unknown> = {};
    if (str(after.description) !== str(before.description)) put.description = str(after.description);
    if (after.scope === 'account' && before.scope !== 'account') put.scope = 'domain';
    if (Object.keys(put).length) await api.request('PUT', path(name), { keypair: put });

    // the private key is acted on only when this change asks: "" where a key was held clears it
    const want = after.private_key;
    const sealedChanged = WRITE_ONLY.some((k) => k !== 'key_file' && (after[k] ?? null) !== (before[k] ?? null));
    if (want === '' && before.private_key !== '' && before.is_managed === true) {
      await api.request('DELETE', `${path(name)}/private-key`);
    } else if ((typeof want === 'string' && want !== '' && !isDigest(want) && privateKeyDigest(want) !== before.private_key) || (sealedChanged && want !== '')) {
      // a new private key to hold, or the one held sealed under another KMS key: (re-)import it
      let key = typeof want === 'string' && want !== '' && !isDigest(want) ? want : undefined;
      if (key === undefined) {
        if (before.is_managed !== true) throw new Error(`the service does not hold the private key of ${name}: set private_key to have it managed`);
        key = await exportPrivateKey(api, name);
      }
      await api.request('POST', `${KEYPAIRS}/private-key/import`, { keypair: { name, key_protection: keyProtection(after, key) } });
    }
    const live = await show(api, name);
    if (!live) throw new Error(`the key pair ${name} disappeared during the update`);
    return attributesAfter(live, after);
  },

  async delete(api, name) {
    try {
      await api.request('DELETE', path(name));
    } catch (e) {
      if (apiErrorStatus(e).status !== 404) throw e; // already gone: the goal is reached
    }
  },

  // create() generates SSH_RSA_2048 and makes a user key pair unless told otherwise
  plannedComputed(a, current): Attributes {
    if (current) return {};
    const out: Attributes = {};
    if (typeof a.public_key !== 'string' && !(typeof a.private_key === 'string' && a.private_key !== '')) out.algorithm = 'SSH_RSA_2048';
    out.scope = 'user';
    return out;
  },

  forcesReplacement(attribute, current, configured) {
    // PUT scope=domain upgrades a user key pair (FAQ 3.21); nothing turns an account key pair back
    return attribute === 'scope' && current === 'account' && configured !== 'account';
  },

  sameValue(attribute, configured, current) {
    if (attribute === 'public_key') return samePublicKey(configured, current);
    if (attribute === 'private_key') return isDigest(current) && privateKeyDigest(configured) === current;
    return false;
  },

  stored(a) {
    return 'private_key' in a ? { ...a, private_key: privateKeyDigest(a.private_key) ?? null } : a;
  },

  destroyNotes(_name, before) {
    return typeof before.key_file === 'string' ? [`the private key file ${before.key_file} is left where it is`] : [];
  },
};
Object.freeze(dewKpsKeypair);
