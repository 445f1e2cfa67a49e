/** keystore_id: keystore '0' is the default partition; any other id answers KMS.0308 as before; a registered keystore names its partition. */
import t from 'tap';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { Keystores, DEFAULT_KEYSTORE } from '../../daemon/services/keystores.js';
import { DEFAULT_PARTITION } from '../../daemon/hsm/hsm.js';

t.test('the keystore lookup', async (t) => {
  const k = new Keystores();
  t.equal(k.partitionFor(DEFAULT_KEYSTORE), DEFAULT_PARTITION);
  t.equal(k.partitionFor('1'), undefined);
  k.register('ks-1', 'instance-1');
  t.equal(k.partitionFor('ks-1'), 'instance-1');
  t.throws(() => k.register('0', 'other'), TypeError, 'the default keystore cannot be re-pointed');
});

t.test('create-key with keystore_id over HTTP', async (t) => {
  const d = await startTestDaemon(t, { dbUrl: await databaseFor(t, 'file') });
  const kms = (op: string, body: object) => d.client.kms(op, body) as Promise<Record<string, any>>;
  const ok = await kms('create-key', { key_alias: 'ks-default', keystore_id: '0' });
  t.equal(ok.key_info.keystore_id ?? (await kms('describe-key', { key_id: ok.key_info.key_id })).key_info.keystore_id, '0');
  const e = await apiError(kms('create-key', { key_alias: 'ks-other', keystore_id: 'f1e3a2c4-0000-4000-8000-000000000001' }));
  t.equal(e.status, 400);
  t.equal(e.code, 'KMS.0308');
  t.equal(e.message, 'Invalid keystore_id: the keystore does not exist.');
});
