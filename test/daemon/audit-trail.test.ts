/** The audit trail: every call recorded (refusals too), no secrets in it, one record per state change, queries and access. */
import t from 'tap';
import { createHash } from 'node:crypto';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { sqlOn, type Any } from './scheduler-helpers.js';

t.test('audit trail on a file database', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off'] });
  const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
  const creds = d.daemon.credentials;
  const flush = () => d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1 });
  const all = async () => {
    await flush();
    return sqlOn(dbUrl, 'SELECT * FROM audit_records ORDER BY seq');
  };

  const keyId = (await kms('create-key', { key_alias: 'audited' })).key_info.key_id;
  const mac = (await kms('create-key', { key_alias: 'mac', key_spec: 'HMAC_256' })).key_info.key_id;
  const secrets: string[] = [creds.secret_key];
  const plaintext = 'TOP-SECRET-PLAINTEXT-42';
  secrets.push(plaintext, Buffer.from(plaintext).toString('base64'));
  const enc = await kms('encrypt-data', { key_id: 'audited', plain_text: plaintext });
  secrets.push(enc.cipher_text);
  await kms('decrypt-data', { cipher_text: enc.cipher_text });
  const dk = await kms('create-datakey', { key_id: keyId });
  secrets.push(dk.plain_text, dk.cipher_text);
  const dek = 'ab'.repeat(32);
  const wrapped = await kms('encrypt-datakey', { key_id: keyId, plain_text: dek + createHash('sha256').update(Buffer.from(dek, 'hex')).digest('hex'), datakey_plain_length: '32' });
  secrets.push(dek, wrapped.cipher_text);
  await kms('decrypt-datakey', { key_id: keyId, cipher_text: wrapped.cipher_text, datakey_cipher_length: '32' });
  const message = Buffer.from('mac me please').toString('base64');
  const m = await kms('generate-mac', { key_id: mac, mac_algorithm: 'HMAC_SHA_256', message });
  secrets.push(message, m.mac);
  await kms('verify-mac', { key_id: mac, mac_algorithm: 'HMAC_SHA_256', message, mac: m.mac });
  const rnd = await kms('gen-random', { random_data_length: '512' });
  secrets.push(rnd.random_data);
  await kms('disable-key', { key_id: 'audited' });
  await apiError(kms('disable-key', { key_id: 'audited' }));
  await apiError(kms('encrypt-data', { key_id: 'audited', plain_text: plaintext }));
  await apiError(kms('update-key-rotation-interval', { key_id: 'audited', rotation_interval: 5 }));
  // A refused call: a wrong secret key (401), and a call to an unknown project.
  const wrong = new DewClient({ endpoint: d.daemon.url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: 'not-the-secret-key-at-all' });
  t.equal((await apiError(wrong.kms('list-keys', {}))).status, 401);
  await kms('enable-key', { key_id: 'audited' });

  const rows = await all();
  const text = JSON.stringify(rows);
  for (const s of secrets) t.notOk(text.includes(s), `the trail holds no ${s.slice(0, 12)}…`);
  const ops = rows.map((r) => `${r.operation} ${r.outcome} ${r.status} ${r.error_code}`);
  for (const expected of [
    'create-key allowed 200 ',
    'encrypt-data allowed 200 ',
    'decrypt-data allowed 200 ',
    'create-datakey allowed 200 ',
    'encrypt-datakey allowed 200 ',
    'decrypt-datakey allowed 200 ',
    'generate-mac allowed 200 ',
    'verify-mac allowed 200 ',
    'gen-random allowed 200 ',
    'disable-key allowed 200 ',
    'disable-key failed 400 KMS.1301',
    'encrypt-data failed 400 KMS.0209',
    'update-key-rotation-interval failed 400 KMS.0308',
    'list-keys refused 401 APIGW.0301',
    'enable-key allowed 200 ',
  ]) t.ok(ops.includes(expected), `recorded: ${expected}`);
  const refused = rows.find((r) => r.status === 401)!;
  t.equal(refused.access_key, creds.access_key, 'a refused call names the AK it claimed');
  t.equal(refused.domain_id, creds.domain_id);
  t.equal(refused.source_ip, '127.0.0.1');
  const ok = rows.find((r) => r.operation === 'decrypt-data')!;
  t.equal(ok.resource_id, keyId, 'decrypt-data names the key from the ciphertext');
  t.equal(ok.user_id, creds.user_id);
  t.match(ok.request_id, /^[0-9a-f]{32}$/);
  t.equal(rows.filter((r) => r.operation === 'disable-key' && r.outcome === 'allowed').length, 1, 'a state change is recorded once (in its own batch)');
  t.ok(rows.every((r) => r.operation !== 'encrypt-data' || r.resource_id === keyId), 'an alias is recorded as the key id it named');

  await t.test('list, usage and verify over the API', async (t) => {
    const list = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { key_id: keyId })).body as Any;
    t.ok(list.records.length >= 8);
    t.ok(list.records.every((r: Any) => r.resource_id === keyId));
    t.match(list.records[0], { operation: 'create-key', outcome: 'allowed', domain_id: creds.domain_id, time: /^\d{4}-\d\d-\d\dT/ });
    const page = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 2 })).body as Any;
    t.equal(page.records.length, 2);
    const next = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 2, marker: page.next_marker })).body as Any;
    t.ok(next.records[0].seq > page.records[1].seq, 'paging by marker');
    const since = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { since: new Date(Date.now() + 60_000).toISOString() })).body as Any;
    t.same(since.records, [], 'since a future time: nothing');
    const usage = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: 'audited' })).body as Any;
    t.equal(usage.key_id, keyId);
    t.match(usage.operations['encrypt-data'], { allowed: 1, failed: 1, total: 2 });
    t.match(usage.operations['decrypt-datakey'], { allowed: 1 });
    t.ok(usage.total >= 8);
    const v = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/verify')).body as Any;
    t.match(v, { ok: true, chains: 1 });
    t.equal((await apiError(d.client.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: 'nope' }))).code, 'KMS.0207');
    t.equal((await apiError(d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { since: 'yesterday-ish' }))).status, 400);
    t.equal((await apiError(d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 0 }))).code, 'KMS.1601');
  });

  await t.test('graceful shutdown flushes what is queued', async (t) => {
    for (let i = 0; i < 20; i++) await kms('gen-random', { random_data_length: '64' });
    const before = Number((await sqlOn(dbUrl, 'SELECT count(*) AS n FROM audit_records'))[0].n);
    await d.stop();
    const after = Number((await sqlOn(dbUrl, 'SELECT count(*) AS n FROM audit_records'))[0].n);
    t.ok(after >= before, `${before} → ${after}`);
    t.equal(Number((await sqlOn(dbUrl, "SELECT count(*) AS n FROM audit_records WHERE operation = 'gen-random'"))[0].n), 21, 'every call made it');
  });
});

