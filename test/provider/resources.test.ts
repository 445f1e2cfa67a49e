/** Resource types: live mapping, Huawei KMS calls for create/update/delete, semantic checks, the material-wrap stub. */
import t from 'tap';
import { dewKmsKey } from '../../provider/resources/dew-kms-key.js';
import { dewKmsGrant } from '../../provider/resources/dew-kms-grant.js';
import { dewKmsKeyMaterial } from '../../provider/resources/dew-kms-key-material.js';
import { resourceTypeNames } from '../../provider/resources/registry.js';
import { CliError } from '../../provider/commands/context.js';
import { PartialCreateError } from '../../provider/resources/resource-type.js';
import { FakeDaemon } from './fixtures/fake-daemon.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('registered types', async (t) => {
  t.same(resourceTypeNames(), ['dew_kms_key', 'dew_kms_alias', 'dew_kms_grant', 'dew_kms_rotation', 'dew_kms_key_material', 'dew_iam_user', 'dew_kps_keypair', 'dew_kps_host', 'dew_kps_binding', 'dew_csms_secret', 'dew_csms_secret_version', 'dew_hsm_instance', 'dew_keystore']);
  t.same(dewKmsKey.forceNew, ['key_algorithm', 'key_usage', 'origin', 'keystore_id']);
});

t.test('dew_kms_key: live KeyDetails → attributes; pending deletion counts as gone', async (t) => {
  const live = { key_id: 'k', key_alias: 'a', key_spec: 'SM4', key_usage: 'ENCRYPT_DECRYPT', key_state: '3', key_rotation_enabled: 'true', rotation_interval: 90, number_of_rotations: 2, tags: { a: 'b' } };
  t.match(dewKmsKey.fromLive(live), { id: 'k', key_id: 'k', key_algorithm: 'SM4', is_enabled: false, rotation_enabled: true, rotation_interval: 90, rotation_number: 2, tags: { a: 'b' } });
  t.equal(dewKmsKey.fromLive({ ...live, key_state: '4' }), null);
});

t.test('dew_kms_key: create, update and delete call the Huawei operations', async (t) => {
  const d = new FakeDaemon();
  const ctx = { configDir: '/', now: () => 0 };
  const { objectId, attributes } = await dewKmsKey.create(d, { key_alias: 'x', key_algorithm: 'AES_256', is_enabled: false, rotation_enabled: true, rotation_interval: 60, tags: { t: '1' } }, ctx);
  t.same(d.calls, ['create-key', 'disable-key', 'enable-key-rotation', 'update-key-rotation-interval', 'POST /v1.0/{project_id}/kms/' + objectId + '/tags/action', 'describe-key']);
  t.match(attributes, { key_id: objectId, is_enabled: false, rotation_enabled: true, rotation_interval: 60, tags: { t: '1' } });
  d.calls.length = 0;
  await dewKmsKey.update(d, objectId, attributes, { ...attributes, key_alias: 'y', is_enabled: true, rotation_enabled: false, tags: { t: '2', u: '3' } }, ctx);
  t.same(d.calls.slice(0, 3), ['update-key-alias', 'enable-key', 'disable-key-rotation']);
  t.same(d.keys.get(objectId)!.tags, { t: '2', u: '3' });
  await dewKmsKey.delete(d, objectId, { pending_days: '30' }, ctx);
  t.equal(d.keys.get(objectId)!.key_state, '4', 'scheduled, not deleted');
  t.equal(d.keys.get(objectId)!.scheduled_deletion_date, String(30 * 86400000));
});

t.test('dew_kms_key: semantic checks', async (t) => {
  t.match(dewKmsKey.check!({ key_alias: 'x/default' }), [{ attribute: 'key_alias' }]);
  t.match(dewKmsKey.check!({ key_alias: 'x', rotation_interval: 90 }), [{ attribute: 'rotation_interval', message: /only be set when rotation_enabled/ }]);
  t.match(dewKmsKey.check!({ key_alias: 'x', key_algorithm: 'HMAC_256', key_usage: 'ENCRYPT_DECRYPT' }), [{ attribute: 'key_usage' }]);
});

t.test('dew_kms_grant: operations are a set; id is <key_id>/<grant_id>', async (t) => {
  t.match(dewKmsGrant.fromLive({ grant_id: 'g', key_id: 'k', operations: ['encrypt-data', 'decrypt-data'], grantee_principal: 'u', grantee_principal_type: 'domain' }), { id: 'g', operations: ['decrypt-data', 'encrypt-data'], type: 'domain' });
  const d = new FakeDaemon();
  const { key_info } = (await d.kms('create-key', { key_alias: 'k' })) as { key_info: { key_id: string } };
  const g = await dewKmsGrant.create(d, { key_id: key_info.key_id, grantee_principal: 'u1', operations: ['encrypt-data'] }, { configDir: '/', now: () => 0 });
  t.match(g.objectId, new RegExp(`^${key_info.key_id}/g\\d+$`));
  t.ok(await dewKmsGrant.read(d, g.objectId));
  await dewKmsGrant.delete(d, g.objectId, g.attributes, { configDir: '/', now: () => 0 });
  t.equal(d.grants.size, 0);
});

t.test('dew_kms_key_material: refuses a key whose origin is not external, before reading parameters', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dew-mat-'));
  writeFileSync(join(dir, 'material.bin'), Buffer.alloc(32, 7));
  const d = new FakeDaemon();
  const calls: string[] = [];
  const api = { ...d, kms: async (op: string) => (calls.push(op), op === 'describe-key' ? { key_info: { key_id: 'k', key_spec: 'AES_256', origin: 'kms' } } : {}), request: d.request.bind(d) };
  const err = await dewKmsKeyMaterial.create(api, { key_id: 'k', file: 'material.bin' }, { configDir: dir, now: () => 0 }).catch((e: unknown) => e);
  t.ok(err instanceof CliError);
  t.match((err as CliError).message, /not created with origin = "external"/);
  t.same(calls, ['describe-key']);
});

t.test('dew_kms_key_material: the daemon reports expiration_time in milliseconds, the argument is seconds', async (t) => {
  const a = dewKmsKeyMaterial.fromLive({ key_id: 'k', key_state: '2', expiration_time: '1900000000000' });
  t.equal(a?.expiration_time, 1900000000);
});

t.test('dew_kms_key: a key made whose later steps fail is reported as a PartialCreateError (regression: orphaned keys)', async (t) => {
  const d = new FakeDaemon();
  const api = {
    request: d.request.bind(d),
    kms: async (op: string, body?: object) => {
      if (op === 'enable-key-rotation') throw Object.assign(new Error('The API does not exist'), { code: 'APIGW.0101', status: 404 });
      return d.kms(op, body as Record<string, unknown> | undefined);
    },
  };
  const err = await dewKmsKey.create(api, { key_alias: 'half', rotation_enabled: true }, { configDir: '/', now: () => 0 }).catch((e: unknown) => e);
  t.ok(err instanceof PartialCreateError);
  const p = err as PartialCreateError;
  t.match(p.objectId, /^[0-9a-f-]{36}$/);
  t.equal(p.attributes.key_alias, 'half');
  t.equal(p.attributes.rotation_enabled, false, 'records what the daemon has, so the next plan enables rotation');
  t.equal((p as unknown as { code: string }).code, 'APIGW.0101');
});
