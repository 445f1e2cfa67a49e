/** keystore_id: keystore '0' is the default partition; an id no keystore has answers KMS.0308. */
import t from 'tap';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { DefaultKeystoreOnly, DEFAULT_KEYSTORE } from '../../daemon/services/keystores.js';
import { DEFAULT_PARTITION } from '../../daemon/hsm/hsm.js';

t.test('the keystore lookup', async (t) => {
  const k = new DefaultKeystoreOnly();
  t.equal(k.partitionFor(DEFAULT_KEYSTORE), DEFAULT_PARTITION);
  t.equal(k.partitionFor('1'), undefined);
  t.equal(k.refusal(), undefined);
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
