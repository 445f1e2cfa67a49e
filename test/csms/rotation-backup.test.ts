/**
 * Secret rotation, backup/restore and event delivery through a real daemon: rotate on demand makes
 * a generated password (by the secret's rotation_config policy) the SYSCURRENT version and records
 * a task; automatic rotation runs on the scheduler's clock; a rotation that fails (the KMS key
 * disabled) leaves the current version and records a FAILED task; a subscribed event definition
 * delivers SECRET_VERSION_CREATED / SECRET_ROTATED / SECRET_ROTATED_FAILED / SECRET_VERSION_EXPIRED
 * / SECRET_DELETED to a real loopback webhook, signed; backup blobs restore every version and stage
 * only into the same installation, only while the name is free, and a changed blob is refused.
 */
import t from 'tap';
import { startTestDaemon, apiError, expectCode, eventually } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { receiver, type Receiver } from './event-helpers.js';
import { verifyDeliverySignature } from '../../daemon/services/csms/webhook.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const SEC = '/v1/{project_id}/secrets';
const KMS = '/v1.0/{project_id}/kms';


const PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

t.test('rotation, events and backup', async (t) => {
  let offset = 0;
  const now = () => Date.now() + offset;
  const d = await startTestDaemon(t, { now });
  const creds = d.daemon.credentials;
  const client = (cr = creds) => new DewClient({ endpoint: d.daemon.url, projectId: cr.project_id, accessKey: cr.access_key, secretKey: cr.secret_key, clock: now });
  const c = client();
  const req = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object) => (await c.request(method, path, body)).body as Any;
  const hook: Receiver = await receiver(t);
  const received = (type: string) => hook.hits.map((h) => JSON.parse(h.body)).filter((p) => p.event_type === type);

  const ev = (await req('POST', '/v1/{project_id}/csms/events', {
    name: 'ops',
    event_types: ['SECRET_VERSION_CREATED', 'SECRET_ROTATED', 'SECRET_ROTATED_FAILED', 'SECRET_VERSION_EXPIRED', 'SECRET_DELETED'],
    state: 'ENABLED',
    notification: { target_type: 'WEBHOOK', target_id: hook.url, target_name: 'ops hook' },
  })).event;
  const signingKey: string = ev.notification.signing_key;
  t.match(signingKey, /^[0-9a-f]{64}$/, 'the signing key is answered once');
  t.notOk('signing_key' in (await req('GET', '/v1/{project_id}/csms/events/ops')).event.notification, 'and never again');

  await t.test('rotate on demand: a generated password by the policy takes SYSCURRENT; a task records it', async (t) => {
    const policy = JSON.stringify({ length: 40, exclude_punctuation: true });
    await req('POST', SEC, { name: 'api-token', secret_string: 'first-value', rotation_config: policy, event_subscriptions: ['ops'] });
    await expectCode(t, c.request('DELETE', '/v1/{project_id}/csms/events/ops'), 409, 'CSMS.0406', 'a subscribed event cannot be deleted');
    const r = await req('POST', `${SEC}/api-token/rotate`);
    t.match(r, { version_id: 'v2', secret_name: 'api-token' });
    const v = (await req('GET', `${SEC}/api-token/versions/latest`)).version;
    t.equal(v.version_metadata.id, 'v2');
    t.equal(v.secret_string.length, 40, 'the policy length');
    t.notMatch(v.secret_string, PUNCT, 'no punctuation, as the policy says');
    t.same((await req('GET', `${SEC}/api-token/versions/v1`)).version.version_metadata.version_stages, ['SYSPREVIOUS']);
    const secret = (await req('GET', `${SEC}/api-token`)).secret;
    t.ok(secret.rotation_time >= Math.floor(now() / 1000) - 5, 'rotation_time is set');
    const tasks = await req('GET', '/v1/{project_id}/csms/tasks?secret_name=api-token');
    t.equal(tasks.total, 1);
    t.match(tasks.tasks[0], { task_id: r.rotation_task_id, secret_name: 'api-token', task_status: 'SUCCESS', operate_type: 'ROTATE', attempt_nums: 1 });
    await expectCode(t, c.request('POST', SEC, { name: 'bad-policy', secret_string: 'x', rotation_config: '{"length":0}' }), 400, 'CSMS.0002', 'a policy generate-password would refuse');
    await expectCode(t, c.request('POST', SEC, { name: 'bad-policy', secret_string: 'x', rotation_config: 'not json' }), 400, 'CSMS.0002', 'a rotation_config that is not JSON');
    t.ok(await eventually(async () => received('SECRET_ROTATED').length === 1), 'SECRET_ROTATED was delivered');
    const hit = hook.hits.find((h) => JSON.parse(h.body).event_type === 'SECRET_ROTATED')!;
    t.ok(verifyDeliverySignature(signingKey, String(hit.headers['x-dew-signature']), hit.body, Math.floor(now() / 1000), 300), 'signed with the key the event answered');
    t.match(JSON.parse(hit.body), { event_name: 'ops', secret_name: 'api-token', version_id: 'v2', rotation_task_id: r.rotation_task_id });
    t.ok(received('SECRET_VERSION_CREATED').some((p) => p.version_id === 'v1') && received('SECRET_VERSION_CREATED').some((p) => p.version_id === 'v2'), 'each new version was announced');
    t.notOk(hook.hits.some((h) => h.body.includes(v.secret_string) || h.body.includes('first-value')), 'no delivery holds a value');
  });

  await t.test('a failed rotation leaves the current version, records the reason and raises SECRET_ROTATED_FAILED', async (t) => {
    const key = (await req('POST', `${KMS}/create-key`, { key_alias: 'rot-key' })).key_info.key_id;
    await req('POST', SEC, { name: 'fragile', secret_string: 'keep-me', kms_key_id: key, event_subscriptions: ['ops'] });
    await req('POST', `${KMS}/disable-key`, { key_id: key });
    const e = await expectCode(t, c.request('POST', `${SEC}/fragile/rotate`), 400, 'KMS.0209', 'the rotation fails with the KMS code');
    t.ok(e.message.length > 0);
    await req('POST', `${KMS}/enable-key`, { key_id: key });
    const v = (await req('GET', `${SEC}/fragile/versions/latest`)).version;
    t.match(v, { version_metadata: { id: 'v1' }, secret_string: 'keep-me' }, 'the current version is untouched');
    const failed = await req('GET', '/v1/{project_id}/csms/tasks?secret_name=fragile&status=FAILED');
    t.equal(failed.total, 1);
    t.match(failed.tasks[0], { task_status: 'FAILED', task_error_code: 'KMS.0209' });
    t.ok(await eventually(async () => received('SECRET_ROTATED_FAILED').some((p) => p.secret_name === 'fragile' && p.error_code === 'KMS.0209')), 'SECRET_ROTATED_FAILED was delivered');
  });

  await t.test('automatic rotation runs on the scheduler, once per due time', async (t) => {
    const s = (await req('POST', SEC, { name: 'auto', secret_string: 'a0', auto_rotation: true, rotation_period: '6h' })).secret;
    t.ok(s.next_rotation_time - s.create_time >= 6 * 3600 - 1, 'due six hours after creation');
    t.same((await d.daemon.runJobs()).services.csms.rotated_secrets, [], 'not due yet');
    offset += 6 * 3600_000 + 1000;
    const [a, b] = await Promise.all([d.daemon.runJobs(), d.daemon.runJobs()]);
    t.same(a.services.csms.rotated_secrets, ['auto']);
    t.equal(a, b, 'a run in progress is shared');
    t.same((await d.daemon.runJobs()).services.csms.rotated_secrets, [], 'rotated once for that due time');
    const after = (await req('GET', `${SEC}/auto`)).secret;
    t.ok(after.next_rotation_time >= Math.floor(now() / 1000) + 6 * 3600 - 5, 'the next rotation is a period on');
    t.equal((await req('GET', `${SEC}/auto/versions/latest`)).version.version_metadata.id, 'v2');
    const tasks = await req('GET', '/v1/{project_id}/csms/tasks?secret_name=auto');
    t.match(tasks.tasks, [{ operate_type: 'AUTO_ROTATE', task_status: 'SUCCESS' }]);
  });

  await t.test('expiry and deletion are announced', async (t) => {
    await req('POST', `${SEC}/api-token/versions`, { secret_string: 'short-lived', version_stages: ['tmp'], expire_time: Math.floor(now() / 1000) + 60 });
    offset += 61_000;
    await d.daemon.runJobs();
    t.ok(await eventually(async () => received('SECRET_VERSION_EXPIRED').some((p) => p.version_id === 'v3')), 'SECRET_VERSION_EXPIRED');
    await req('PUT', `${SEC}/fragile`, { event_subscriptions: [] });
    await req('DELETE', `${SEC}/fragile`);
    await req('DELETE', `${SEC}/api-token`);
    t.ok(await eventually(async () => received('SECRET_DELETED').some((p) => p.secret_name === 'api-token')), 'SECRET_DELETED');
    t.notOk(received('SECRET_DELETED').some((p) => p.secret_name === 'fragile'), 'an unsubscribed secret notifies nobody');
    const records = (await req('GET', '/v1/{project_id}/csms/notification-records?limit=100')).records as Any[];
    t.ok(records.length >= 6, 'each delivery has a record');
    t.ok(records.every((r) => r.status === 'SUCCESS'), 'all of them SUCCESS');
  });

  await t.test('backup and restore: every version and stage, only into this installation, only while the name is free', async (t) => {
    await req('POST', SEC, { name: 'backed', secret_string: 'b1' });
    await req('POST', `${SEC}/backed/versions`, { secret_binary: Buffer.from('b2').toString('base64'), version_stages: ['blue'] });
    await req('POST', `${SEC}/backed/versions`, { secret_string: 'b3-backup-canary-7c41' });
    const before = (await req('GET', `${SEC}/backed/versions`)).version_metadatas;
    const blob: string = (await req('POST', `${SEC}/backed/backup`)).secret_blob;
    // A canary long enough that random ciphertext cannot contain it by chance.
    t.notOk(Buffer.from(blob, 'base64').toString('latin1').includes('b3-backup-canary-7c41'), 'the blob is opaque');
    await expectCode(t, c.request('POST', `${SEC}/restore`, { secret_blob: blob }), 409, 'CSMS.0401', 'refused while the name exists');
    const id = (await req('GET', `${SEC}/backed`)).secret.id;
    await req('DELETE', `${SEC}/backed`);
    const flipped = Buffer.from(blob, 'base64');
    flipped[flipped.length - 3] ^= 1;
    await expectCode(t, c.request('POST', `${SEC}/restore`, { secret_blob: flipped.toString('base64') }), 400, 'CSMS.0002', 'a changed blob');
    const restored = (await req('POST', `${SEC}/restore`, { secret_blob: blob })).secret;
    t.match(restored, { id, name: 'backed', state: 'ENABLED' });
    t.same((await req('GET', `${SEC}/backed/versions`)).version_metadatas, before, 'every version and stage is back');
    t.equal((await req('GET', `${SEC}/backed/versions/latest`)).version.secret_string, 'b3-backup-canary-7c41');
    t.equal((await req('GET', `${SEC}/backed/versions/v2`)).version.secret_binary, Buffer.from('b2').toString('base64'));

    // Another installation (its own master key) cannot open it, even with the secret's name free.
    const other = await startTestDaemon(t);
    const e = await apiError(other.client.request('POST', `${SEC}/restore`, { secret_blob: blob }));
    t.equal(`${e.status} ${e.code}`, '400 CSMS.0002', `another installation refuses it (${e.message})`);
  });

  await t.test('generate-password by the reference options', async (t) => {
    const p = (await req('POST', '/v1/{project_id}/csms/generate-password', { length: 24, exclude_uppercase: true, exclude_punctuation: true })).password;
    t.equal(p.length, 24);
    t.match(p, /^[a-z0-9]+$/);
    await expectCode(t, c.request('POST', '/v1/{project_id}/csms/generate-password', { length: 8, exclude_lowercase: true, exclude_uppercase: true, exclude_numbers: true, exclude_punctuation: true }), 400, 'CSMS.0002', 'nothing left to draw from');
  });
});