t.test('listing reads records out of segments: paging, key, since and account filters agree with the stored trail', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  // Queued records are written when a listing asks (not by the timer): segments of many records.
  const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off', '--audit-flush', '10000'] });
  const a = d.client;
  const kmsA = (op: string, body: object = {}) => a.kms(op, body) as Promise<Any>;
  const keyA = (await kmsA('create-key', { key_alias: 'a' })).key_info.key_id;
  // A second account with its own administrator and key.
  const res = await a.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'bob', account: 'other', roles: ['KMS Administrator'] });
  const bobCreds = res.body as Any;
  const b = d.clientFor(bobCreds as { access_key: string; secret_key: string; project_id: string });
  const keyB = ((await b.kms('create-key', { key_alias: 'b' })) as Any).key_info.key_id;
  // Interleaved, concurrent calls of both accounts: segments holding records of both.
  for (let round = 0; round < 3; round++) {
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => kmsA('encrypt-data', { key_id: 'a', plain_text: `a${round}-${i}` })),
      ...Array.from({ length: 9 }, (_, i) => b.kms('encrypt-data', { key_id: 'b', plain_text: `b${round}-${i}` })),
      kmsA('gen-random', { random_data_length: '64' }),
    ]);
  }
  const records = (query: Record<string, string | number>, client = a) => client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, query).then((r) => r.body as Any);
  const pages = async (query: Record<string, string | number>, client = a) => {
    const out: Any[] = [];
    let marker: string | undefined;
    do {
      const page = await records({ ...query, limit: 5, ...(marker ? { marker } : {}) }, client);
      t.ok(page.records.length <= 5);
      out.push(...page.records);
      marker = page.next_marker || undefined;
    } while (marker);
    return out;
  };
  await records({ limit: 1 }); // flushes the queue
  const stored = await sqlOn(dbUrl, 'SELECT * FROM audit_records ORDER BY seq');
  const segments = await sqlOn(dbUrl, 'SELECT count(*) AS n FROM audit_segments');
  t.ok(Number(segments[0].n) < stored.length / 3, `${stored.length} records in ${segments[0].n} segments`);
  // The listing calls below are recorded too: compare what was stored before them.
  const last = Number(stored.at(-1)!.seq);
  const seqs = (rows: Any[]) => rows.map((r) => Number(r.seq)).filter((s) => s <= last);

  const mine = stored.filter((r) => r.domain_id === d.daemon.credentials.domain_id || r.resource_id === keyA);
  const allA = await pages({});
  t.same(seqs(allA), seqs(mine), "the account's whole trail, page by page, in order, nothing skipped or repeated");
  t.notOk(allA.some((r) => r.resource_id === keyB), "another account's key never shows");
  const byKey = await pages({ key_id: keyA });
  t.same(seqs(byKey), seqs(stored.filter((r) => r.resource_id === keyA)), 'one key, page by page');
  t.equal(byKey.filter((r) => r.operation === 'encrypt-data').length, 36);
  // Newest first: the same records in reverse, page by page, the marker paging towards older ones.
  t.same(seqs(await pages({ key_id: keyA, order: 'desc' })), seqs(byKey).reverse(), 'one key, newest first');
  t.same(seqs(await pages({ order: 'desc' })), seqs(mine).reverse(), "the account's whole trail, newest first, nothing skipped or repeated");
  const latest = await records({ order: 'desc', limit: 1 });
  t.ok(Number(latest.records[0].seq) > last, 'the first record newest first is the latest call (the listing before it)');
  // By operation: the index picks the segments, the records inside are filtered one by one.
  const randoms = await pages({ operation: 'gen-random,create-key' });
  t.same(seqs(randoms), seqs(mine.filter((r) => r.operation === 'gen-random' || r.operation === 'create-key')), 'only the operations asked for, page by page');
  t.equal(randoms.filter((r) => r.operation === 'gen-random').length, 3, 'the three gen-random calls');
  t.same(seqs(await pages({ key_id: keyA, operation: 'encrypt-data', order: 'desc' })), seqs(byKey.filter((r) => r.operation === 'encrypt-data')).reverse(), 'with a key and newest first too');
  t.equal((await apiError(records({ operation: 'a,,b' }))).status, 400, 'an empty operation name is a 400');
  t.equal((await apiError(records({ operation: Array.from({ length: 21 }, (_, i) => `op${i}`).join(',') }))).status, 400, 'more than 20 is a 400');
  const sideways = await apiError(records({ order: 'sideways' }));
  t.equal(sideways.status, 400, 'an unknown order is a 400');
  t.match(sideways.message, /order: asc .* or desc/, 'naming the two orders');
  const middle = stored[Math.floor(stored.length / 2)];
  const since = await pages({ key_id: keyB, since: Number(middle.at) }, b);
  t.same(seqs(since), seqs(stored.filter((r) => r.resource_id === keyB && Number(r.at) >= Number(middle.at))), 'since a time, for the other account');
  // Another account's key id: an administrator sees what their own account did with it, nothing else.
  const foreign = await pages({ key_id: keyB });
  t.ok(foreign.every((r) => r.domain_id === d.daemon.credentials.domain_id && r.operation.startsWith('GET ')), "another account's key: only this account's own listing calls about it");
  const foreignUsage = (await a.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: keyB })).body as Any;
  t.equal(foreignUsage.key_id, keyB);
  t.notOk(foreignUsage.operations['encrypt-data'], "another account's key: none of its usage");
  const bUser = await b.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'carol', roles: ['KMS CMKFullAccess'] });
  const carol = d.clientFor(bUser.body as { access_key: string; secret_key: string; project_id: string });
  t.equal((await apiError(records({ key_id: keyA }, carol))).code, 'KMS.0207', "a non-administrator of another account: not found");
  t.equal((await apiError(b.request('GET', '/v1.0/{project_id}/dew/audit/verify'))).code, 'KMS.0307', "another account's administrator cannot verify every account's chains");
  const allB = await pages({}, b);
  t.ok(allB.length > 0 && allB.every((r) => r.domain_id === bobCreds.domain_id || r.resource_id === keyB), "the other administrator sees their account's records and who touched their key");
  t.notOk(allB.some((r) => r.resource_id === keyA && r.operation === 'encrypt-data'), "never the first account's use of its key");

  const usage = (await a.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: keyA })).body as Any;
  t.equal(usage.operations['encrypt-data'].allowed, 36, 'usage sums the index rows of every segment');
  t.ok(usage.total >= stored.filter((r) => r.resource_id === keyA).length, 'and every other call about the key');
  // Per UTC day, from the index: every call of the run is today's, the days before count none.
  const daily = (await a.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: keyA, days: 3 })).body as Any;
  const today = new Date().toISOString().slice(0, 10);
  t.same(daily.per_day.map((d: Any) => d.day).at(-1), today, 'the last of the days is today (UTC)');
  t.equal(daily.per_day.length, 3, 'three days, oldest first');
  // (A run across midnight UTC puts its first calls on yesterday: the sums hold either way.)
  t.equal(daily.per_day[0].total, 0, 'no calls two days ago');
  t.equal(daily.per_day.reduce((n: number, d: Any) => n + d.total, 0), daily.total, 'every call about the key is on one of the days');
  t.ok(daily.per_day.every((d: Any) => d.allowed + d.refused + d.failed === d.total) && daily.per_day.reduce((n: number, d: Any) => n + d.allowed, 0) >= 36, 'split by outcome');
  for (const bad of ['0', '367', 'x'])
    t.equal((await apiError(a.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: keyA, days: bad }))).status, 400, `days=${bad} is a 400`);
});

