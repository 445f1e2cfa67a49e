/** KMS routes (reference section 1): each validates its body, makes one service call and shapes the answer. */
import { Hono } from 'hono';
import { DewError, kmsErrors } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { Caller } from '../services/caller.js';
import type { KeyService } from '../services/keys.js';
import { DATAKEY_SPEC_BYTES, type DataPlane } from '../services/data-plane.js';
import type { TagService } from '../services/tags.js';
import { ASYMMETRIC_DATA_ALGORITHMS, type AsymmetricService } from '../services/asymmetric.js';
import { compileBody, strNum } from './validate.js';
import { thenMaybe } from '../services/maybe-promise.js';
import { kmsOps, parseJson, strictBase64, type OpBody, type OpHandler, type OpDeps } from './kms-op.js';
import type { AppEnv } from './env.js';

/** The op-route needs (ajv, schemas, op table) and this module's services. */
export interface KmsDeps extends OpDeps {
  keys: KeyService;
  data: DataPlane;
  tags: TagService;
  /** RSAES_OAEP_SHA_256 / SM2_ENCRYPT encrypt-data and decrypt-data go here. */
  asym?: AsymmetricService;
  /** user-quotas `grant_per_CMK` used: the most grants one key of the project has. */
  grantsPerKeyUsed?: (caller: Caller) => number;
}

type Body = OpBody;
type Handler = OpHandler;

const utf8 = (s: unknown) => (typeof s === 'string' && s.length ? Buffer.from(s, 'utf8') : undefined);

function aadOf(b: Body): Buffer | undefined {
  const aad = utf8(b.additional_authenticated_data);
  if (aad && aad.length > 128) throw kmsErrors.invalid('additional_authenticated_data');
  return aad;
}

function dataKeyBytes(b: Body): number {
  if (b.datakey_length !== undefined) return strNum(b.datakey_length) / 8;
  if (typeof b.key_spec === 'string') return DATAKEY_SPEC_BYTES[b.key_spec];
  return 32;
}

/** decrypt-data's answer; the plaintext buffer is wiped once encoded. */
function plainAnswer(res: { key: { keyId: string }; plaintext: Buffer }) {
  try {
    return { key_id: res.key.keyId, plain_text: res.plaintext.toString('utf8'), plain_text_base64: res.plaintext.toString('base64') };
  } finally {
    res.plaintext.fill(0);
  }
}

export function kmsRoutes(d: KmsDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const r = d.keys;

  const op = kmsOps(app, d);

  op('create-key', async (caller, b) => {
    const k = await r.create(caller, b as never);
    return { key_info: { key_id: k.keyId, domain_id: k.domainId, region_id: r.region } };
  });
  op('describe-key', async (caller, b) => ({ key_info: r.toDetails(await r.describe(caller, String(b.key_id))) }));
  op('list-keys', (caller, b) => {
    const q = {
      limit: b.limit === undefined ? undefined : strNum(b.limit),
      marker: b.marker === undefined ? undefined : strNum(b.marker),
      key_state: b.key_state as string | undefined,
      key_spec: b.key_spec as string | undefined,
    };
    const res = r.list(caller, q);
    return {
      keys: res.page.map((k) => k.keyId),
      key_details: res.page.map((k) => r.toDetails(k)),
      next_marker: res.nextMarker,
      truncated: res.truncated ? 'true' : 'false',
      total: res.total,
    };
  });
  op('enable-key', async (caller, b) => {
    const k = await r.enable(caller, String(b.key_id));
    return { key_info: { key_id: k.keyId, key_state: k.keyState } };
  });
  op('disable-key', async (caller, b) => {
    const k = await r.disable(caller, String(b.key_id));
    return { key_info: { key_id: k.keyId, key_state: k.keyState } };
  });
  op('schedule-key-deletion', async (caller, b) => {
    const k = await r.scheduleDeletion(caller, String(b.key_id), strNum(b.pending_days));
    return { key_id: k.keyId, key_state: k.keyState };
  });
  op('cancel-key-deletion', async (caller, b) => {
    const k = await r.cancelDeletion(caller, String(b.key_id));
    return { key_id: k.keyId, key_state: k.keyState };
  });
  op('update-key-alias', async (caller, b) => {
    const k = await r.updateAlias(caller, String(b.key_id), String(b.key_alias));
    return { key_info: { key_id: k.keyId, key_alias: k.keyAlias } };
  });
  op('update-key-description', async (caller, b) => {
    const k = await r.updateDescription(caller, String(b.key_id), String(b.key_description));
    return { key_info: { key_id: k.keyId, key_description: k.keyDescription } };
  });

  // encrypt-data and decrypt-data answer without a promise when the key is cached (services/maybe-promise.ts).
  op('encrypt-data', (caller, b) => {
    if (d.asym && isAsymmetricData(b)) {
      return d.asym.encrypt(caller, String(b.key_id), String(b.encryption_algorithm), Buffer.from(String(b.plain_text), 'utf8'))
        .then((res) => ({ key_id: res.key.keyId, cipher_text: res.ciphertext.toString('base64') }));
    }
    assertSymmetricAlgorithm(b);
    const pt = Buffer.from(String(b.plain_text), 'utf8');
    return thenMaybe(d.data.encryptData(caller, String(b.key_id), pt, aadOf(b)), ({ key, blob }) => ({ key_id: key.keyId, cipher_text: blob.toString('base64') }));
  });
  op('decrypt-data', (caller, b) => {
    if (d.asym && (isAsymmetricData(b) || (b.encryption_algorithm === undefined && typeof b.key_id === 'string' && d.asym.isAsymmetricKey(caller, b.key_id)))) {
      const ct = strictBase64('cipher_text', b.cipher_text, 8192, 'KMS.2201');
      return d.asym.decrypt(caller, b.key_id as string | undefined, b.encryption_algorithm as string | undefined, ct).then(plainAnswer);
    }
    assertSymmetricAlgorithm(b);
    const blob = strictBase64('cipher_text', b.cipher_text, 8192, 'KMS.2201');
    return thenMaybe(d.data.decrypt(caller, blob, 'data', aadOf(b), b.key_id as string | undefined), plainAnswer);
  });
  const createDataKey = (withPlaintext: boolean): Handler => async (caller, b) => {
    const res = await d.data.createDataKey(caller, String(b.key_id), dataKeyBytes(b), aadOf(b), withPlaintext);
    return withPlaintext
      ? { key_id: res.key.keyId, plain_text: res.plaintextHex, cipher_text: res.cipherHex }
      : { key_id: res.key.keyId, cipher_text: res.cipherHex };
  };
  op('create-datakey', createDataKey(true));
  op('create-datakey-without-plaintext', createDataKey(false));
  op('encrypt-datakey', async (caller, b) => {
    const len = strNum(b.datakey_plain_length);
    const res = await d.data.encryptDataKey(caller, String(b.key_id), String(b.plain_text), len, aadOf(b));
    return { key_id: res.key.keyId, cipher_text: res.cipherHex, datakey_length: String(len) };
  });
  op('decrypt-datakey', async (caller, b) => {
    const len = strNum(b.datakey_cipher_length);
    const res = await d.data.decryptDataKey(caller, String(b.key_id), String(b.cipher_text), len, aadOf(b));
    return { data_key: res.dataKeyHex, datakey_length: String(len), datakey_dgst: res.digestHex };
  });
  op('gen-random', (_caller, b) => ({ random_data: d.data.random(strNum(b.random_data_length) / 8) }));
  op('generate-mac', async (caller, b) => {
    const message = strictBase64('message', b.message, 4096);
    const res = await d.data.generateMac(caller, String(b.key_id), String(b.mac_algorithm), message);
    return { key_id: res.key.keyId, mac_algorithm: b.mac_algorithm, mac: res.mac.toString('base64') };
  });
  op('verify-mac', async (caller, b) => {
    const message = strictBase64('message', b.message, 4096);
    const mac = strictBase64('mac', b.mac, 64);
    const res = await d.data.verifyMac(caller, String(b.key_id), String(b.mac_algorithm), message, mac);
    return { key_id: res.key.keyId, mac_algorithm: b.mac_algorithm, mac_valid: res.valid };
  });

  mountTagRoutes(app, d);
  app.get('/user-instances', (c) => c.json({ instance_num: r.customKeyCount(c.get('caller')) }));
  app.get('/user-quotas', (c) =>
    c.json({
      quotas: {
        resources: [
          { type: 'CMK', used: r.customKeyCount(c.get('caller')), quota: r.keyQuota },
          { type: 'grant_per_CMK', used: d.grantsPerKeyUsed?.(c.get('caller')) ?? 0, quota: 100 },
        ],
      },
    }),
  );
  return app;
}

