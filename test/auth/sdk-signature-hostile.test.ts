// Hostile inputs for the SDK-HMAC-SHA256 verifier: every tampering is refused with its reason, and nothing throws.
import t from 'tap';
import { verifySdkSignature, type SdkSignedRequest, type SignatureFailure } from '../../daemon/http/auth/sdk-signature.js';
import { signRequest } from '../../provider/client/signer.js';

const AK = 'AK-HOSTILE-0001';
const SK = 'the-right-secret-key-0123456789abcdef';
const PID = '0123456789abcdef0123456789abcdef';
const NOW = Date.UTC(2025, 3, 15, 12, 0, 0);
const URL_ = `http://127.0.0.1:8080/v1.0/${PID}/kms/list-keys?limit=10&offset=0`;
const BODY = JSON.stringify({ limit: '10', key_state: '2' });

interface Wire {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  body: string;
}

function signedWire(sk = SK, dateMs = NOW): Wire {
  const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': PID, host: '127.0.0.1:8080' };
  const added = signRequest({ method: 'POST', url: URL_, headers, body: BODY }, { accessKey: AK, secretKey: sk }, () => dateMs);
  const u = new URL(URL_);
  return {
    method: 'POST',
    path: u.pathname,
    rawQuery: u.search.slice(1),
    headers: { ...headers, 'x-sdk-date': added['X-Sdk-Date'], authorization: added.Authorization },
    body: BODY,
  };
}

function toRequest(w: Wire): SdkSignedRequest {
  return { method: w.method, path: w.path, rawQuery: w.rawQuery, header: (n) => w.headers[n.toLowerCase()], body: w.body };
}

const lookup = (ak: string) => (ak === AK ? Buffer.from(SK, 'utf8') : undefined);
const auth = (w: Wire) => w.headers.authorization;
const withAuth = (w: Wire, value: string | undefined): Wire => {
  const headers = { ...w.headers };
  if (value === undefined) delete headers.authorization;
  else headers.authorization = value;
  return { ...w, headers };
};
const sig = (w: Wire) => auth(w).slice(auth(w).indexOf('Signature=') + 10);

type Case = [name: string, wire: Wire, reason: SignatureFailure, akReported: boolean];

t.test('the untouched request verifies', async (t) => {
  t.same(verifySdkSignature(toRequest(signedWire()), lookup, NOW), { ok: true, accessKey: AK, unsignedPayload: false });
});

