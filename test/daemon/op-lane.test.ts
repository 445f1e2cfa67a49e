/**
 * The op lane (daemon/http/op-lane.ts) serves `POST /v1.0/{project_id}/kms/{operation}` outside Hono.
 * Every such request is the lane's, including a percent-escaped spelling of the path
 * (`encrypt%2Ddata`, decoded as Hono decodes it): the same request sent both ways must give the
 * same full answer, each the one expected (status, error code and message), and each side must
 * read what the other wrote. The lane's errors must also be framed as the Hono routes frame theirs
 * (a route with a path parameter, `POST /kms/{key_id}/tags`, is Hono's): same status, content
 * type and body for the same fault.
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

t.test('the op lane: full answers on both spellings of a path, errors framed as on Hono', async (t) => {
  const d = await startTestDaemon(t);
  const c = d.daemon.credentials;
  const json = { 'content-type': 'application/json' };
  const lane = (op: string) => `/v1.0/${c.project_id}/kms/${op}`;
  /** The percent-escaped spelling of a lane path (the lane's too). */
  const hono = (op: string) => `/v1.0/${c.project_id}/kms/${op.replace('-', '%2D')}`;
  const signed = (path: string, body: string) => ({ ...json, ...signRequest({ method: 'POST', url: d.daemon.url + path, headers: json, body }, { accessKey: c.access_key, secretKey: c.secret_key }) });

  async function send(path: string, body: string, headers: Record<string, string> = signed(path, body)): Promise<Answer> {
    const res = await fetch(d.daemon.url + path, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), requestId: res.headers.get('x-request-id'), connection: res.headers.get('connection'), body: text ? JSON.parse(text) : undefined };
  }

  /**
   * What a call must answer: 200 with a body equal on both paths except the named fields, which
   * are random on every call (ciphertexts, data keys, random bytes: the caller checks what they
   * hold), or this status and error code (and a message matching `msg`).
   */
  type Expected = { status: 200; varying?: string[] } | { status: number; code: string; msg?: RegExp };
  const errorCode = (x: Answer) => (x.body?.error as { error_code?: string } | undefined)?.error_code ?? x.body?.error_code;
  const errorMsg = (x: Answer) => String((x.body?.error as { error_msg?: string } | undefined)?.error_msg ?? x.body?.error_msg);

  /** Sends to both paths; asserts the expected answer on each and the same full answer on both. */
  async function both(t: Test, op: string, body: string, expected: Expected, headers?: (path: string) => Record<string, string>) {
    const a = await send(lane(op), body, headers?.(lane(op)));
    const b = await send(hono(op), body, headers?.(hono(op)));
    const what = `${op} ${body.slice(0, 40)}`;
    for (const [side, x] of [['canonical', a], ['escaped', b]] as const) {
      t.equal(x.status, expected.status, `${what}: ${side} answers ${expected.status}`);
      t.equal(x.type, 'application/json', `${what}: ${side} answers JSON`);
      t.match(x.requestId, /^[0-9a-f]{32}$/, `${what}: ${side} answers with a request id`);
      if (x.body && 'request_id' in x.body) t.equal(x.body.request_id, x.requestId, `${what}: ${side} request_id matches X-Request-Id`);
      if ('code' in expected) {
        t.equal(errorCode(x), expected.code, `${what}: ${side} answers ${expected.code}`);
        if (expected.msg) t.match(errorMsg(x), expected.msg, `${what}: ${side} says why`);
      }
    }
    // Full answers, request ids aside (they differ by design); random fields are present on both
    // sides with the same length, and replaced for the comparison.
    const varying = new Set(['request_id', ...('varying' in expected ? (expected.varying ?? []) : [])]);
    const normal = (x: Answer) =>
      JSON.parse(JSON.stringify(x.body ?? null, (k, v) => (varying.has(k) && k !== 'request_id' ? `<${typeof v} of length ${String(v).length}>` : k === 'request_id' ? undefined : v)));
    t.same(normal(a), normal(b), `${what}: the same answer on both spellings`);
    for (const k of varying) if (k !== 'request_id') t.type(a.body?.[k], 'string', `${what}: ${k} is there`);
    return [a, b];
  }

  const created = await send(lane('create-key'), JSON.stringify({ key_alias: 'lane-key' }));
  t.equal(created.status, 200);
  const keyId = (created.body!.key_info as { key_id: string }).key_id;

  await t.test('successes, and each side decrypts what the other encrypted', async (t) => {
    const [a, b] = await both(t, 'encrypt-data', JSON.stringify({ key_id: 'lane-key', plain_text: 'both ways' }), { status: 200, varying: ['cipher_text'] });
    t.equal(a.body!.key_id, keyId);
    t.not(a.body!.cipher_text, b.body!.cipher_text, 'each encryption has its own IV');
    const viaHono = await send(hono('decrypt-data'), JSON.stringify({ cipher_text: a.body!.cipher_text }));
    const viaLane = await send(lane('decrypt-data'), JSON.stringify({ cipher_text: b.body!.cipher_text }));
    t.same(viaHono.body, viaLane.body, 'the same decrypted answer');
    t.same(viaLane.body, { key_id: keyId, plain_text: 'both ways', plain_text_base64: Buffer.from('both ways').toString('base64') });

    const [dkA, dkB] = await both(t, 'create-datakey', JSON.stringify({ key_id: keyId, datakey_length: '256' }), { status: 200, varying: ['plain_text', 'cipher_text'] });
    t.equal(dkA.body!.key_id, keyId);
    for (const [dk, path] of [[dkA, hono], [dkB, lane]] as const) {
      t.match(dk.body!.plain_text, /^[0-9a-f]{64}$/, 'a 256-bit data key');
      const back = await send(path('decrypt-datakey'), JSON.stringify({ key_id: keyId, cipher_text: dk.body!.cipher_text, datakey_cipher_length: '32' }));
      t.equal(back.status, 200);
      t.equal(back.body!.data_key, dk.body!.plain_text, 'the other path decrypts the data key to its plaintext');
    }

    const [rA, rB] = await both(t, 'gen-random', JSON.stringify({ random_data_length: '128' }), { status: 200, varying: ['random_data'] });
    t.match(rA.body!.random_data, /^[0-9a-f]{32}$/, '128 bits');
    t.not(rA.body!.random_data, rB.body!.random_data);
    const [described] = await both(t, 'describe-key', JSON.stringify({ key_id: 'lane-key' }), { status: 200 });
    t.match(described.body!.key_info, { key_id: keyId, key_alias: 'lane-key', key_spec: 'AES_256', key_state: '2' });
  });

  await t.test('validation and state errors', async (t) => {
    await both(t, 'encrypt-data', '{"key_id":', { status: 400, code: 'KMS.0202' });
    await both(t, 'encrypt-data', '[]', { status: 400, code: 'KMS.0202' });
    await both(t, 'encrypt-data', '', { status: 400, code: 'KMS.0204', msg: /: key_id\.$/ });
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId }), { status: 400, code: 'KMS.0204', msg: /: plain_text\.$/ });
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x', surprise: 1 }), { status: 400, code: 'KMS.0308', msg: /unknown field surprise/ });
    await both(t, 'encrypt-data', JSON.stringify({ key_id: 'no-such-alias', plain_text: 'x' }), { status: 404, code: 'KMS.0207' });
    await both(t, 'decrypt-data', JSON.stringify({ cipher_text: Buffer.alloc(140, 1).toString('base64') }), { status: 400, code: 'KMS.2201' });
    await both(t, 'gen-random', JSON.stringify({ random_data_length: '7' }), { status: 400, code: 'KMS.1801' });
    t.equal((await send(lane('disable-key'), JSON.stringify({ key_id: keyId }))).status, 200);
    await both(t, 'encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x' }), { status: 400, code: 'KMS.0209' });
    t.equal((await send(hono('enable-key'), JSON.stringify({ key_id: keyId }))).status, 200);
    await both(t, 'disable-key', JSON.stringify({ key_id: keyId, surprise: true }), { status: 400, code: 'KMS.0308', msg: /unknown field surprise/ });
    const state = (await send(lane('describe-key'), JSON.stringify({ key_id: keyId }))).body!.key_info as { key_state: string };
    t.equal(state.key_state, '2', 'the refused disable-key left the key enabled');
  });

  await t.test('authentication failures and tokens', async (t) => {
    const plain = JSON.stringify({ key_id: keyId, plain_text: 'x' });
    await both(t, 'encrypt-data', plain, { status: 401, code: 'APIGW.0301', msg: /x-auth-token not found/ }, () => json);
    await both(t, 'encrypt-data', plain, { status: 401, code: 'APIGW.0301', msg: /verify aksk signature fail/ }, (path) => ({ ...signed(path, '{}') }));
    const tokenRes = await fetch(`${d.daemon.url}/v3/auth/tokens`, { method: 'POST', headers: signed('/v3/auth/tokens', '{}'), body: '{}' });
    const token = tokenRes.headers.get('x-subject-token')!;
    const [ok] = await both(t, 'encrypt-data', plain, { status: 200, varying: ['cipher_text'] }, () => ({ ...json, 'x-auth-token': token }));
    t.equal(ok.body!.key_id, keyId);
    await both(t, 'encrypt-data', plain, { status: 401, code: 'APIGW.0301' }, () => ({ ...json, 'x-auth-token': token.slice(0, -2) + 'xx' }));
  });

  await t.test('errors are framed as on a Hono route', async (t) => {
    const tags = (id: string) => `/v1.0/${c.project_id}/kms/${id}/tags`;
    const cases: [string, [string, string], [string, string], number, string, ((path: string, body: string) => Record<string, string>)?][] = [
      ['malformed JSON', [lane('encrypt-data'), '{"key_id":'], [tags(keyId), '{"tag":'], 400, 'KMS.0202'],
      ['an unknown field', [lane('encrypt-data'), JSON.stringify({ key_id: keyId, plain_text: 'x', surprise: 1 })], [tags(keyId), JSON.stringify({ tag: { key: 'k', value: 'v' }, surprise: 1 })], 400, 'KMS.0308'],
      ['an unknown key', [lane('encrypt-data'), JSON.stringify({ key_id: '00000000-0000-0000-0000-000000000000', plain_text: 'x' })], [tags('00000000-0000-0000-0000-000000000000'), JSON.stringify({ tag: { key: 'k', value: 'v' } })], 404, 'KMS.0207'],
      ['no credentials', [lane('encrypt-data'), '{}'], [tags(keyId), '{}'], 401, 'APIGW.0301', () => json],
      ['a wrong signature', [lane('encrypt-data'), '{}'], [tags(keyId), '{}'], 401, 'APIGW.0301', (path) => signed(path, '{"other":1}')],
    ];
    const strip = (x: Answer) => JSON.parse(JSON.stringify(x.body ?? null, (k, v) => (k === 'request_id' ? undefined : v)));
    for (const [what, [lanePath, laneBody], [honoPath, honoBody], status, code, headers] of cases) {
      const a = await send(lanePath, laneBody, headers?.(lanePath, laneBody));
      const b = await send(honoPath, honoBody, headers?.(honoPath, honoBody));
      for (const [side, x] of [['lane', a], ['hono', b]] as const) {
        t.equal(x.status, status, `${what}: ${side} answers ${status}`);
        t.equal(errorCode(x), code, `${what}: ${side} answers ${code}`);
        t.equal(x.type, 'application/json', `${what}: ${side} answers JSON`);
        t.match(x.requestId, /^[0-9a-f]{32}$/, `${what}: ${side} answers with a request id`);
        t.equal(x.connection, 'keep-alive', `${what}: ${side} keeps the connection`);
      }
      t.same(strip(a), strip(b), `${what}: the same error body on the lane and on Hono`);
    }
  });

  await t.test('oversize bodies: refused before they are read, declared or chunked', async (t) => {
    const big = JSON.stringify({ key_id: keyId, plain_text: 'x'.repeat(70_000) });
    const [a] = await both(t, 'encrypt-data', big, { status: 400, code: 'KMS.0203' });
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