t.test('grants, aliases, IAM and stack changes: the record is in the database the moment the change answers', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  // Queued records would wait 10 s: what is found right after a call was written with its change.
  const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off', '--audit-flush', '10000'] });
  const a = d.client;
  const kms = (op: string, body: object = {}) => a.kms(op, body) as Promise<Any>;
  const stored = (operation: string, resourceId: string) =>
    sqlOn(dbUrl, "SELECT * FROM audit_records WHERE operation = ? AND resource_id = ? AND outcome = 'allowed'", [operation, resourceId]).then((r) => r.length);
  const keyId = (await kms('create-key', { key_alias: 'k1' })).key_info.key_id;
  const other = (await kms('create-key', { key_alias: 'k2' })).key_info.key_id;
  t.equal(await stored('create-key', keyId), 1, 'create-key (as before)');

  const user = (await a.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'dana', roles: ['KMS CMKFullAccess'] })).body as Any;
  t.equal(await stored('create-user', user.user_id), 1, 'create user');
  await a.request('PUT', `/v1.0/{project_id}/dew/iam/users/${user.user_id}/roles`, { roles: ['KMS Administrator'] });
  t.equal(await stored('set-user-roles', user.user_id), 1, 'set roles');
  const ak = (await a.request('POST', `/v1.0/{project_id}/dew/iam/users/${user.user_id}/access-keys`, {})).body as Any;
  t.equal(await stored('create-access-key', ak.access_key), 1, 'create access key');
  await a.request('DELETE', `/v1.0/{project_id}/dew/iam/access-keys/${ak.access_key}`);
  t.equal(await stored('delete-access-key', ak.access_key), 1, 'delete access key');
  const domainId = d.daemon.credentials.domain_id;
  await a.request('PUT', '/v1.0/{project_id}/dew/iam/ip-acl', { cidrs: ['127.0.0.0/8'] });
  await a.request('DELETE', '/v1.0/{project_id}/dew/iam/ip-acl');
  await a.request('DELETE', '/v1.0/{project_id}/dew/iam/ip-acl');
  t.equal(await stored('set-ip-acl', domainId), 1, 'set the IP allow-list');
  t.equal(await stored('delete-ip-acl', domainId), 2, 'clear it (clearing twice is still a recorded call)');

  const g = await kms('create-grant', { key_id: keyId, grantee_principal: user.user_id, operations: ['encrypt-data'] });
  t.equal(await stored('create-grant', keyId), 1, 'create-grant');
  await kms('revoke-grant', { key_id: keyId, grant_id: g.grant_id });
  t.equal(await stored('revoke-grant', keyId), 1, 'revoke-grant');
  t.equal((await apiError(kms('revoke-grant', { key_id: keyId, grant_id: g.grant_id }))).status, 404);
  t.equal(await stored('revoke-grant', keyId), 1, 'a refused revoke writes no allowed record');

  await a.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: keyId, alias: 'alias/app' });
  t.equal(await stored('create-alias', keyId), 1, 'create an alias');
  await a.request('POST', '/v1.0/{project_id}/kms/alias/associate', { alias: 'alias/app', target_key_id: other });
  t.equal(await stored('associate-alias', other), 1, 'point it at another key');
  await a.request('DELETE', '/v1.0/{project_id}/kms/aliases', { key_id: other, aliases: ['alias/app'] });
  t.equal(await stored('delete-alias', other), 1, 'delete it');

  const stack = 'stacks/prod';
  const lock = ((await a.request('POST', '/v1.0/{project_id}/dew/stacks/prod/lock', { who: 'ci', operation: 'apply' })).body as Any).lock;
  await a.request('PUT', '/v1.0/{project_id}/dew/stacks/prod/objects', { lock_id: lock.id, address: 'dew_kms_key.k1', type: 'dew_kms_key', object_id: keyId, attributes: {} });
  await a.request('DELETE', '/v1.0/{project_id}/dew/stacks/prod/objects', { lock_id: lock.id, address: 'dew_kms_key.k1' });
  await a.request('DELETE', `/v1.0/{project_id}/dew/stacks/prod/lock?lock_id=${lock.id}`);
  for (const op of ['lock-stack', 'put-stack-object', 'delete-stack-object', 'unlock-stack']) t.equal(await stored(op, stack), 1, `${op}: each step of the stack is its own operation`);

  await a.request('DELETE', `/v1.0/{project_id}/dew/iam/users/${user.user_id}`);
  t.equal(await stored('delete-user', user.user_id), 1, 'delete user');
  const v = (await a.request('GET', '/v1.0/{project_id}/dew/audit/verify')).body as Any;
  t.match(v, { ok: true }, 'and the chain holds');
});