t.test('(d) hostile table', async (t) => {
  const w = signedWire();
  const cases: Case[] = [
    ['wrong SK', signedWire('a-wrong-secret-key'), 'bad_signature', true],
    ['tampered body', { ...w, body: BODY.replace('10', '11') }, 'bad_signature', true],
    ['body with trailing space', { ...w, body: BODY + ' ' }, 'bad_signature', true],
    ['tampered path', { ...w, path: w.path.replace('list-keys', 'list-grants') }, 'bad_signature', true],
    ['extra path segment', { ...w, path: w.path + '/x' }, 'bad_signature', true],
    ['tampered method', { ...w, method: 'PUT' }, 'bad_signature', true],
    ['tampered query value', { ...w, rawQuery: 'limit=11&offset=0' }, 'bad_signature', true],
    ['added query parameter', { ...w, rawQuery: w.rawQuery + '&extra=1' }, 'bad_signature', true],
    ['dropped query', { ...w, rawQuery: '' }, 'bad_signature', true],
    ['tampered signed header (x-project-id)', { ...w, headers: { ...w.headers, 'x-project-id': 'f'.repeat(32) } }, 'bad_signature', true],
    ['tampered signed header (host)', { ...w, headers: { ...w.headers, host: 'evil:8080' } }, 'bad_signature', true],
    ['signed header absent', { ...w, headers: { ...w.headers, 'x-project-id': undefined as unknown as string } }, 'malformed', true],
    ['x-sdk-date not signed', withAuth(w, auth(w).replace(';x-sdk-date', '')), 'malformed', true],
    ['x-sdk-date header missing', { ...w, headers: { ...w.headers, 'x-sdk-date': undefined as unknown as string } }, 'bad_date', true],
    ['date 16 minutes old', signedWire(SK, NOW - 16 * 60_000), 'skew', true],
    ['date 16 minutes ahead', signedWire(SK, NOW + 16 * 60_000), 'skew', true],
    ['date swapped for a fresher one', { ...w, headers: { ...w.headers, 'x-sdk-date': '20250415T120100Z' } }, 'bad_signature', true],
    ['malformed date: ISO-8601 extended', { ...w, headers: { ...w.headers, 'x-sdk-date': '2025-04-15T12:00:00Z' } }, 'bad_date', true],
    ['malformed date: no Z', { ...w, headers: { ...w.headers, 'x-sdk-date': '20250415T120000' } }, 'bad_date', true],
    ['malformed date: month 13', { ...w, headers: { ...w.headers, 'x-sdk-date': '20251315T120000Z' } }, 'bad_date', true],
    ['malformed date: Feb 30', { ...w, headers: { ...w.headers, 'x-sdk-date': '20250230T120000Z' } }, 'bad_date', true],
    ['malformed date: hour 24', { ...w, headers: { ...w.headers, 'x-sdk-date': '20250415T240000Z' } }, 'bad_date', true],
    ['malformed date: sign in digits', { ...w, headers: { ...w.headers, 'x-sdk-date': '20250415T-10000Z' } }, 'bad_date', true],
    ['malformed date: epoch seconds', { ...w, headers: { ...w.headers, 'x-sdk-date': String(NOW / 1000) } }, 'bad_date', true],
    ['no Authorization', withAuth(w, undefined), 'missing', false],
    ['empty Authorization', withAuth(w, ''), 'missing', false],
    ['other scheme', withAuth(w, auth(w).replace('SDK-HMAC-SHA256', 'SDK-HMAC-SM3')), 'malformed', false],
    ['Bearer token', withAuth(w, 'Bearer abc'), 'malformed', false],
    ['scheme only', withAuth(w, 'SDK-HMAC-SHA256 '), 'malformed', false],
    ['lowercase scheme', withAuth(w, auth(w).replace('SDK-HMAC-SHA256', 'sdk-hmac-sha256')), 'malformed', false],
    ['missing Access', withAuth(w, auth(w).replace(`Access=${AK}, `, '')), 'malformed', false],
    ['missing SignedHeaders', withAuth(w, auth(w).replace(/SignedHeaders=[^,]*, /, '')), 'malformed', false],
    ['missing Signature', withAuth(w, auth(w).replace(/, Signature=.*$/, '')), 'malformed', false],
    ['duplicate Access', withAuth(w, auth(w).replace(`Access=${AK}, `, `Access=${AK}, Access=${AK}, `)), 'malformed', false],
    ['unknown part', withAuth(w, auth(w) + ', Extra=1'), 'malformed', false],
    ['trailing comma', withAuth(w, auth(w) + ','), 'malformed', false],
    ['empty Access', withAuth(w, auth(w).replace(`Access=${AK}`, 'Access=')), 'malformed', false],
    ['Access with space', withAuth(w, auth(w).replace(`Access=${AK}`, 'Access=a b')), 'malformed', false],
    ['uppercase signed header name', withAuth(w, auth(w).replace('x-project-id', 'X-Project-Id')), 'malformed', false],
    ['empty signed header name', withAuth(w, auth(w).replace('host;', ';')), 'malformed', false],
    ['authorization listed as signed', withAuth(w, auth(w).replace('content-type;', 'authorization;content-type;')), 'malformed', false],
    ['unknown AK', withAuth(w, auth(w).replace(`Access=${AK}`, 'Access=NOBODY')), 'unknown_ak', true],
    ['empty signature', withAuth(w, auth(w).replace(/Signature=.*$/, 'Signature=')), 'malformed', false],
    ['non-hex signature', withAuth(w, auth(w).replace(/Signature=.*$/, 'Signature=' + 'zz'.repeat(32))), 'malformed', false],
    ['hex signature with one bad digit', withAuth(w, auth(w).replace(/.$/, 'g')), 'malformed', false],
    ['short signature', withAuth(w, auth(w).slice(0, -2)), 'malformed', false],
    ['long signature', withAuth(w, auth(w) + '00'), 'malformed', false],
    ['wrong signature (flipped digit)', withAuth(w, auth(w).slice(0, -1) + (sig(w).endsWith('0') ? '1' : '0')), 'bad_signature', true],
    ['huge header', withAuth(w, auth(w) + ' '.repeat(10_000)), 'malformed', false],
  ];
  for (const [name, wire, reason, akReported] of cases) {
    let result;
    try {
      result = verifySdkSignature(toRequest(wire), lookup, NOW);
    } catch (e) {
      t.fail(`${name}: threw ${String(e)}`);
      continue;
    }
    t.equal(result.ok, false, `${name}: refused`);
    if (!result.ok) {
      t.equal(result.reason, reason, `${name}: reason ${reason}`);
      t.equal(result.accessKey, akReported ? (name === 'unknown AK' ? 'NOBODY' : AK) : undefined, `${name}: accessKey reported`);
    }
  }
});

