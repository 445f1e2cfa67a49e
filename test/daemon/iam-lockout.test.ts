/** AK lockout (reference §7): five bad signatures in a row lock an AK for five minutes (injected clock), counted and locked across daemons. */
import t from 'tap';
import { startTestDaemon, apiError, databaseFor, eventually } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { sqlOn } from './scheduler-helpers.js';
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

t.test('two daemons on one database share the count and the lock', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  const args = ['--sync-interval', '50', '--schedule', 'off'];
  const env = { DEW_MASTER_PASSPHRASE: 'shared lockout' };
  const a = await startTestDaemon(t, { dbUrl, args, env });
  const b = await startTestDaemon(t, { dbUrl, args, env });
  const user = (await a.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'shared', roles: ['KMS CMKFullAccess'] })).body as {
    access_key: string;
    secret_key: string;
    project_id: string;
  };
  const on = (d: typeof a, secretKey: string) => new DewClient({ endpoint: d.daemon.url, projectId: user.project_id, accessKey: user.access_key, secretKey });
  const call = (c: DewClient) => c.kms('gen-random', { random_data_length: '64' });
  const opens = async (d: typeof a) => (await call(on(d, user.secret_key)).then(() => true, () => false));
  t.ok(await eventually(() => opens(b)), 'the new user reaches the other daemon');

  // Four on one daemon, then a good one: the shared count starts again, so four more on the other do not lock.
  for (let i = 0; i < 4; i++) await apiError(call(on(a, 'wrong')));
  t.ok(await opens(a), 'four failures do not lock');
  // The shared writes follow the answers: wait until the good signature's reset is stored.
  const shared = async () => (await sqlOn(dbUrl, 'SELECT failures FROM ak_lockouts WHERE access_key = ?', [user.access_key]))[0]?.failures;
  t.ok(await eventually(async () => (await shared()) === 0), 'the shared count was reset');
  for (let i = 0; i < 4; i++) await apiError(call(on(b, 'wrong')));
  t.ok(await opens(b), 'after a good signature on A, four on B do not lock either');

  // Three on A and two on B: five in a row in all, with neither daemon at five by itself.
  for (let i = 0; i < 3; i++) await apiError(call(on(a, 'wrong')));
  for (let i = 0; i < 2; i++) await apiError(call(on(b, 'wrong')));
  const locked = async (d: typeof a) => (await apiError(call(on(d, user.secret_key)))).message === LOCKED;
  t.ok(await eventually(() => locked(b)), 'B locks the AK: the shared count reached five');
  t.ok(await eventually(() => locked(a)), 'and A refuses it too, correct signatures included');
  const admin = a.daemon.credentials;
  await t.resolves(new DewClient({ endpoint: b.daemon.url, projectId: admin.project_id, accessKey: admin.access_key, secretKey: admin.secret_key }).kms('gen-random', { random_data_length: '8' }), 'other AKs are unaffected');

  // A third daemon started now learns the running lock at start.
  const c = await startTestDaemon(t, { dbUrl, args, env });
  t.ok(await locked(c), 'a daemon started during the lock refuses the AK too');
});

t.test('AkLockout with a shared store: versions, locks and resets', async (t) => {
  let clock = 1000;
  const calls: string[] = [];
  let state = { failures: 0, lockedUntil: 0, version: 0 };
  const store = {
    recordFailure: async (ak: string, at: number, threshold: number, lockMs: number, lock: boolean) => {
      calls.push(`fail ${ak} ${lock}`);
      const failures = state.failures + 1;
      state = { failures, lockedUntil: lock || failures >= threshold ? at + lockMs : 0, version: state.version + 1 };
      return state;
    },
    reset: async (ak: string) => {
      calls.push(`reset ${ak}`);
      state = { failures: 0, lockedUntil: 0, version: state.version + 1 };
      return state;
    },
  };
  const l = new AkLockout(() => clock, 3, 1000, { store, onError: (e) => t.fail(e.message) });
  l.succeed('a');
  t.same(calls, [], 'a success with nothing counted writes nothing');
  l.fail('a');
  l.fail('a');
  await l.settled();
  t.same(calls, ['fail a false', 'fail a false']);
  t.notOk(l.isLocked('a'));
  l.merge('a', { failures: 3, lockedUntil: clock + 500, version: 3 });
  t.ok(l.isLocked('a'), "another daemon's failure locked it");
  l.merge('a', { failures: 0, lockedUntil: 0, version: 2 });
  t.ok(l.isLocked('a'), 'an older state is ignored');
  clock += 500;
  t.notOk(l.isLocked('a'), 'the shared lock ends on time');
  state = { failures: 0, lockedUntil: 0, version: 3 };
  l.succeed('a');
  await l.settled();
  t.same(calls.slice(2), ['reset a'], 'a good signature after failures resets the shared count');
  l.fail('b');
  l.fail('b');
  t.ok(l.fail('b'), "this daemon's own third failure locks at once");
  await l.settled();
  t.equal(calls.at(-1), 'fail b true', 'and writes the lock for the others');
  t.ok(l.isLocked('b'));
});
