/** Resource types: live mapping, Huawei KMS calls for create/update/delete, semantic checks, the material-wrap stub. */
import t from 'tap';
import { dewKmsKey } from '../../provider/resources/dew-kms-key.js';
import { dewKmsGrant } from '../../provider/resources/dew-kms-grant.js';
import { dewKmsKeyMaterial } from '../../provider/resources/dew-kms-key-material.js';
import { resourceTypeNames } from '../../provider/resources/registry.js';
import { CliError } from '../../provider/commands/context.js';
import { FakeDaemon } from './fixtures/fake-daemon.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('registered types', async (t) => {
  t.same(resourceTypeNames(), ['dew_kms_key', 'dew_kms_alias', 'dew_kms_grant', 'dew_kms_key_material']);
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

t.test('dew_kms_key_material: wrapping is not supported yet and says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dew-mat-'));
  writeFileSync(join(dir, 'material.bin'), Buffer.alloc(32, 7));
  const d = new FakeDaemon();
  const api = { ...d, kms: async (op: string) => (op === 'get-parameters-for-import' ? { import_token: 't', public_key: 'p' } : {}), request: d.request.bind(d) };
  const err = await dewKmsKeyMaterial.create(api, { key_id: 'k', file: 'material.bin' }, { configDir: dir, now: () => 0 }).catch((e: unknown) => e);
  t.ok(err instanceof CliError);
  t.match((err as CliError).message, /not yet supported/);
});