t.test('spaces around parts are tolerated, uppercase hex too', async (t) => {
  const w = signedWire();
  const spaced = auth(w).replace(', SignedHeaders', ',SignedHeaders').replace(', Signature', ',   Signature') + '  ';
  t.equal(verifySdkSignature(toRequest(withAuth(w, spaced)), lookup, NOW).ok, true);
  const upper = auth(w).replace(sig(w), sig(w).toUpperCase());
  t.equal(verifySdkSignature(toRequest(withAuth(w, upper)), lookup, NOW).ok, true);
  const reordered = `SDK-HMAC-SHA256 Signature=${sig(w)}, Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date`;
  t.equal(verifySdkSignature(toRequest(withAuth(w, reordered)), lookup, NOW).ok, true, 'any part order');
});

t.test('window edges: exactly 15 minutes is accepted, a custom window is honoured', async (t) => {
  t.equal(verifySdkSignature(toRequest(signedWire(SK, NOW - 15 * 60_000)), lookup, NOW).ok, true);
  t.equal(verifySdkSignature(toRequest(signedWire(SK, NOW + 15 * 60_000)), lookup, NOW).ok, true);
  const r = verifySdkSignature(toRequest(signedWire(SK, NOW - 61_000)), lookup, NOW, 60_000);
  t.same(r, { ok: false, accessKey: AK, reason: 'skew' });
});

t.test('a body given as bytes verifies like the same string', async (t) => {
  const w = signedWire();
  const req = { ...toRequest(w), body: new TextEncoder().encode(BODY) };
  t.equal(verifySdkSignature(req, lookup, NOW).ok, true);
});

t.test('an X-Sdk-Content-Sha256 other than UNSIGNED-PAYLOAD cannot vouch for a swapped body', async (t) => {
  const w = signedWire();
  const { createHash } = await import('node:crypto');
  const realHash = createHash('sha256').update(BODY).digest('hex');
  const swapped = { ...w, body: '{"limit":"999"}', headers: { ...w.headers, 'x-sdk-content-sha256': realHash } };
  t.same(verifySdkSignature(toRequest(swapped), lookup, NOW), { ok: false, accessKey: AK, reason: 'bad_signature' });
});

t.test('programming errors are asserted', async (t) => {
  const req = toRequest(signedWire());
  t.throws(() => verifySdkSignature(req, undefined as never, NOW), TypeError);
  t.throws(() => verifySdkSignature(req, lookup, Number.NaN), TypeError);
  t.throws(() => verifySdkSignature(req, lookup, NOW, -1), TypeError);
});
