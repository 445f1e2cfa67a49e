/**
 * AK lockout (reference §7): five bad signatures in a row from one source address lock the AK for
 * that address for five minutes (injected clock), with an alarm; counted and locked across daemons.
 * Two sources on one host: clients bound to 127.0.0.1 and 127.0.0.2 (Linux routes 127/8 to lo).
 */
import t from 'tap';
import { startTestDaemon, apiError, databaseFor, eventually } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { sqlOn } from './scheduler-helpers.js';
import { fetchFrom } from '../helpers/from-address.js';
import { AkLockout, type SharedFailure } from '../../daemon/http/auth/ak-lockout.js';
import { lockKey } from '../../daemon/store/lockout-key.js';
import { signRequest } from '../../provider/client/signer.js';

const LOCKED = 'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden';
const HERE = '127.0.0.1';
const STRANGER = '127.0.0.2';
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('five bad signatures lock the AK for their source for five minutes', async (t) => {
  let clock = Date.now();
  const now = () => clock;
  const d = await startTestDaemon(t, { now });
  const admin = d.daemon.credentials;
  const user = (await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'victim', roles: ['KMS CMKFullAccess'] })).body as {
    access_key: string;
    secret_key: string;
    project_id: string;
  };
  const client = (secretKey: string, accessKey = user.access_key, from = HERE) =>
    new DewClient({ endpoint: d.daemon.url, projectId: user.project_id, accessKey, secretKey, clock: now, fetch: fetchFrom(from) });
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
    await t.resolves(call(client(user.secret_key, user.access_key, STRANGER)), 'and per source: the same AK from another address works');
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
  const locks: string[] = [];
  const l = new AkLockout(() => clock, { threshold: 2, lockMs: 1000, onLock: (e) => locks.push(`${e.accessKey} ${e.source} ${e.failures} ${e.lockedUntil}`) });
  t.notOk(l.isLocked('a', 's1'));
  t.notOk(l.fail('a', 's1'));
  t.ok(l.fail('a', 's1'), 'the threshold locks');
  t.ok(l.isLocked('a', 's1'));
  t.same(locks, ['a s1 2 1000'], 'and raises the alarm once');
  t.notOk(l.isLocked('b', 's1'), 'per key');
  t.notOk(l.isLocked('a', 's2'), 'per source');
  t.notOk(l.fail('a', 's2'), 'another source counts on its own');
  clock = 999;
  t.ok(l.isLocked('a', 's1'));
  clock = 1000;
  t.notOk(l.isLocked('a', 's1'), 'expires');
  t.notOk(l.fail('a', 's1'), 'count forgotten with the lock');
  clock = 2000;
  t.notOk(l.fail('a', 's1'), 'a count idle for the lock time starts again');
  t.equal(locks.length, 1);
  t.throws(() => new AkLockout(() => 0, { threshold: 0 }), TypeError);
  const throwing = new AkLockout(() => 0, { threshold: 1, onLock: () => { throw new Error('alarm down'); } });
  t.ok(throwing.fail('a', 's'), 'a failing alarm does not fail the count');
});

