// Interop of the daemon's SDK-HMAC-SHA256 verifier: the official Huawei Node SDK signer, a Go-SDK-shaped signer, our client signer, and a spec re-implementation.
import t from 'tap';
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { verifySdkSignature, type SdkSignedRequest } from '../../daemon/http/auth/sdk-signature.js';
import { signRequest } from '../../provider/client/signer.js';

const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js') as {
  AKSKSigner: { sign(request: object, credential: { getAk(): string; getSk(): string }): Record<string, string> };
};

const AK = 'HPUAXXXXEXAMPLEAK01';
const SK = 'sk-example-0123456789abcdefghijklmnopqrstuv';
const PID = '0123456789abcdef0123456789abcdef';
const lookup = (ak: string) => (ak === AK ? Buffer.from(SK, 'utf8') : undefined);

/** A verifier input from a header record, the way a server would see it. */
function serverRequest(method: string, url: string, headers: Record<string, string>, body: string | Uint8Array): SdkSignedRequest {
  const u = new URL(url);
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  if (!lower.has('host')) lower.set('host', u.host);
  return { method, path: u.pathname, rawQuery: u.search.slice(1), header: (n) => lower.get(n.toLowerCase()), body };
}

/**
 * Independent signer written from reference §7 alone (steps 1–10), deliberately naive.
 * `signed` lists the header names to sign; values come from `headers`.
 */
function specSign(method: string, url: string, headers: Record<string, string>, body: string, signed: string[], sk: string, ak: string): string {
  const u = new URL(url);
  const enc = (s: string) =>
    [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join('');
  // Step 3: Python unquotes the whole path, then splits and encodes; then a trailing '/'.
  let uri = decodeURIComponent(u.pathname).split('/').map(enc).join('/');
  if (!uri.endsWith('/')) uri += '/';
  // Step 4: sort by key, values sorted, repeated keys per value.
  const byKey = new Map<string, string[]>();
  for (const [k, v] of u.searchParams) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  const query = [...byKey.keys()].sort().flatMap((k) => byKey.get(k)!.sort().map((v) => `${enc(k)}=${enc(v)}`)).join('&');
  // Steps 5–6.
  const names = signed.map((s) => s.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n].trim()}\n`).join('');
  // Step 2.
  const payloadHash = lower['x-sdk-content-sha256'] ?? createHash('sha256').update(body).digest('hex');
  // Step 7.
  const canonicalRequest = `${method}\n${uri}\n${query}\n${canonicalHeaders}\n${names.join(';')}\n${payloadHash}`;
  // Steps 8–10.
  const sts = `SDK-HMAC-SHA256\n${lower['x-sdk-date']}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const sig = createHmac('sha256', sk).update(sts).digest('hex');
  return `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
}

t.test('(a) the official Huawei Node SDK signer verifies', async (t) => {
  const cases = [
    { method: 'POST', path: `/v1.0/${PID}/kms/create-key`, query: {}, data: { key_alias: 'alpha', key_spec: 'AES_256' } },
    { method: 'POST', path: `/v1.0/${PID}/kms/encrypt-data`, query: {}, data: { key_id: '0d0466b0-e727-4d9c-b35d-f84bb474a37f', plain_text: 'héllo wörld' } },
    { method: 'GET', path: `/v1/${PID}/secrets`, query: { limit: '10', marker: 'a b', tag: ['z', 'a'] }, data: undefined },
  ];
  for (const c of cases) {
    const headers: Record<string, string> = {
      'Content-Type': c.data ? 'application/json;charset=UTF-8' : 'application/json',
      'X-Project-Id': PID,
      'User-Agent': 'huaweicloud-usdk-nodejs/3.0',
    };
    const signedHeaders = AKSKSigner.sign(
      { endpoint: `https://kms.example.local:8443${c.path}`, method: c.method, headers, queryParams: c.query, data: c.data },
      { getAk: () => AK, getSk: () => SK },
    );
    t.match(signedHeaders.Authorization, /SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date,/);
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(c.query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
    const url = `https://kms.example.local:8443${c.path}${qs.size ? '?' + qs.toString() : ''}`;
    const body = c.data === undefined ? '' : JSON.stringify(c.data);
    const req = serverRequest(c.method, url, signedHeaders, body);
    t.same(verifySdkSignature(req, lookup, Date.now()), { ok: true, accessKey: AK, unsignedPayload: false }, `${c.method} ${c.path}`);
  }
});

