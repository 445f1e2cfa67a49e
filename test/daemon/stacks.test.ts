/** The stack API the plan/apply tool uses: lock, record objects with serials, live views, paging. */
import t from 'tap';
import { startTestDaemon, apiError } from '../helpers/daemon.js';

t.test('stacks', async (t) => {
  const d = await startTestDaemon(t);
  const base = '/v1.0/{project_id}/dew/stacks/web';
  const empty = (await d.client.request('GET', base)).body as any;
  t.same(empty.stack, { name: 'web', serial: 0, lineage: '', lock: null, objects: [], next_marker: '' });

  const lock = ((await d.client.request('POST', `${base}/lock`, { who: 'alice@ci', operation: 'apply' })).body as any).lock;
  t.match(lock, { who: 'alice@ci', operation: 'apply' });
  const held = await apiError(d.client.request('POST', `${base}/lock`, { who: 'bob', operation: 'apply' }));
  t.equal(held.status, 409);
  t.equal(held.code, 'DEW.0409');
  t.match(held.message, /locked by alice@ci \(apply\) since .* lock ID /);

  const key = (await d.client.kms('create-key', { key_alias: 'stack-key' })) as any;
  const put = (await d.client.request('PUT', `${base}/objects`, {
    lock_id: lock.id,
    address: 'dew_kms_key.app',
    type: 'dew_kms_key',
    object_id: key.key_info.key_id,
    attributes: { key_alias: 'stack-key' },
    dependencies: [],
  })).body as any;
  t.equal(put.serial, 1);
  const wrongLock = await apiError(d.client.request('PUT', `${base}/objects`, { lock_id: 'nope', address: 'x.y', type: 'dew_kms_key', object_id: 'z', attributes: {} }));
  t.equal(wrongLock.status, 409);

  const read = ((await d.client.request('GET', base)).body as any).stack;
  t.equal(read.serial, 1);
  t.match(read.lineage, /^[0-9a-f-]{36}$/);
  t.equal(read.lock.id, lock.id);
  t.equal(read.objects.length, 1);
  t.match(read.objects[0], { address: 'dew_kms_key.app', object_id: key.key_info.key_id, attributes: { key_alias: 'stack-key' }, revision: 1 });
  t.match(read.objects[0].live, { key_alias: 'stack-key', key_state: '2', rotation_interval: 365, tags: {} });

  // A change made outside the tool shows in the live view and bumps the revision.
  await d.client.kms('update-key-description', { key_id: 'stack-key', key_description: 'drifted' });
  const drifted = ((await d.client.request('GET', base)).body as any).stack.objects[0];
  t.equal(drifted.revision, 2);
  t.equal(drifted.live.key_description, 'drifted');

  for (let i = 0; i < 3; i++) {
    await d.client.request('PUT', `${base}/objects`, { lock_id: lock.id, address: `dew_kms_key.k${i}`, type: 'dew_kms_key', object_id: '00000000-0000-0000-0000-00000000000' + i, attributes: {} });
  }
  const page1 = ((await d.client.request('GET', base, undefined, { limit: '2' })).body as any).stack;
  t.equal(page1.objects.length, 2);
  t.equal(page1.next_marker, '2');
  const page2 = ((await d.client.request('GET', base, undefined, { limit: '2', marker: page1.next_marker })).body as any).stack;
  t.equal(page2.objects.length, 2);
  t.equal(page2.next_marker, '');
  t.equal(page2.objects.find((o: any) => o.address === 'dew_kms_key.k2')?.live, null, 'an object gone from the daemon reads as null');

  const del = (await d.client.request('DELETE', `${base}/objects`, { lock_id: lock.id, address: 'dew_kms_key.k0' })).body as any;
  t.equal(del.serial, 5);
  await d.client.request('DELETE', `${base}/lock`, undefined, { lock_id: lock.id });
  t.equal(((await d.client.request('GET', base)).body as any).stack.lock, null);
  const relock = ((await d.client.request('POST', `${base}/lock`, { who: 'bob', operation: 'apply' })).body as any).lock;
  const e = await apiError(d.client.request('DELETE', `${base}/lock`, undefined, { lock_id: lock.id }));
  t.equal(e.status, 409, 'an old lock id cannot release a newer lock');
  t.equal((await d.client.request('DELETE', `${base}/lock`, undefined, { lock_id: relock.id })).status, 204, 'force-unlock with the id');
  const bad = await apiError(d.client.request('GET', '/v1.0/{project_id}/dew/stacks/bad%20name'));
  t.equal(bad.status, 400);
});