t.test('a stranger who knows the AK locks only their own address; the AK raises the alarm', async (t) => {
  const d = await startTestDaemon(t);
  const admin = d.client;
  const user = (await admin.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'target', roles: ['KMS CMKFullAccess'] })).body as Any;
  const from = (source: string, secretKey: string) => new DewClient({ endpoint: d.daemon.url, projectId: user.project_id, accessKey: user.access_key, secretKey, fetch: fetchFrom(source) });
  const call = (c: DewClient) => c.kms('gen-random', { random_data_length: '64' });
  const victim = from(HERE, user.secret_key);

  for (let i = 0; i < 5; i++) t.match((await apiError(call(from(STRANGER, 'guess-' + i)))).message, /verify aksk signature fail/, `stranger's guess ${i + 1}`);
  await t.resolves(call(victim), 'the owner, from their own address, with the right secret, is not locked out');
  for (let i = 0; i < 3; i++) await t.resolves(call(victim), 'and keeps working');
  const e = await apiError(call(from(STRANGER, user.secret_key)));
  t.equal(`${e.status} ${e.code} ${e.message}`, `401 APIGW.0301 ${LOCKED}`, 'the stranger is locked, even with the right secret');
  t.equal((await apiError(call(from(STRANGER, 'guess-6')))).message, LOCKED, 'and further guesses are refused unchecked');

  // The alarm: one audit record for the AK (visible to its account's administrator) and one log line.
  const alarms = async () =>
    ((await admin.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1000 })).body as Any).records.filter((r: Any) => r.operation === 'ak-lockout');
  t.ok(await eventually(async () => (await alarms()).length > 0), 'an ak-lockout audit record is written');
  const [alarm, ...more] = await alarms();
  t.same(more, [], 'exactly one');
  t.match(alarm, { access_key: user.access_key, source_ip: STRANGER, domain_id: user.domain_id, user_id: user.user_id, outcome: 'refused', status: 401, error_code: 'APIGW.0301' });
  const lines = d.logs.filter((l) => l.includes('"event":"ak-lockout"'));
  t.equal(lines.length, 1, 'one log line');
  t.match(JSON.parse(lines[0]), { level: 'warn', access_key: user.access_key, source_ip: STRANGER, known: true, failures: 5 });
  for (const secret of [user.secret_key, 'guess-']) {
    t.notOk(d.logs.some((l) => l.includes(secret)), 'no secret or guess in the log');
    t.notOk(JSON.stringify(alarm).includes(secret), 'nor in the audit record');
  }
});

t.test('an unknown AK and a wrong secret get byte-identical answers, locks included', async (t) => {
  const d = await startTestDaemon(t);
  const c = d.daemon.credentials;
  const user = (await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'known', roles: ['KMS CMKFullAccess'] })).body as Any;
  const url = `${d.daemon.url}/v1.0/${c.project_id}/kms/gen-random`;
  const body = JSON.stringify({ random_data_length: '64' });
  const headers = { 'content-type': 'application/json' };
  const send = async (accessKey: string) => {
    const res = await fetch(url, { method: 'POST', headers: { ...headers, ...signRequest({ method: 'POST', url, headers, body }, { accessKey, secretKey: 'not-the-secret' }) }, body });
    const text = await res.text();
    const requestId = res.headers.get('x-request-id') ?? '';
    t.ok(requestId.length > 0 && text.includes(requestId), 'the body carries the request id');
    return `${res.status} ${res.headers.get('content-type')} ${text.replace(requestId, 'REQUEST-ID')}`;
  };
  const unknown = 'NOSUCHAK' + user.access_key.slice(8);
  for (let i = 1; i <= 6; i++) {
    const known = await send(user.access_key);
    t.equal(await send(unknown), known, `attempt ${i}: the same status, code, message and bytes`);
    t.match(known, i <= 5 ? /^401 .*APIGW\.0301.*verify aksk signature fail/ : /^401 .*APIGW\.0301.*forbidden/);
  }
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
  const shared = async () => (await sqlOn(dbUrl, 'SELECT failures FROM ak_lockouts WHERE access_key = ? AND source = ?', [user.access_key, HERE]))[0]?.failures;
  t.ok(await eventually(async () => (await shared()) === 0), 'the shared count was reset');
  for (let i = 0; i < 4; i++) await apiError(call(on(b, 'wrong')));
  t.ok(await opens(b), 'after a good signature on A, four on B do not lock either');

  // Three on A and two on B: five in a row in all, with neither daemon at five by itself.
  for (let i = 0; i < 3; i++) await apiError(call(on(a, 'wrong')));
  for (let i = 0; i < 2; i++) await apiError(call(on(b, 'wrong')));
  const locked = async (d: typeof a) => (await apiError(call(on(d, user.secret_key)))).message === LOCKED;
  t.ok(await eventually(() => locked(b)), 'B locks the AK: the shared count reached five');
  t.ok(await eventually(() => locked(a)), 'and A refuses it too, correct signatures included');
  // One lock, one alarm: the daemon whose write started it records it (both daemons' trails are in
  // this database; reading the records through the API flushes each daemon's queue first).
  await Promise.all([a.client, b.client].map((c) => c.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1 })));
  const recorded = await sqlOn(dbUrl, "SELECT chain_id, source_ip FROM audit_records WHERE operation = 'ak-lockout' AND access_key = ?", [user.access_key]);
  t.equal(recorded.length, 1, 'the lock is recorded once, though two daemons counted');
  t.equal(recorded[0]?.source_ip, HERE);
  const admin = a.daemon.credentials;
  await t.resolves(new DewClient({ endpoint: b.daemon.url, projectId: admin.project_id, accessKey: admin.access_key, secretKey: admin.secret_key }).kms('gen-random', { random_data_length: '8' }), 'other AKs are unaffected');

  // A third daemon started now learns the running lock at start.
  const c = await startTestDaemon(t, { dbUrl, args, env });
  t.ok(await locked(c), 'a daemon started during the lock refuses the AK too');
});