function isAsymmetricData(b: Body): boolean {
  return typeof b.encryption_algorithm === 'string' && ASYMMETRIC_DATA_ALGORITHMS.includes(b.encryption_algorithm);
}

function assertSymmetricAlgorithm(b: Body): void {
  if (b.encryption_algorithm !== undefined && b.encryption_algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new DewError('KMS.0308', 400, `Invalid encryption_algorithm: ${String(b.encryption_algorithm)} needs an asymmetric key.`);
  }
}

/** Tags (reference 1f): per key, batch action, project tag list, resource-instance filter/count. */
function mountTagRoutes(app: Hono<AppEnv>, d: KmsDeps): void {
  const createTag = compileBody<Body>(d.ajv, d.schemas.get('kms/create-tag') as JsonSchema);
  const batchTags = compileBody<Body>(d.ajv, d.schemas.get('kms/batch-tags') as JsonSchema);
  const instances = compileBody<Body>(d.ajv, d.schemas.get('kms/resource-instances') as JsonSchema);

  app.get('/tags', (c) => c.json({ tags: d.tags.projectTags(c.get('caller')) }));
  app.post('/resource_instances/action', async (c) => {
    const b = instances(parseJson(c.get('rawBody')));
    return c.json(d.tags.resourceInstances(c.get('caller'), b as never));
  });
  app.get('/:key_id/tags', async (c) => {
    const tags = await d.tags.keyTags(c.get('caller'), c.req.param('key_id'));
    return c.json({ tags, existTagsNum: tags.length });
  });
  app.post('/:key_id/tags', async (c) => {
    const b = createTag(parseJson(c.get('rawBody')));
    const tag = b.tag as { key: string; value?: string };
    await d.tags.change(c.get('caller'), c.req.param('key_id'), 'create', [{ key: tag.key, value: tag.value ?? '' }]);
    return c.body(null, 204);
  });
  app.post('/:key_id/tags/action', async (c) => {
    const b = batchTags(parseJson(c.get('rawBody')));
    const tags = (b.tags as { key: string; value?: string }[]).map((t) => ({ key: t.key, value: t.value ?? '' }));
    await d.tags.change(c.get('caller'), c.req.param('key_id'), b.action as 'create' | 'delete', tags);
    return c.body(null, 204);
  });
  app.delete('/:key_id/tags/:tag_key', async (c) => {
    await d.tags.change(c.get('caller'), c.req.param('key_id'), 'delete', [{ key: c.req.param('tag_key'), value: '' }]);
    return c.body(null, 204);
  });
}
