/** Authentication over real HTTP: Huawei-signed requests, tokens, and the gateway's 401 shape on every failure. */
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import { signRequest, formatSdkDate } from '../../provider/client/signer.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { startTestDaemon, apiError } from '../helpers/daemon.js';

const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js') as {
  AKSKSigner: { sign(request: object, credential: { getAk(): string; getSk(): string }): Record<string, string> };
};

t.test('authentication', async (t) => {
  const d = await startTestDaemon(t);
  const c = d.daemon.credentials;
  const kmsUrl = (op: string, project = c.project_id) => `${d.daemon.url}/v1.0/${project}/kms/${op}`;
  const body = JSON.stringify({ random_data_length: '64' });
  const jsonHeaders = { 'content-type': 'application/json' };

  async function expect401(t: Test, res: Response, pattern: RegExp) {
    t.equal(res.status, 401);
    const j = (await res.json()) as Record<string, string>;
    t.equal(j.error_code, 'APIGW.0301');
    t.match(j.error_msg, pattern);
    t.equal(j.request_id, res.headers.get('x-request-id'), 'request_id matches X-Request-Id');
  }

  await t.test('a request signed by the official Huawei SDK signer is accepted', async (t) => {
    const url = kmsUrl('gen-random');
    const data = { random_data_length: '64' };
    const headers = AKSKSigner.sign(
      { endpoint: url, method: 'POST', headers: { 'Content-Type': 'application/json;charset=UTF-8', 'X-Project-Id': c.project_id }, queryParams: {}, data },
      { getAk: () => c.access_key, getSk: () => c.secret_key },
    );
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(data) });
    t.equal(res.status, 200);
    t.match(((await res.json()) as { random_data: string }).random_data, /^[0-9a-f]{16}$/);
  });

  await t.test('no credentials, bad signatures, skew and foreign projects get 401 APIGW.0301', async (t) => {
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: jsonHeaders, body }), /x-auth-token not found/);
    const sign = (url: string, b: string, key = { accessKey: c.access_key, secretKey: c.secret_key }, clock = Date.now) =>
      ({ ...jsonHeaders, ...signRequest({ method: 'POST', url, headers: jsonHeaders, body: b }, key, clock) });
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: sign(kmsUrl('gen-random'), body, { accessKey: c.access_key, secretKey: 'wrong' }), body }), /verify aksk signature fail/);
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: sign(kmsUrl('gen-random'), body), body: body.replace('64', '72') }), /verify aksk signature fail/);
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: sign(kmsUrl('gen-random'), body, undefined, () => Date.now() - 20 * 60_000), body }), /15-minute/);
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: sign(kmsUrl('gen-random'), body, { accessKey: 'NOSUCHKEY', secretKey: 'x' }), body }), /^Incorrect IAM authentication information: verify aksk signature fail$/);
    const other = kmsUrl('gen-random', '0'.repeat(32));
    await expect401(t, await fetch(other, { method: 'POST', headers: sign(other, body), body }), /not valid for project/);
    const unsigned = { ...jsonHeaders, 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' };
    const h = { ...unsigned, ...signRequest({ method: 'POST', url: kmsUrl('gen-random'), headers: unsigned, body }, { accessKey: c.access_key, secretKey: c.secret_key }) };
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: h, body }), /UNSIGNED-PAYLOAD/);
    t.equal(formatSdkDate(Date.UTC(2026, 0, 2, 3, 4, 5)), '20260102T030405Z');
  });

  await t.test('X-Auth-Token from /v3/auth/tokens works, tampered or foreign tokens do not', async (t) => {
    const res = await d.client.request('POST', '/v3/auth/tokens', {});
    t.equal(res.status, 201);
    const token = res.headers['x-subject-token'];
    t.match(token, /^dewt1\./);
    t.ok(Date.parse((res.body as { token: { expires_at: string } }).token.expires_at) > Date.now() + 23 * 3600_000);
    const tc = new DewClient({ endpoint: d.daemon.url, projectId: c.project_id, token });
    t.match(((await tc.kms('gen-random', { random_data_length: '8' })) as { random_data: string }).random_data, /^[0-9a-f]{2}$/);
    const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: { ...jsonHeaders, 'x-auth-token': tampered }, body }), /decrypt token fail/);
    await expect401(t, await fetch(kmsUrl('gen-random'), { method: 'POST', headers: { ...jsonHeaders, 'x-auth-token': 'garbage' }, body }), /decrypt token fail/);
    const e = await apiError(new DewClient({ endpoint: d.daemon.url, projectId: '1'.repeat(32), token }).kms('gen-random', { random_data_length: '8' }));
    t.equal(e.status, 401);
  });

  await t.test('an expired token is refused', async (t) => {
    let now = Date.now();
    const clocked = await startTestDaemon(t, { now: () => now });
    const token = (await clocked.client.request('POST', '/v3/auth/tokens', {})).headers['x-subject-token'];
    const tc = new DewClient({ endpoint: clocked.daemon.url, projectId: clocked.daemon.credentials.project_id, token });
    await tc.kms('gen-random', { random_data_length: '8' });
    now += 25 * 3600_000;
    const e = await apiError(tc.kms('gen-random', { random_data_length: '8' }));
    t.equal(e.status, 401);
    t.match(e.message, /token expires/);
  });

  await t.test('the OpenAPI document is built from schemas/', async (t) => {
    const doc = (await (await fetch(`${d.daemon.url}/openapi.json`)).json()) as any;
    t.equal(doc.openapi, '3.1.0');
    const create = doc.paths['/v1.0/{project_id}/kms/create-key'].post;
    t.same(create.requestBody.content['application/json'].schema.required, ['key_alias']);
    t.ok(doc.paths['/v1.0/{project_id}/kms/encrypt-data'].post);
    t.ok(doc.paths['/v1.0/{project_id}/kms/{key_id}/tags/action'].post);
    t.notMatch(JSON.stringify(doc), /json-schema.org/, 'per-file $schema markers are not repeated inside the document');
  });
});
