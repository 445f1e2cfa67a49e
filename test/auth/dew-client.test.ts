// DewClient against a real Hono server on 127.0.0.1 that checks signatures with the daemon's verifier: signing, error mapping, retries.
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { verifySdkSignature } from '../../daemon/http/auth/sdk-signature.js';
import { toSdkSignedRequest } from '../../daemon/http/auth/sdk-request.js';
import { issueToken, verifyToken } from '../../daemon/http/auth/token.js';
import { createTokenMac } from '../../daemon/hsm/token-mac.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { DewApiError, DewNetworkError } from '../../provider/client/errors.js';

const AK = 'AK-CLIENT-TEST';
const SK = 'sk-client-test-0123456789';
const PID = '0123456789abcdef0123456789abcdef';
const TOKEN_KEY = createTokenMac(new Uint8Array(32).fill(3));
const lookup = (ak: string) => (ak === AK ? Buffer.from(SK, 'utf8') : undefined);

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  accessKey?: string;
  body: string;
}

function buildApp(seen: Seen[], counters: Map<string, number>) {
  const app = new Hono();
  let requestNo = 0;
  app.use('*', async (c, next) => {
    const requestId = `req-${++requestNo}`;
    c.header('X-Request-Id', requestId);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const record: Seen = { method: c.req.method, path: new URL(c.req.url).pathname, authorization: c.req.header('authorization'), body: Buffer.from(body).toString('utf8') };
    seen.push(record);
    const token = c.req.header('x-auth-token');
    if (token !== undefined) {
      const v = verifyToken(TOKEN_KEY, token, Date.now());
      if (!v.ok) return c.json({ error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: decrypt token fail', request_id: requestId }, 401);
      record.accessKey = v.claims.accessKey;
    } else {
      const v = verifySdkSignature(toSdkSignedRequest(c.req.raw, body), lookup, Date.now());
      if (!v.ok) return c.json({ error_code: 'APIGW.0301', error_msg: `Incorrect IAM authentication information: verify aksk signature fail (${v.reason})`, request_id: requestId }, 401);
      record.accessKey = v.accessKey;
    }
    await next();
  });
  const bump = (k: string) => {
    const n = (counters.get(k) ?? 0) + 1;
    counters.set(k, n);
    return n;
  };
  app.post('/v1.0/:project/kms/describe-key', async (c) => {
    const { key_id } = JSON.parse(seen[seen.length - 1].body) as { key_id: string };
    if (key_id === 'missing') return c.json({ error: { error_code: 'KMS.0207', error_msg: 'The key does not exist.' } }, 404);
    return c.json({ key_info: { key_id, key_state: '2' } });
  });
  app.post('/v1.0/:project/kms/create-key', (c) => {
    bump('create-key');
    return c.json({ error: { error_code: 'KMS.0101', error_msg: 'KMS error.' } }, 503);
  });
  app.get('/v1/:project/secrets', (c) => {
    const n = bump(`secrets:${c.req.query('scenario')}`);
    if (c.req.query('scenario') === 'flaky' && n < 3) return c.json({ error_code: 'CSMS.0001', error_msg: 'busy' }, 503);
    if (c.req.query('scenario') === 'down') return c.json({ error_code: 'CSMS.0001', error_msg: 'still busy' }, 503);
    if (c.req.query('scenario') === 'gone') return c.json({ error_code: 'CSMS.0005', error_msg: 'The resource does not exist.' }, 404);
    return c.json({ secrets: [], query: c.req.queries() });
  });
  return app;
}

async function start(t: Test) {
  const seen: Seen[] = [];
  const counters = new Map<string, number>();
  const app = buildApp(seen, counters);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, seen, counters };
}

const noSleep = (delays: number[]) => async (ms: number) => {
  delays.push(ms);
};

t.test('(h) KMS calls are signed and verified by the daemon verifier', async (t) => {
  const srv = await start(t);
  const client = new DewClient({ endpoint: srv.endpoint + '/', projectId: PID, accessKey: AK, secretKey: SK });
  const out = await client.kms('describe-key', { key_id: 'k-1' });
  t.same(out, { key_info: { key_id: 'k-1', key_state: '2' } });
  const last = srv.seen[srv.seen.length - 1];
  t.equal(last.path, `/v1.0/${PID}/kms/describe-key`);
  t.equal(last.accessKey, AK);
  t.match(last.authorization, /^SDK-HMAC-SHA256 Access=AK-CLIENT-TEST, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/);
  t.equal(last.body, '{"key_id":"k-1"}');
  const res = await client.request('GET', '/v1/{project_id}/secrets', undefined, { limit: 10, name: ['b', 'a b'], skip: undefined });
  t.equal(res.status, 200);
  t.equal(res.headers['x-request-id'], `req-${srv.seen.length}`);
  t.same(res.body, { secrets: [], query: { limit: ['10'], name: ['b', 'a b'] } });
});

t.test('(h) a wrong secret is refused by the daemon and surfaces as DewApiError', async (t) => {
  const srv = await start(t);
  const client = new DewClient({ endpoint: srv.endpoint, projectId: PID, accessKey: AK, secretKey: 'wrong' });
  const err = await client.kms('describe-key', { key_id: 'k-1' }).catch((e: unknown) => e);
  t.ok(err instanceof DewApiError);
  t.match(err, { status: 401, code: 'APIGW.0301', requestId: 'req-1' });
  t.match((err as Error).message, /verify aksk signature fail \(bad_signature\)/);
  t.notMatch(JSON.stringify(err) + (err as Error).message, /wrong/, 'the secret does not leak into the error');
});

t.test('(h) KMS-shaped and CSMS-shaped error bodies map to DewApiError', async (t) => {
  const srv = await start(t);
  const delays: number[] = [];
  const client = new DewClient({ endpoint: srv.endpoint, projectId: PID, accessKey: AK, secretKey: SK, sleep: noSleep(delays) });
  const kms = await client.kms('describe-key', { key_id: 'missing' }).catch((e: unknown) => e);
  t.ok(kms instanceof DewApiError);
  t.match(kms, { status: 404, code: 'KMS.0207', message: 'The key does not exist.' });
  t.match((kms as DewApiError).requestId, /^req-\d+$/);
  const csms = await client.request('GET', '/v1/{project_id}/secrets', undefined, { scenario: 'gone' }).catch((e: unknown) => e);
  t.match(csms, { status: 404, code: 'CSMS.0005', message: 'The resource does not exist.' });
  t.same(delays, [], '404 is not retried');
});

t.test('(h) token auth sends X-Auth-Token', async (t) => {
  const srv = await start(t);
  const token = issueToken(TOKEN_KEY, { userId: 'u', domainId: 'd', projectId: PID, accessKey: 'AK-FROM-TOKEN', expiresAtMs: Date.now() + 60_000 });
  const client = new DewClient({ endpoint: srv.endpoint, projectId: PID, token });
  await client.kms('describe-key', { key_id: 'k-2' });
  t.equal(srv.seen[0].accessKey, 'AK-FROM-TOKEN');
  t.equal(srv.seen[0].authorization, undefined);
  const bad = new DewClient({ endpoint: srv.endpoint, projectId: PID, token: token.slice(0, -2) + 'AA' });
  await t.rejects(bad.kms('describe-key', { key_id: 'k' }), { status: 401, code: 'APIGW.0301' });
});

t.test('(h) GET retries on 503 with backoff, at most 3 tries', async (t) => {
  const srv = await start(t);
  const delays: number[] = [];
  const client = new DewClient({ endpoint: srv.endpoint, projectId: PID, accessKey: AK, secretKey: SK, sleep: noSleep(delays), random: () => 0.5 });
  const res = await client.request('GET', '/v1/{project_id}/secrets', undefined, { scenario: 'flaky' });
  t.equal(res.status, 200);
  t.equal(srv.counters.get('secrets:flaky'), 3);
  t.same(delays, [75, 150]);
  const down = await client.request('GET', '/v1/{project_id}/secrets', undefined, { scenario: 'down' }).catch((e: unknown) => e);
  t.match(down, { status: 503, code: 'CSMS.0001' });
  t.equal(srv.counters.get('secrets:down'), 3, 'gives up after 3 tries');
});

t.test('(h) a POST that changes state is never retried', async (t) => {
  const srv = await start(t);
  const delays: number[] = [];
  const client = new DewClient({ endpoint: srv.endpoint, projectId: PID, accessKey: AK, secretKey: SK, sleep: noSleep(delays) });
  await t.rejects(client.kms('create-key', { key_alias: 'x' }), { status: 503, code: 'KMS.0101' });
  t.equal(srv.counters.get('create-key'), 1);
  t.same(delays, []);
});

t.test('(h) network errors: read-only operations retry, others do not', async (t) => {
  const srv = await start(t);
  let failuresLeft = 0;
  let calls = 0;
  const flakyFetch: typeof fetch = async (input, init) => {
    calls++;
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }) });
    }
    return fetch(input, init);
  };
  const delays: number[] = [];
  const client = new DewClient({ endpoint: srv.endpoint, projectId: PID, accessKey: AK, secretKey: SK, fetch: flakyFetch, sleep: noSleep(delays) });
  failuresLeft = 2;
  t.same(await client.kms('describe-key', { key_id: 'k-3' }), { key_info: { key_id: 'k-3', key_state: '2' } });
  t.equal(calls, 3);
  t.equal(srv.seen.length, 1, 're-signed request reached the daemon once and verified');
  calls = 0;
  failuresLeft = 1;
  const err = await client.kms('create-key', {}).catch((e: unknown) => e);
  t.ok(err instanceof DewNetworkError);
  t.match(err, { code: 'NETWORK', hint: /dew daemon/ });
  t.equal(calls, 1);
});

