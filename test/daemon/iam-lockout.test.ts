/** AK lockout (reference §7): five bad signatures in a row lock an AK for five minutes; injected clock. */
import t from 'tap';
import { startTestDaemon, apiError } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { AkLockout } from '../../daemon/http/auth/ak-lockout.js';

const LOCKED = 'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden';

t.test('five bad signatures lock the AK for five minutes', async (t) => {
  let clock = Date.now();
  const now = () => clock;
  const d = await startTestDaemon(t, { now });
  const admin = d.daemon.credentials;
  const user = (await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'victim', roles: ['KMS CMKFullAccess'] })).body as {
    access_key: string;
    secret_key: string;
    project_id: string;
  };
  const client = (secretKey: string, accessKey = user.access_key) => new DewClient({ endpoint: d.daemon.url, projectId: user.project_id, accessKey, secretKey, clock: now });
  const good = client(user.secret_key);
  const bad = client('not-the-secret');
  const call = (c: DewClient) => c.kms('gen-random', { random_data_length: '64' });

  await t.test('the count resets on success', async (t) => {
    for (let i = 0; i < 4; i++) t.match((await apiError(call(bad))).message, /verify aksk signature fail/);
    await t.resolves(call(good), 'four failures do not lock');
    for (let i = 0; i < 4; i++) await apiError(call(bad));
    await t.resolves(call(good), 'and the count started again after the success');
  });

  await t.test('the fifth locks; correct requests are refused too; five minutes later it is open', async (t) => {
    for (let i = 0; i < 5; i++) {
      const e = await apiError(call(bad));
      t.equal(`${e.status} ${e.code}`, '401 APIGW.0301', `bad signature ${i + 1}`);
    }
    const locked = await apiError(call(good));
    t.equal(locked.status, 401);
    t.equal(locked.code, 'APIGW.0301');
    t.equal(locked.message, LOCKED, 'a correct request gets the lock message');
    t.equal((await apiError(call(bad))).message, LOCKED, 'so does a bad one');
    await t.resolves(client(admin.secret_key, admin.access_key).kms('gen-random', { random_data_length: '64' }), 'the lock is per AK: the admin is unaffected');
    t.equal((await apiError(client('x', admin.access_key).kms('gen-random', { random_data_length: '64' }))).status, 401);

    clock += 4 * 60_000 + 59_000;
    t.equal((await apiError(call(good))).message, LOCKED, 'still locked at 4:59');
    clock += 1_000;
    await t.resolves(call(good), 'open after five minutes');
    for (let i = 0; i < 4; i++) await apiError(call(bad));
    await t.resolves(call(good), 'with a fresh count');
  });
});

t.test('AkLockout unit', async (t) => {
  let clock = 0;
  const l = new AkLockout(() => clock, 2, 1000);
  t.notOk(l.isLocked('a'));
  t.notOk(l.fail('a'));
  t.ok(l.fail('a'), 'the threshold locks');
  t.ok(l.isLocked('a'));
  t.notOk(l.isLocked('b'), 'per key');
  clock = 999;
  t.ok(l.isLocked('a'));
  clock = 1000;
  t.notOk(l.isLocked('a'), 'expires');
  t.notOk(l.fail('a'), 'count forgotten with the lock');
  t.throws(() => new AkLockout(() => 0, 0), TypeError);
});