t.test('a stack user object reads live from the IAM module: roles drift bumps the revision, a deleted user reads null', async (t) => {
  const d = await startTestDaemon(t);
  const base = '/v1.0/{project_id}/dew/stacks/people';
  const users = '/v1.0/{project_id}/dew/iam/users';
  const lock = ((await d.client.request('POST', `${base}/lock`, { who: 't', operation: 'apply' })).body as any).lock;
  const u = (await d.client.request('POST', users, { name: 'app', roles: ['KMS CMKFullAccess'] })).body as any;
  await d.client.request('PUT', `${base}/objects`, { lock_id: lock.id, address: 'dew_iam_user.app', type: 'dew_iam_user', object_id: u.user_id, attributes: { name: 'app' } });
  const read = async () => ((await d.client.request('GET', base)).body as any).stack.objects[0];
  const first = await read();
  t.match(first.live, { user_id: u.user_id, name: 'app', roles: ['KMS CMKFullAccess'], domain_id: u.domain_id });
  t.notOk('secret_key' in first.live, 'the live view carries no secret');
  t.ok(first.revision > 0);
  t.equal((await read()).revision, first.revision, 'unchanged user, unchanged revision');
  await d.client.request('PUT', `${users}/${u.user_id}/roles`, { roles: ['KMS Administrator'] });
  const drifted = await read();
  t.same(drifted.live.roles, ['KMS Administrator']);
  t.not(drifted.revision, first.revision, 'a roles change outside the tool moves the revision (a saved plan goes stale)');
  await d.client.request('DELETE', `${users}/${u.user_id}`);
  t.equal((await read()).live, null, 'a deleted user reads as gone');
});

t.test('pending entries: a read finds what the interrupted create made after the intent, and nothing else', async (t) => {
  let skew = 0;
  const d = await startTestDaemon(t, { now: () => Date.now() + skew });
  const later = () => (skew += 10_000); // the daemon's clock moves on between steps: "made after the intent" is exact
  const base = '/v1.0/{project_id}/dew/stacks/pend';
  const lock = ((await d.client.request('POST', `${base}/lock`, { who: 'ci', operation: 'apply' })).body as any).lock;
  const pend = (address: string, type: string, attributes: Record<string, unknown>) =>
    d.client.request('PUT', `${base}/objects`, { lock_id: lock.id, address, type, object_id: '', pending: true, attributes, dependencies: [] });

  const before = (await d.client.kms('create-key', { key_alias: 'made-before' })) as any;
  later();
  await pend('dew_kms_key.made', 'dew_kms_key', { key_alias: 'made-after' });
  await pend('dew_kms_key.older', 'dew_kms_key', { key_alias: 'made-before' });
  await pend('dew_kms_key.never', 'dew_kms_key', { key_alias: 'never-made' });
  await pend('dew_iam_user.u', 'dew_iam_user', { name: 'pending-user', roles: ['KMS ReadOnlyAccess'] });
  later();
  const key = (await d.client.kms('create-key', { key_alias: 'made-after' })) as any;
  const keyId = key.key_info.key_id as string;
  await pend('dew_kms_alias.a', 'dew_kms_alias', { key_id: keyId, alias: 'alias/pending' });
  const user = (await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'pending-user', roles: ['KMS ReadOnlyAccess'] })).body as any;
  await pend('dew_kms_grant.g', 'dew_kms_grant', { key_id: keyId, grantee_principal: user.user_id, operations: ['describe-key'], type: 'user' });
  later();
  await d.client.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: keyId, alias: 'alias/pending' });
  const grant = (await d.client.kms('create-grant', { key_id: keyId, grantee_principal: user.user_id, operations: ['describe-key'], grantee_principal_type: 'user' })) as any;

  const objects = new Map((((await d.client.request('GET', base)).body as any).stack.objects as any[]).map((o) => [o.address, o]));
  const made = objects.get('dew_kms_key.made');
  t.match(made, { object_id: '', pending: { object_id: keyId, since: /^\d{4}-/ }, live: { key_id: keyId, key_alias: 'made-after' } }, 'the key made after the intent is found');
  t.match(objects.get('dew_kms_key.older'), { pending: { object_id: null }, live: null }, `a key with that alias made before the intent (${before.key_info.key_id}) is not taken`);
  t.match(objects.get('dew_kms_key.never'), { pending: { object_id: null }, live: null }, 'nothing made: nothing found');
  t.match(objects.get('dew_kms_alias.a'), { pending: { object_id: `${keyId}?alias/pending` }, live: { alias: 'alias/pending', key_id: keyId } });
  t.match(objects.get('dew_kms_grant.g'), { pending: { object_id: `${keyId}/${grant.grant_id}` }, live: { grant_id: grant.grant_id } });
  t.match(objects.get('dew_iam_user.u'), { pending: { object_id: user.user_id }, live: { user_id: user.user_id, name: 'pending-user' } });

  // recording the object ends the intent
  await d.client.request('PUT', `${base}/objects`, { lock_id: lock.id, address: 'dew_kms_key.made', type: 'dew_kms_key', object_id: keyId, attributes: { key_alias: 'made-after' }, dependencies: [] });
  const recorded = (((await d.client.request('GET', base)).body as any).stack.objects as any[]).find((o) => o.address === 'dew_kms_key.made');
  t.equal(recorded.object_id, keyId);
  t.notOk('pending' in recorded, 'a recorded object is not pending');

  const noId = await apiError(d.client.request('PUT', `${base}/objects`, { lock_id: lock.id, address: 'x.y', type: 'dew_kms_key', object_id: '', attributes: {} }));
  t.match({ status: noId.status, code: noId.code }, { status: 400, code: 'KMS.0308' }, 'only a pending entry may lack the object id');
  const withId = await apiError(d.client.request('PUT', `${base}/objects`, { lock_id: lock.id, address: 'x.y', type: 'dew_kms_key', object_id: keyId, pending: true, attributes: {} }));
  t.match({ status: withId.status, code: withId.code }, { status: 400, code: 'KMS.0308' }, 'a pending entry has no object id yet');
});