t.test('(b) a Go-SDK-shaped request (only x-project-id;x-sdk-date signed, content-type not) verifies', async (t) => {
  const url = `https://kms.example.local/v1.0/${PID}/kms/describe-key`;
  const body = JSON.stringify({ key_id: '0d0466b0-e727-4d9c-b35d-f84bb474a37f' });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json;charset=UTF-8',
    'User-Agent': 'huaweicloud-usdk-go/3.0',
    'X-Project-Id': PID,
    'X-Sdk-Date': '20250301T101500Z',
  };
  headers.Authorization = specSign('POST', url, headers, body, ['x-project-id', 'x-sdk-date'], SK, AK);
  t.match(headers.Authorization, /SignedHeaders=x-project-id;x-sdk-date,/);
  const now = Date.UTC(2025, 2, 1, 10, 20, 0);
  t.same(verifySdkSignature(serverRequest('POST', url, headers, body), lookup, now), { ok: true, accessKey: AK, unsignedPayload: false });
  // Unsigned headers may change in transit without breaking the signature.
  const changed = { ...headers, 'Content-Type': 'text/plain', 'User-Agent': 'proxy' };
  t.equal(verifySdkSignature(serverRequest('POST', url, changed, body), lookup, now).ok, true);
  // With UNSIGNED-PAYLOAD (Go's choice for non-JSON bodies) the body is not covered, and the result says so.
  const unsigned: Record<string, string> = { ...headers, 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' };
  unsigned.Authorization = specSign('POST', url, unsigned, body, ['x-project-id', 'x-sdk-content-sha256', 'x-sdk-date'], SK, AK);
  t.same(verifySdkSignature(serverRequest('POST', url, unsigned, 'other body'), lookup, now), { ok: true, accessKey: AK, unsignedPayload: true });
});

t.test('(c) our client signer agrees with the verifier and with the spec re-implementation', async (t) => {
  const now = Date.UTC(2025, 5, 30, 23, 59, 59);
  const urls = [
    `http://127.0.0.1:9999/v1.0/${PID}/kms/create-key`,
    `http://127.0.0.1:9999/v1/${PID}/secrets/my-secret/versions?limit=5&marker=v%201&x=b&x=a`,
    `https://dew.example/base/v3/${PID}/keypairs/caf%C3%A9%20noir`,
  ];
  for (const url of urls) {
    const body = JSON.stringify({ sequence: '919c82d4-8046-4722-9094-35c3c6524cff' });
    const headers = { 'Content-Type': 'application/json;charset=UTF-8', 'X-Project-Id': PID, Accept: 'application/json' };
    const added = signRequest({ method: 'POST', url, headers, body }, { accessKey: AK, secretKey: SK }, () => now);
    t.equal(added['X-Sdk-Date'], '20250630T235959Z');
    t.match(added.Authorization, /SignedHeaders=content-type;host;x-project-id;x-sdk-date,/);
    const sent = { ...headers, ...added };
    t.same(verifySdkSignature(serverRequest('POST', url, sent, body), lookup, now), { ok: true, accessKey: AK, unsignedPayload: false }, url);
    const independent = specSign('POST', url, { ...sent, host: new URL(url).host }, body, ['content-type', 'host', 'x-project-id', 'x-sdk-date'], SK, AK);
    t.equal(added.Authorization, independent, `spec re-implementation agrees for ${url}`);
  }
  const date = signRequest({ method: 'GET', url: urls[0], headers: { 'X-Sdk-Date': '20240101T000000Z' } }, { accessKey: AK, secretKey: SK }, () => now);
  t.equal(date['X-Sdk-Date'], '20240101T000000Z', 'a caller-set X-Sdk-Date is kept');
});