t.test('(h) a daemon that is not running gives DewNetworkError', async (t) => {
  const srv = await start(t);
  const port = new URL(srv.endpoint).port;
  const closed = `http://127.0.0.1:${Number(port) === 1 ? 2 : 1}`;
  const client = new DewClient({ endpoint: closed, projectId: PID, accessKey: AK, secretKey: SK, sleep: async () => {} });
  const err = await client.request('GET', '/v1/{project_id}/secrets').catch((e: unknown) => e);
  t.ok(err instanceof DewNetworkError);
  t.notMatch((err as Error).message, new RegExp(SK));
});

t.test('(a, over HTTP) a request signed by the Huawei Node SDK signer passes the daemon middleware', async (t) => {
  const srv = await start(t);
  const require = createRequire(import.meta.url);
  const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js') as {
    AKSKSigner: { sign(request: object, credential: { getAk(): string; getSk(): string }): Record<string, string> };
  };
  const url = `${srv.endpoint}/v1.0/${PID}/kms/describe-key`;
  const data = { key_id: 'k-sdk' };
  const headers = AKSKSigner.sign(
    { endpoint: url, method: 'POST', headers: { 'Content-Type': 'application/json;charset=UTF-8', 'X-Project-Id': PID }, queryParams: {}, data },
    { getAk: () => AK, getSk: () => SK },
  );
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(data) });
  t.equal(res.status, 200);
  t.same(await res.json(), { key_info: { key_id: 'k-sdk', key_state: '2' } });
});

t.test('constructor and call arguments are asserted', async (t) => {
  t.throws(() => new DewClient({ endpoint: 'localhost:1', projectId: PID, token: 'x' }), TypeError);
  t.throws(() => new DewClient({ endpoint: 'http://h', projectId: '', token: 'x' }), TypeError);
  t.throws(() => new DewClient({ endpoint: 'http://h', projectId: PID, accessKey: AK, secretKey: '' }), TypeError);
  const c = new DewClient({ endpoint: 'http://h', projectId: PID, token: 'x' });
  await t.rejects(c.kms('../admin'), TypeError);
  await t.rejects(c.request('GET', 'no-slash'), TypeError);
});
