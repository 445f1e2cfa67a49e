/**
 * The op lane (daemon/http/op-lane.ts) serves `POST /v1.0/{project_id}/kms/{operation}` outside Hono
 * and must answer exactly as the Hono routes do. The same request is sent to the canonical path
 * (the lane) and to a percent-escaped spelling of it (`encrypt%2Ddata`, which the lane leaves to
 * Hono): statuses, content types, error codes and messages must match, and each side must read
 * what the other wrote.
 */
import t, { type Test } from 'tap';
import { request as httpRequest } from 'node:http';
import { signRequest } from '../../provider/client/signer.js';
import { startTestDaemon } from '../helpers/daemon.js';

interface Answer {
  status: number;
  type: string | null;
  requestId: string | null;
  connection: string | null;
  body: Record<string, unknown> | undefined;
}

t.test('the op lane answers as the Hono routes do', async (t) => {
  const d = await startTestDaemon(t);
  const c = d.daemon.credentials;
  const json = { 'content-type': 'application/json' };
  const lane = (op: string) => `/v1.0/${c.project_id}/kms/${op}`;
  const hono = (op: string) => `/v1.0/${c.project_id}/kms/${op.replace('-', '%2D')}`;
  const signed = (path: string, body: string) => ({ ...json, ...signRequest({ method: 'POST', url: d.daemon.url + path, headers: json, body }, { accessKey: c.access_key, secretKey: c.secret_key }) });

  async function send(path: string, body: string, headers: Record<string, string> = signed(path, body)): Promise<Answer> {
    const res = await fetch(d.daemon.url + path, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), requestId: res.headers.get('x-request-id'), connection: res.headers.get('connection'), body: text ? JSON.parse(text) : undefined };
  }

  /** Sends to both paths; asserts the same status, content type and body (request ids aside). */
  async function both(t: Test, op: string, body: string, headers?: (path: string) => Record<string, string>) {
    const a = await send(lane(op), body, headers?.(lane(op)));
    const b = await send(hono(op), body, headers?.(hono(op)));
    t.equal(a.status, b.status, `${op}: same status`);
    t.equal(a.type, b.type, `${op}: same content type`);
    t.match(a.requestId, /^[0-9a-f]{32}$/, 'the lane answers with a request id');
    const strip = (x: Answer) => JSON.parse(JSON.stringify(x.body ?? null, (k, v) => (k === 'request_id' ? undefined : v)));
    if (a.status === 200) t.same(Object.keys(a.body ?? {}).sort(), Object.keys(b.body ?? {}).sort(), `${op}: same fields`);
    else t.same(strip(a), strip(b), `${op}: same error body`);
    if (a.body && 'request_id' in a.body) t.equal(a.body.request_id, a.requestId, 'request_id matches X-Request-Id');
    return [a, b];
  }

  const created = await send(lane('create-key'), JSON.stringify({ key_alias: 'lane-key' }));
  t.equal(created.status, 200);
  const keyId = (created.body!.key_info as { key_id: string }).key_id;

  await t.test('successes, and each side decrypts what the other encrypted', async (t) => {
    const [a, b] = await both(t, 'encrypt-data', JSON.stringify({ key_id: 'lane-key', plain_text: 'both ways' }));
    t.equal(a.body!.key_id, keyId);
    t.equal(b.body!.key_id, keyId);
    const viaHono = await send(hono('decrypt-data'), JSON.stringify({ cipher_text: a.body!.cipher_text }));
    const viaLane = await send(lane('decrypt-data'), JSON.stringify({ cipher_text: b.body!.cipher_text }));
    t.equal(viaHono.body!.plain_text, 'both ways');
    t.equal(viaLane.body!.plain_text, 'both ways');
    await both(t, 'create-datakey', JSON.stringify({ key_id: keyId, datakey_length: '256' }));
    await both(t, 'gen-random', JSON.stringify({ random_data_length: '128' }));
    await both(t, 'describe-key', JSON.stringify({ key_id: 'lane-key' }));
  });

  await t.test('validation and state errors', async (t) => {
    await both(t, 'encrypt-data', '{"key_id":');
    await both(t, 'encrypt-data', '[]');
    await both(t, 'encrypt-data', '');
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId }));
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x', surprise: 1 }));
    await both(t, 'encrypt-data', JSON.stringify({ key_id: 'no-such-alias', plain_text: 'x' }));
    await both(t, 'decrypt-data', JSON.stringify({ cipher_text: Buffer.alloc(140, 1).toString('base64') }));
    await both(t, 'gen-random', JSON.stringify({ random_data_length: '7' }));
    t.equal((await send(lane('disable-key'), JSON.stringify({ key_id: keyId }))).status, 200);
    const [a] = await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x' }));
    t.equal((a.body!.error as { error_code: string }).error_code, 'KMS.0209', 'disabled key refused on the lane');
    t.equal((await send(hono('enable-key'), JSON.stringify({ key_id: keyId }))).status, 200);
    await both(t, 'disable-key', JSON.stringify({ key_id: keyId, surprise: true }));
  });

  await t.test('authentication failures and tokens', async (t) => {
    const [a] = await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x' }), () => json);
    t.equal(a.status, 401);
    t.equal(a.body!.error_code, 'APIGW.0301');
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x' }), (path) => ({ ...signed(path, '{}') }));
    const tokenRes = await fetch(`${d.daemon.url}/v3/auth/tokens`, { method: 'POST', headers: signed('/v3/auth/tokens', '{}'), body: '{}' });
    const token = tokenRes.headers.get('x-subject-token')!;
    const [ok] = await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x' }), () => ({ ...json, 'x-auth-token': token }));
    t.equal(ok.status, 200);
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x' }), () => ({ ...json, 'x-auth-token': token.slice(0, -2) + 'xx' }));
  });

  await t.test('oversize bodies: refused before they are read, declared or chunked', async (t) => {
    const big = JSON.stringify({ key_id: keyId, plain_text: 'x'.repeat(70_000) });
    const [a] = await both(t, 'encrypt-data', big);
    t.equal(a.status, 400);
    t.equal((a.body!.error as { error_code: string }).error_code, 'KMS.0203');
    t.equal(a.connection, 'close', 'the lane closes a connection whose body it did not read');
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(d.daemon.url + lane('encrypt-data'), { method: 'POST', headers: { ...json, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (x) => (text += x));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(4096));
      req.end();
    });
    t.equal(chunked.status, 400);
    t.match(chunked.body, /KMS\.0203/);
  });

  await t.test('answers written together still reach their own requests; a client gone early harms none', async (t) => {
    const texts = Array.from({ length: 120 }, (_, i) => `message ${i} ${'#'.repeat(i)}`);
    const sealed = await Promise.all(texts.map((plain_text) => send(lane('encrypt-data'), JSON.stringify({ key_id: keyId, plain_text }))));
    t.ok(sealed.every((a) => a.status === 200), 'all encrypted');
    t.equal(new Set(sealed.map((a) => a.requestId)).size, texts.length, 'each answer has its own request id');
    const opened = await Promise.all(sealed.map((a) => send(lane('decrypt-data'), JSON.stringify({ cipher_text: a.body!.cipher_text }))));
    t.same(opened.map((a) => a.body!.plain_text), texts, 'each ciphertext came back to the request that sent its plaintext');
    for (let i = 0; i < 10; i++) {
      const body = JSON.stringify({ random_data_length: '64' });
      const req = httpRequest(d.daemon.url + lane('gen-random'), { method: 'POST', headers: signed(lane('gen-random'), body) });
      req.on('error', () => undefined);
      req.end(body, () => req.destroy());
    }
    const after = await send(lane('gen-random'), JSON.stringify({ random_data_length: '64' }));
    t.equal(after.status, 200);
    t.notOk(d.logs.some((l) => /"level":"error"/.test(l)), 'no error logged');
  });

  await t.test('paths the lane does not own still reach Hono', async (t) => {
    const unknown = await send(lane('no-such-operation'), '{}');
    t.equal(unknown.status, 404);
    const query = await send(lane('gen-random') + '?x=1', JSON.stringify({ random_data_length: '64' }));
    t.equal(query.status, 200, 'a query string is signed and served on the lane');
    const trailing = await send(lane('gen-random') + '/', JSON.stringify({ random_data_length: '64' }));
    t.equal(trailing.status, 404, 'a trailing slash is not an operation (as on Hono)');
  });
});
