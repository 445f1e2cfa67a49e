/** dew_kms_key_material: imports material from a file into an external key, wrapped client-side (as `dew kms import-material`). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError } from '../cli-error.js';
import { readMaterial, wrapMaterial, type WrappingAlgorithm } from '../crypto/wrap-material.js';
import type { DewApi } from './api.js';
import { loadResourceSchema } from './load-schema.js';
import { str, type ResourceType } from './resource-type.js';

/** Parameters from get-parameters-for-import, and the spec of the key the material is for. */
export interface ImportParameters {
  importToken: string;
  /** Base64 DER SubjectPublicKeyInfo of the wrapping key. */
  publicKey: string;
  wrappingAlgorithm: WrappingAlgorithm;
  /** key_spec from describe-key: AES_256/SM4 take raw bytes, asymmetric specs a private key. */
  keySpec: string;
}

/** Wraps material for import-key-material: symmetric material directly, a private key via RFC 5649 with a temporary AES key. */
export interface MaterialWrapper {
  wrap(material: Buffer, params: ImportParameters): Promise<{ encryptedKeyMaterial: string; encryptedPrivateKey?: string }>;
}

const SYMMETRIC: readonly string[] = Object.freeze(['AES_256', 'SM4']);

/** The client-side wrapping of `dew kms import-material` (provider/crypto/wrap-material.ts). */
export const clientSideWrapper: MaterialWrapper = {
  async wrap(file, params) {
    const plain = readMaterial(file, params.keySpec);
    try {
      return wrapMaterial(plain, !SYMMETRIC.includes(params.keySpec), params.publicKey, params.wrappingAlgorithm);
    } finally {
      plain.fill(0); // readMaterial returned a copy we own
    }
  },
};

let wrapper: MaterialWrapper = clientSideWrapper;

/** Replaces the material wrapper (tests; a future HSM-backed wrapper). */
export function setMaterialWrapper(w: MaterialWrapper): void {
  wrapper = w;
}

async function importMaterial(api: DewApi, keyId: string, material: Buffer, expiration: number | undefined): Promise<void> {
  const info = ((await api.kms('describe-key', { key_id: keyId })) as { key_info?: Record<string, unknown> }).key_info ?? {};
  if (str(info.origin) !== 'external')
    throw new CliError('import.not_external', `key ${keyId} was not created with origin = "external", so it cannot take imported material`, { hint: 'Set origin = "external" on the dew_kms_key.' });
  const keySpec = str(info.key_spec) || 'AES_256';
  const wrappingAlgorithm: WrappingAlgorithm = 'RSAES_OAEP_SHA_256';
  const params = (await api.kms('get-parameters-for-import', { key_id: keyId, wrapping_algorithm: wrappingAlgorithm })) as { import_token?: string; public_key?: string };
  const wrapped = await wrapper.wrap(material, { importToken: str(params.import_token), publicKey: str(params.public_key), wrappingAlgorithm, keySpec });
  const body: Record<string, unknown> = { key_id: keyId, import_token: params.import_token, encrypted_key_material: wrapped.encryptedKeyMaterial };
  if (wrapped.encryptedPrivateKey) body.encrypted_privatekey = wrapped.encryptedPrivateKey;
  if (expiration !== undefined) body.expiration_time = expiration;
  await api.kms('import-key-material', body);
}

export const dewKmsKeyMaterial: ResourceType = {
  type: 'dew_kms_key_material',
  schema: loadResourceSchema('dew_kms_key_material'),
  forceNew: ['key_id', 'file', 'expiration_time'],
  sensitive: [],
  optionalComputed: [],
  writeOnly: ['file'],

  fromLive(live) {
    // state 5 = pending import: the material is gone (deleted or expired)
    if (!live.key_id || str(live.key_state) === '5' || str(live.key_state) === '4') return null;
    const exp = live.expiration_time;
    return {
      id: str(live.key_id),
      key_id: str(live.key_id),
      key_state: str(live.key_state),
      // describe-key reports epoch milliseconds (reference: KMS dates are ms strings); the argument is Unix seconds
      expiration_time: exp === undefined || exp === null || exp === '' ? null : Math.floor(Number(exp) / 1000),
    };
  },

  async read(api, objectId) {
    const res = (await api.kms('describe-key', { key_id: objectId })) as { key_info?: Record<string, unknown> };
    return res.key_info ?? null;
  },

  async create(api, a, ctx) {
    const keyId = str(a.key_id);
    const material = await readFile(resolve(ctx.configDir, str(a.file)));
    try {
      await importMaterial(api, keyId, material, typeof a.expiration_time === 'number' ? a.expiration_time : undefined);
    } finally {
      material.fill(0); // we own this buffer: wipe the material once it is wrapped
    }
    return { objectId: keyId, attributes: { ...a, id: keyId, key_state: '2', expiration_time: a.expiration_time ?? null } };
  },

  async update() {
    throw new Error('dew_kms_key_material has no in-place update (every argument forces new material)');
  },

  async delete(api, keyId) {
    await api.kms('delete-imported-key-material', { key_id: keyId });
  },
};
Object.freeze(dewKmsKeyMaterial);