t.test('AkLockout with a shared store: versions, locks, resets and the alarm', async (t) => {
  let clock = 1000;
  const calls: string[] = [];
  const locks: string[] = [];
  let state = { failures: 0, lockedUntil: 0, version: 0 };
  const store = {
    recordFailure: async (ak: string, source: string, at: number, threshold: number, lockMs: number, lock: boolean): Promise<SharedFailure> => {
      calls.push(`fail ${ak} ${source} ${lock}`);
      const failures = state.failures + 1;
      const lockedNow = state.lockedUntil <= at && (lock || failures >= threshold);
      state = { failures, lockedUntil: lockedNow ? at + lockMs : state.lockedUntil, version: state.version + 1 };
      return { ...state, lockedNow };
    },
    reset: async (ak: string, source: string) => {
      calls.push(`reset ${ak} ${source}`);
      state = { failures: 0, lockedUntil: 0, version: state.version + 1 };
      return state;
    },
  };
  const l = new AkLockout(() => clock, { threshold: 3, lockMs: 1000, shared: { store, onError: (e) => t.fail(e.message) }, onLock: (e) => locks.push(`${e.accessKey} ${e.source}`) });
  const a = lockKey('a', 's');
  l.succeed('a', 's');
  t.same(calls, [], 'a success with nothing counted writes nothing');
  l.fail('a', 's');
  l.fail('a', 's');
  await l.settled();
  t.same(calls, ['fail a s false', 'fail a s false']);
  t.notOk(l.isLocked('a', 's'));
  l.merge(a, { failures: 3, lockedUntil: clock + 500, version: 3 });
  t.ok(l.isLocked('a', 's'), "another daemon's failure locked it");
  t.notOk(l.isLocked('a', 'other'), 'for that source only');
  t.same(locks, [], "another daemon's lock: that daemon raises the alarm, not this one");
  l.merge(a, { failures: 0, lockedUntil: 0, version: 2 });
  t.ok(l.isLocked('a', 's'), 'an older state is ignored');
  clock += 500;
  t.notOk(l.isLocked('a', 's'), 'the shared lock ends on time');
  state = { failures: 0, lockedUntil: 0, version: 3 };
  l.succeed('a', 's');
  await l.settled();
  t.same(calls.slice(2), ['reset a s'], 'a good signature after failures resets the shared count');

  // Two failures here after one elsewhere: the shared count reaches three with this daemon's write.
  state = { failures: 1, lockedUntil: 0, version: 10 };
  l.fail('c', 's');
  t.notOk(l.fail('c', 's'), "this daemon's own count is two");
  await l.settled();
  t.ok(l.isLocked('c', 's'), 'the shared count locked it');
  t.same(locks, ['c s'], 'and this daemon, whose write locked it, raised the alarm');

  state = { failures: 0, lockedUntil: 0, version: 20 };
  l.fail('b', 's');
  l.fail('b', 's');
  t.ok(l.fail('b', 's'), "this daemon's own third failure locks at once");
  await l.settled();
  t.equal(calls.at(-1), 'fail b s true', 'and writes the lock for the others');
  t.same(locks, ['c s', 'b s'], 'one alarm for the lock, not one more for its shared write');
  t.ok(l.isLocked('b', 's'));

  l.merge(lockKey('b', 's'), undefined);
  clock += 1000;
  t.notOk(l.isLocked('b', 's'), 'no row and the own lock over: open');
});
