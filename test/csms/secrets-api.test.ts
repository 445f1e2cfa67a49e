/**
 * CSMS secrets through the API of a real daemon (reference 5): create with string or binary values
 * and the limits, versions and stages (SYSCURRENT/SYSPREVIOUS moving, one holder per stage, the
 * 12-stage and 20-version limits, expiry), the secret's KMS key (a disabled or pending-deletion key
 * makes its versions unreadable with the KMS code), scheduled deletion and cancel with the
 * scheduler deleting on the day, tags and resource instances, the CSMS error shape, and no value
 * in the database file, the logs or the audit trail.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon, expectCode, type TestDaemon } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { csmsErrors, toErrorBody } from '../../daemon/errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const SEC = '/v1/{project_id}/secrets';
const KMS = '/v1.0/{project_id}/kms';


/** A clock the test moves (the scheduler's jobs are run by hand). */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms) };
}

const CANARY = 'canary-Zq8-value-5f1e0c';

t.test('CSMS secrets', async (t) => {
  const clock = testClock();
  const d: TestDaemon = await startTestDaemon(t, { now: clock.now });
  const creds = d.daemon.credentials;
  // The client signs with the same clock, or a moved clock would put its signatures out of the window.
  const c = new DewClient({ endpoint: d.daemon.url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key, clock: clock.now });
  const req = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => (await c.request(method, path, body as object | undefined)).body as Any;
  const value = async (name: string, version = 'latest') => (await req('GET', `${SEC}/${name}/versions/${version}`)).version;

  await t.test('create with a string value: v1 holds SYSCURRENT under csms/default', async (t) => {
    const s = (await req('POST', SEC, { name: 'db-password', secret_string: `${CANARY}-1`, description: 'the database' })).secret;
    t.match(s, { name: 'db-password', state: 'ENABLED', secret_type: 'COMMON', description: 'the database', auto_rotation: false, scheduled_delete_time: null });
    t.match(s.id, /^[0-9a-f-]{36}$/);
    t.type(s.create_time, 'number');
    t.ok(s.create_time < 1e11, 'CSMS times are epoch seconds');
    const keys = (await req('POST', `${KMS}/list-keys`, { limit: '100' })).key_details as Any[];
    const dflt = keys.find((k) => k.key_alias === 'csms/default');
    t.ok(dflt, 'csms/default was created on first use');
    t.equal(s.kms_key_id, dflt.key_id, 'the secret names the resolved key id');
    const v = await value('db-password');
    t.equal(v.secret_string, `${CANARY}-1`);
    t.match(v.version_metadata, { id: 'v1', version_stages: ['SYSCURRENT'], secret_name: 'db-password', kms_key_id: dflt.key_id });
    t.notOk('secret_binary' in v);
  });

  await t.test('binary values come back as they went in; bad values are refused with CSMS codes', async (t) => {
    const bin = Buffer.from([0, 1, 2, 250, 255, 10, 13]).toString('base64');
    await req('POST', SEC, { name: 'tls-key', secret_binary: bin });
    const v = await value('tls-key', 'v1');
    t.equal(v.secret_binary, bin);
    t.notOk('secret_string' in v);
    const big = 'x'.repeat(32 * 1024);
    await req('POST', SEC, { name: 'at-limit', secret_string: big });
    t.equal((await value('at-limit')).secret_string.length, 32 * 1024, 'exactly 32 KB is accepted');
    const e = await expectCode(t, c.request('POST', SEC, { name: 'over-limit', secret_string: `${big}y` }), 400, 'CSMS.0002', '32 KB + 1 is refused');
    t.equal(e.status, 400);
    await expectCode(t, c.request('POST', SEC, { name: 'both', secret_string: 'a', secret_binary: 'YQ==' }), 400, 'CSMS.0002', 'both values');
    await expectCode(t, c.request('POST', SEC, { name: 'neither' }), 400, 'CSMS.0003', 'no value');
    await expectCode(t, c.request('POST', SEC, { name: 'bad-b64', secret_binary: 'not base64!' }), 400, 'CSMS.0002', 'not Base64');
    await expectCode(t, c.request('POST', SEC, { name: 'bad name!', secret_string: 'a' }), 400, 'CSMS.0002', 'a name outside [a-zA-Z0-9_-]');
    await expectCode(t, c.request('POST', SEC, { name: 'x'.repeat(65), secret_string: 'a' }), 400, 'CSMS.0002', 'a 65-character name');
    await expectCode(t, c.request('POST', SEC, { name: 'desc', secret_string: 'a', description: 'd'.repeat(2049) }), 400, 'CSMS.0002', 'a 2049-character description');
    await expectCode(t, c.request('POST', SEC, { name: 'db-password', secret_string: 'a' }), 409, 'CSMS.0401', 'a name taken');
    await expectCode(t, c.request('POST', SEC, { name: 'rot', secret_string: 'a', auto_rotation: true }), 400, 'CSMS.0003', 'auto_rotation without a period');
    await expectCode(t, c.request('POST', SEC, { name: 'rot', secret_string: 'a', auto_rotation: true, rotation_period: '5h' }), 400, 'CSMS.0002', 'a period under 6h');
    await expectCode(t, c.request('POST', SEC, { name: 'rot', secret_string: 'a', auto_rotation: true, rotation_period: '8761h' }), 400, 'CSMS.0002', 'a period over 8760h');
    await expectCode(t, c.request('GET', `${SEC}/nope`), 404, 'CSMS.0106', 'an unknown secret');
    // The CSMS body shape is top-level, not nested under `error` as KMS's is.
    t.same(toErrorBody(csmsErrors.secretNotFound('nope'), 'r1'), { error_code: 'CSMS.0106', error_msg: 'The secret "nope" does not exist.' });
  });

  await t.test('versions: SYSCURRENT moves to the new version, the previous holder becomes SYSPREVIOUS', async (t) => {
    const v2 = (await req('POST', `${SEC}/db-password/versions`, { secret_string: `${CANARY}-2` })).version_metadata;
    t.match(v2, { id: 'v2', version_stages: ['SYSCURRENT'] });
    const list = (await req('GET', `${SEC}/db-password/versions`)).version_metadatas as Any[];
    t.same(list.map((v) => [v.id, v.version_stages]), [['v2', ['SYSCURRENT']], ['v1', ['SYSPREVIOUS']]]);
    t.notOk(JSON.stringify(list).includes(CANARY), 'the version list holds no values');
    t.equal((await value('db-password')).secret_string, `${CANARY}-2`, 'latest is the SYSCURRENT holder');
    t.equal((await value('db-password', 'v1')).secret_string, `${CANARY}-1`);
    const v3 = (await req('POST', `${SEC}/db-password/versions`, { secret_string: `${CANARY}-3`, version_stages: ['pending'] })).version_metadata;
    t.same(v3.version_stages, ['pending'], 'version_stages given: only those');
    t.equal((await value('db-password')).version_metadata.id, 'v2', 'SYSCURRENT did not move');
    const moved = (await req('PUT', `${SEC}/db-password/stages/SYSCURRENT`, { version_id: 'v3' })).stage;
    t.match(moved, { name: 'SYSCURRENT', secret_name: 'db-password', version_id: 'v3' });
    const after = (await req('GET', `${SEC}/db-password/versions`)).version_metadatas as Any[];
    t.same(after.map((v) => [v.id, v.version_stages]), [['v3', ['SYSCURRENT', 'pending']], ['v2', ['SYSPREVIOUS']], ['v1', []]], 'moving SYSCURRENT is one call; v2 became SYSPREVIOUS');
    t.match((await req('GET', `${SEC}/db-password/stages/pending`)).stage, { name: 'pending', version_id: 'v3' });
    const touched = (await req('GET', `${SEC}/db-password`)).secret.update_time;
    clock.advance(2000);
    await req('PUT', `${SEC}/db-password/stages/pending`, { version_id: 'v1' });
    t.ok((await req('GET', `${SEC}/db-password`)).secret.update_time > touched, 'a stage move is a change of the secret (saved plans go stale)');
    t.match((await req('GET', `${SEC}/db-password/stages/pending`)).stage, { version_id: 'v1' }, 'a stage lives on exactly one version');
    await expectCode(t, c.request('DELETE', `${SEC}/db-password/stages/SYSCURRENT`), 400, 'CSMS.0105', 'SYSCURRENT cannot be deleted');
    await expectCode(t, c.request('DELETE', `${SEC}/db-password/stages/SYSPREVIOUS`), 400, 'CSMS.0105', 'SYSPREVIOUS cannot be deleted');
    await c.request('DELETE', `${SEC}/db-password/stages/pending`);
    await expectCode(t, c.request('GET', `${SEC}/db-password/stages/pending`), 404, 'CSMS.0005', 'a deleted stage is gone');
    await expectCode(t, c.request('PUT', `${SEC}/db-password/stages/x`, { version_id: 'v99' }), 404, 'CSMS.0005', 'a stage on a version that does not exist');
    await expectCode(t, c.request('GET', `${SEC}/db-password/versions/v0`), 400, 'CSMS.0002', 'v0 is not a version id');
    await expectCode(t, c.request('GET', `${SEC}/db-password/versions/v77`), 404, 'CSMS.0005', 'an unknown version');
  });

  await t.test('at most 12 stages; at most 20 versions, the oldest with no stage pruned', async (t) => {
    await req('POST', SEC, { name: 'many', secret_string: 'v1' });
    const stages = Array.from({ length: 10 }, (_, i) => `s${i}`);
    await req('POST', `${SEC}/many/versions`, { secret_string: 'v2', version_stages: stages });
    // SYSCURRENT + 10 = 11 stages; SYSCURRENT on a new version adds SYSPREVIOUS: 12.
    await req('POST', `${SEC}/many/versions`, { secret_string: 'v3' });
    await expectCode(t, c.request('POST', `${SEC}/many/versions`, { secret_string: 'v4', version_stages: ['thirteenth'] }), 400, 'CSMS.0402', 'a 13th stage');
    await expectCode(t, c.request('POST', `${SEC}/many/versions`, { secret_string: 'x', version_stages: Array.from({ length: 13 }, (_, i) => `t${i}`) }), 400, 'CSMS.0002', '13 stages in one call');
    for (let i = 4; i <= 24; i++) await req('POST', `${SEC}/many/versions`, { secret_string: `v${i}` });
    const ids = ((await req('GET', `${SEC}/many/versions?limit=50`)).version_metadatas as Any[]).map((v) => v.id);
    t.equal(ids.length, 20, 'twenty versions are kept');
    t.ok(ids.includes('v2'), 'v2 holds stages: kept');
    t.notOk(ids.includes('v1'), 'v1 (no stage, oldest) was pruned');
    t.equal(ids[0], 'v24');
    const page1 = await req('GET', `${SEC}/many/versions?limit=5`);
    t.equal(page1.version_metadatas.length, 5);
    t.equal(page1.page_info.next_marker, 'v20');
    const page2 = await req('GET', `${SEC}/many/versions?limit=5&marker=v20`);
    t.equal(page2.version_metadatas[0].id, 'v19', 'the marker pages on');
  });

  await t.test('expire_time: an expired version cannot be read and the scheduler reports it once', async (t) => {
    const soon = Math.floor(clock.now() / 1000) + 3600;
    const meta = (await req('POST', `${SEC}/db-password/versions`, { secret_string: `${CANARY}-exp`, version_stages: ['temp'], expire_time: soon })).version_metadata;
    t.equal(meta.expire_time, soon);
    t.equal((await value('db-password', meta.id)).secret_string, `${CANARY}-exp`);
    await expectCode(t, c.request('PUT', `${SEC}/db-password/versions/${meta.id}`, { expire_time: 1 }), 400, 'CSMS.0002', 'an expiry in the past');
    clock.advance(3601_000);
    await expectCode(t, c.request('GET', `${SEC}/db-password/versions/${meta.id}`), 400, 'CSMS.0404', 'after its expiry');
    const first = await d.daemon.runJobs();
    t.same(first.services.csms.expired_versions, [`db-password/${meta.id}`]);
    const second = await d.daemon.runJobs();
    t.same(second.services.csms.expired_versions, [], 'reported once');
  });

  await t.test('the KMS key: a disabled or pending-deletion key makes its versions unreadable with the KMS code', async (t) => {
    const key = (await req('POST', `${KMS}/create-key`, { key_alias: 'secrets-key' })).key_info.key_id;
    await req('POST', SEC, { name: 'own-key', secret_string: `${CANARY}-own`, kms_key_id: 'secrets-key' });
    t.equal((await req('GET', `${SEC}/own-key`)).secret.kms_key_id, key, 'an alias resolves to the key id');
    await req('POST', `${KMS}/disable-key`, { key_id: key });
    await expectCode(t, c.request('GET', `${SEC}/own-key/versions/latest`), 400, 'KMS.0209', 'a disabled key');
    await expectCode(t, c.request('POST', `${SEC}/own-key/versions`, { secret_string: 'x' }), 400, 'KMS.0209', 'no new version under a disabled key');
    await req('POST', `${KMS}/enable-key`, { key_id: key });
    t.equal((await value('own-key')).secret_string, `${CANARY}-own`, 'enabled again: readable');
    // kms_key_id changes the key of new versions only.
    await req('PUT', `${SEC}/own-key`, { kms_key_id: 'csms/default' });
    const v2 = (await req('POST', `${SEC}/own-key/versions`, { secret_string: `${CANARY}-own2` })).version_metadata;
    t.not(v2.kms_key_id, key, 'v2 is sealed under the new key');
    await req('POST', `${KMS}/schedule-key-deletion`, { key_id: key, pending_days: '7' });
    await expectCode(t, c.request('GET', `${SEC}/own-key/versions/v1`), 400, 'KMS.0210', 'a key pending deletion');
    t.equal((await value('own-key', 'v2')).secret_string, `${CANARY}-own2`, 'v2, under another key, still reads');
    await expectCode(t, c.request('PUT', `${SEC}/own-key`, { kms_key_id: '00000000-0000-0000-0000-000000000000' }), 404, 'KMS.0207', 'an unknown key');
  });

  await t.test('update: description and rotation settings; scheduled deletion 7–30 days with cancel', async (t) => {
    const u = (await req('PUT', `${SEC}/tls-key`, { description: 'rotated monthly', auto_rotation: true, rotation_period: '30d' })).secret;
    t.match(u, { description: 'rotated monthly', auto_rotation: true, rotation_period: '30d' });
    t.ok(u.next_rotation_time > Math.floor(clock.now() / 1000) + 29 * 86400, 'the next rotation is a period away');
    await expectCode(t, c.request('POST', `${SEC}/tls-key/scheduled-deleted-tasks/create`, { recovery_window_in_days: 6 }), 400, 'CSMS.0002', '6 days');
    await expectCode(t, c.request('POST', `${SEC}/tls-key/scheduled-deleted-tasks/create`, { recovery_window_in_days: 31 }), 400, 'CSMS.0002', '31 days');
    await expectCode(t, c.request('POST', `${SEC}/tls-key/scheduled-deleted-tasks/cancel`), 400, 'CSMS.0108', 'cancel with nothing scheduled');
    const p = (await req('POST', `${SEC}/tls-key/scheduled-deleted-tasks/create`, { recovery_window_in_days: 7 })).secret;
    t.equal(p.state, 'PENDING_DELETE');
    t.ok(Math.abs(p.scheduled_delete_time - (Math.floor(clock.now() / 1000) + 7 * 86400)) < 5, 'deleted in 7 days');
    await expectCode(t, c.request('POST', `${SEC}/tls-key/scheduled-deleted-tasks/create`, { recovery_window_in_days: 7 }), 400, 'CSMS.0107', 'scheduled twice');
    await expectCode(t, c.request('GET', `${SEC}/tls-key/versions/latest`), 400, 'CSMS.0103', 'a pending secret cannot be read');
    await expectCode(t, c.request('POST', `${SEC}/tls-key/versions`, { secret_string: 'x' }), 400, 'CSMS.0103', 'nor given versions');
    const back = (await req('POST', `${SEC}/tls-key/scheduled-deleted-tasks/cancel`)).secret;
    t.match(back, { state: 'ENABLED', scheduled_delete_time: null });
    await req('POST', `${SEC}/tls-key/scheduled-deleted-tasks/create`, { recovery_window_in_days: 7 });
    clock.advance(6 * 86400_000);
    t.same((await d.daemon.runJobs()).services.csms.deleted_secrets, [], 'not yet on day 6');
    clock.advance(86400_000 + 1000);
    t.same((await d.daemon.runJobs()).services.csms.deleted_secrets, ['tls-key'], 'deleted on day 7');
    await expectCode(t, c.request('GET', `${SEC}/tls-key`), 404, 'CSMS.0106', 'gone');
    await c.request('DELETE', `${SEC}/at-limit`);
    await expectCode(t, c.request('GET', `${SEC}/at-limit/versions/v1`), 404, 'CSMS.0106', 'DELETE is immediate');
  });

  await t.test('list: paging by name and the event filter', async (t) => {
    const p1 = await req('GET', `${SEC}?limit=2`);
    t.equal(p1.secrets.length, 2);
    t.equal(p1.page_info.current_count, 2);
    const names: string[] = p1.secrets.map((s: Any) => s.name);
    let marker = p1.page_info.next_marker;
    while (marker) {
      const p = await req('GET', `${SEC}?limit=2&marker=${marker}`);
      names.push(...p.secrets.map((s: Any) => s.name));
      marker = p.page_info.next_marker;
    }
    t.same(names, [...names].sort(), 'by name');
    t.same(names, ['db-password', 'many', 'own-key']);
    t.same((await req('GET', `${SEC}?event_name=nothing`)).secrets, []);
    await expectCode(t, c.request('GET', `${SEC}?limit=0`), 400, 'CSMS.0002', 'limit 0');
  });

  await t.test('tags and resource instances', async (t) => {
    const id = (await req('GET', `${SEC}/many`)).secret.id;
    await c.request('POST', `/v1/{project_id}/csms/${id}/tags`, { tag: { key: 'team', value: 'payments' } });
    await c.request('POST', `/v1/{project_id}/csms/${id}/tags/action`, { action: 'create', tags: [{ key: 'env', value: 'prod' }, { key: 'tier', value: '1' }] });
    t.same((await req('GET', `/v1/{project_id}/csms/${id}/tags`)).tags, [{ key: 'team', value: 'payments' }, { key: 'env', value: 'prod' }, { key: 'tier', value: '1' }]);
    await c.request('DELETE', `/v1/{project_id}/csms/${id}/tags/tier`);
    await expectCode(t, c.request('DELETE', `/v1/{project_id}/csms/${id}/tags/tier`), 404, 'CSMS.0005', 'a tag that is not there');
    await expectCode(t, c.request('POST', `/v1/{project_id}/csms/${id}/tags`, { tag: { key: '_sys_x', value: 'y' } }), 400, 'CSMS.0002', 'the _sys_ prefix');
    const twenty = Array.from({ length: 19 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await expectCode(t, c.request('POST', `/v1/{project_id}/csms/${id}/tags/action`, { action: 'create', tags: twenty }), 400, 'CSMS.0002', 'a 21st tag');
    t.same((await req('GET', '/v1/{project_id}/csms/tags')).tags, [{ key: 'env', values: ['prod'] }, { key: 'team', values: ['payments'] }]);
    const found = await req('POST', '/v1/{project_id}/csms/resource_instances/action', { action: 'filter', tags: [{ key: 'env', values: ['prod'] }] });
    t.equal(found.total_count, 1);
    t.match(found.resources[0], { resource_id: id, resource_name: 'many', resource_detail: { name: 'many' } });
    t.same(await req('POST', '/v1/{project_id}/csms/resource_instances/action', { action: 'count', matches: [{ key: 'resource_name', value: 'an' }] }), { total_count: 1 });
  });

  await t.test('roles: a read-only user sees secrets and versions but not values, and changes nothing', async (t) => {
    const ro = (await req('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'auditor', roles: ['KMS ReadOnlyAccess'] }));
    const r = new DewClient({ endpoint: d.daemon.url, projectId: ro.project_id, accessKey: ro.access_key, secretKey: ro.secret_key, clock: clock.now });
    t.equal(((await r.request('GET', `${SEC}/db-password`)).body as Any).secret.name, 'db-password', 'show');
    t.ok(((await r.request('GET', `${SEC}/db-password/versions`)).body as Any).version_metadatas.length > 0, 'list versions');
    await expectCode(t, r.request('GET', `${SEC}/db-password/versions/latest`), 403, 'KMS.0307', 'no value');
    await expectCode(t, r.request('POST', `${SEC}/db-password/versions`, { secret_string: 'x' }), 403, 'KMS.0307', 'no new version');
    await expectCode(t, r.request('POST', `${SEC}/db-password/backup`), 403, 'KMS.0307', 'no backup');
  });

  await t.test('no value in the database file, the logs or the audit trail', async (t) => {
    await d.daemon.runJobs();
    const files = readdirSync(d.dataDir).filter((f) => /\.db/.test(f));
    t.ok(files.length > 0, 'the database files are there to read');
    for (const f of files) t.notOk(readFileSync(join(d.dataDir, f)).includes(CANARY), `${f} holds no value`);
    t.notOk(d.logs.join('\n').includes(CANARY), 'the logs hold no value');
    const audit = JSON.stringify((await c.request('GET', '/v1.0/{project_id}/dew/audit/records?limit=1000')).body);
    t.ok(audit.includes('create-secret-version'), 'the audit trail has the calls');
    t.notOk(audit.includes(CANARY), 'the audit trail holds no value');
  });
});
