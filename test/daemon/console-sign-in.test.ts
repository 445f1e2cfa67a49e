/**
 * The console's sign-in API and static files against real daemons: a link works once (across two
 * daemons on one database) and not after two minutes; bad bodies are 4xx in the reference shape,
 * never 500; sign-out revokes the token on this daemon at once and on the other through the change
 * feed; each call is audited; /console/ serves only known files with the CSP and caching headers.
 */
import t from 'tap';
import { databaseFor, eventually, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

interface Link {
  token: string;
  expires_at: string;
}

const link = async (d: TestDaemon) => (await d.client.request('POST', '/v1.0/{project_id}/dew/console/sign-in-links')).body as Link;

const exchange = (d: TestDaemon, body: string) =>
  fetch(`${d.daemon.url}/v1.0/dew/console/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

const listKeys = (d: TestDaemon, token: string) =>
  fetch(`${d.daemon.url}/v1.0/${d.daemon.credentials.project_id}/kms/list-keys`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token }, body: '{}' });

t.test('a link is used once, on any daemon of the database; sign-out is honoured by both', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  const args = ['--sync-interval', '50', '--schedule', 'off'];
  const env = { DEW_MASTER_PASSPHRASE: 'console sign-in' };
  const a = await startTestDaemon(t, { dbUrl, args, env });
  const b = await startTestDaemon(t, { dbUrl, args, env });

  const l = await link(a);
  t.match(l.token, /^[A-Za-z0-9_-]{43}$/, 'the token is 32 bytes of base64url');
  const ttl = Date.parse(l.expires_at) - Date.now();
  t.ok(ttl > 100_000 && ttl <= 120_000, 'valid for two minutes');

  const first = await exchange(b, JSON.stringify({ sign_in_token: l.token }));
  t.equal(first.status, 201, 'the other daemon exchanges the link');
  const session = (await first.json()) as { token: string; expires_at: string; user: { id: string; name?: string }; project: { id: string }; roles: string[]; permissions: string[] };
  t.equal(session.user.id, a.daemon.credentials.user_id, 'for the user who made the link');
  t.equal(session.project.id, a.daemon.credentials.project_id);
  t.same(session.permissions, ['read', 'use', 'manage', 'iam'], 'an administrator may do everything');
  t.ok(session.roles.includes('KMS Administrator'));
  const hours = (Date.parse(session.expires_at) - Date.now()) / 3_600_000;
  t.ok(hours > 7.9 && hours <= 8, 'the session lasts eight hours');

  const again = await exchange(a, JSON.stringify({ sign_in_token: l.token }));
  t.equal(again.status, 401, 'a second use is refused');
  const refusal = (await again.json()) as { error_code?: string; error_msg?: string };
  t.equal(refusal.error_code, 'APIGW.0301');
  t.match(refusal.error_msg, /already used or expired/);
  t.equal((await exchange(b, JSON.stringify({ sign_in_token: 'A'.repeat(43) }))).status, 401, 'an unknown token is refused');

  t.equal((await listKeys(a, session.token)).status, 200, 'the session token works on A');
  t.equal((await listKeys(b, session.token)).status, 200, 'and on B');
  const out = await fetch(`${b.daemon.url}/v1.0/dew/console/sessions/current`, { method: 'DELETE', headers: { 'X-Auth-Token': session.token } });
  t.equal(out.status, 204, 'sign-out answers no content');
  t.equal((await listKeys(b, session.token)).status, 401, 'B refuses the token at once');
  t.ok(await eventually(async () => (await listKeys(a, session.token)).status === 401), 'A refuses it once the change feed brings the revocation');
  const again2 = await fetch(`${a.daemon.url}/v1.0/dew/console/sessions/current`, { method: 'DELETE', headers: { 'X-Auth-Token': session.token } });
  t.equal(again2.status, 401, 'a revoked token cannot sign out again');

  // A daemon started after the revocation loads it.
  const c = await startTestDaemon(t, { dbUrl, args, env });
  t.equal((await listKeys(c, session.token)).status, 401, 'a daemon started later refuses it too');

  // B's records reach the database on its next audit flush.
  type Rec = { operation: string; user_id: string; outcome: string; status: number };
  let records: Rec[] = [];
  const ops = (op: string) => records.filter((r) => r.operation === op);
  const read = async () => {
    records = ((await a.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1000 })).body as { records: Rec[] }).records;
    return ops('console-sign-out').length > 0 && ops('console-sign-in').length > 0;
  };
  t.ok(await eventually(read), 'the sign-in and sign-out records reach the trail');
  t.equal(ops('console-sign-in-link').length, 1, 'making the link is audited');
  t.same(ops('console-sign-in').map((r) => [r.outcome, r.status, r.user_id]), [['allowed', 201, a.daemon.credentials.user_id]], 'the exchange is audited with its user (refused ones belong to no account)');
  t.same(ops('console-sign-out').map((r) => [r.outcome, r.status, r.user_id]), [['allowed', 204, a.daemon.credentials.user_id]], 'sign-out is audited');
});

t.test('a link expires after two minutes', async (t) => {
  let clock = Date.now();
  const d = await startTestDaemon(t, { now: () => clock, args: ['--schedule', 'off'] });
  const l = await link(d);
  clock += 121_000;
  const r = await exchange(d, JSON.stringify({ sign_in_token: l.token }));
  t.equal(r.status, 401, 'refused after two minutes');
  const l2 = await link(d);
  clock += 119_000;
  t.equal((await exchange(d, JSON.stringify({ sign_in_token: l2.token }))).status, 201, 'accepted within them');
});

t.test('bad input is a 4xx in the reference shape, never a 500', async (t) => {
  const d = await startTestDaemon(t, { args: ['--schedule', 'off'] });
  const cases: [string, string][] = [
    ['no body', ''],
    ['not JSON', '{"sign_in_token":'],
    ['an array', '[]'],
    ['no token', '{}'],
    ['a number', '{"sign_in_token":5}'],
    ['too short', '{"sign_in_token":"abc"}'],
    ['not base64url', `{"sign_in_token":"${'+'.repeat(43)}"}`],
    ['another field', `{"sign_in_token":"${'A'.repeat(43)}","x":1}`],
    ['deep JSON', '{"sign_in_token":' + '['.repeat(500) + ']'.repeat(500) + '}'],
  ];
  for (const [what, body] of cases) {
    const r = await exchange(d, body);
    t.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status}`);
    const j = (await r.json()) as { error_code?: unknown; error_msg?: unknown; error?: { error_code?: unknown; error_msg?: unknown } };
    const e = j.error ?? j;
    t.ok(typeof e.error_code === 'string' && typeof e.error_msg === 'string', `${what}: the reference error shape (${JSON.stringify(j).slice(0, 120)})`);
  }
  const signed = await d.client.request('DELETE', '/v1.0/dew/console/sessions/current').then(
    () => 0,
    (err: { status: number }) => err.status,
  );
  t.equal(signed, 400, 'sign-out with a signed request (no token to revoke) is a 400');
  const anon = await fetch(`${d.daemon.url}/v1.0/dew/console/sessions/current`, { method: 'DELETE' });
  t.equal(anon.status, 401, 'sign-out without a credential is a 401');
  const anonLink = await fetch(`${d.daemon.url}/v1.0/${d.daemon.credentials.project_id}/dew/console/sign-in-links`, { method: 'POST' });
  t.equal(anonLink.status, 401, 'a link needs a credential');
});

t.test('/console/ serves known files only, with the CSP and caching headers', async (t) => {
  const d = await startTestDaemon(t, { args: ['--schedule', 'off'] });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${d.daemon.url}${path}`, { headers, redirect: 'manual' });
  const bare = await get('/console');
  t.equal(bare.status, 301);
  t.equal(bare.headers.get('location'), '/console/');
  const index = await get('/console/');
  t.equal(index.status, 200);
  t.match(index.headers.get('content-type'), /^text\/html/);
  t.equal(index.headers.get('cache-control'), 'no-cache');
  t.match(index.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  const main = await get('/console/main.js');
  t.equal(main.status, 200, 'the compiled client is served (npm run build)');
  t.match(main.headers.get('content-type'), /^text\/javascript/);
  t.match(main.headers.get('cache-control'), /^public, max-age=\d+$/);
  const etag = main.headers.get('etag');
  t.match(etag, /^"[A-Za-z0-9_-]+"$/, 'with an ETag');
  t.equal((await get('/console/main.js', { 'If-None-Match': etag! })).status, 304, 'revalidation answers 304');
  t.equal((await get('/console/pages/keys.js')).status, 200, 'pages are served');
  t.equal((await get('/console/console.css')).status, 200);
  for (const bad of ['/console/nope.js', '/console/../package.json', '/console/..%2f..%2fpackage.json', '/console/pages/..%2fmain.js', '/console/%2e%2e/%2e%2e/package.json', '/console/main.js.map', '/console/pages/../../dew.db', '/console/main.ts']) {
    const r = await get(bad);
    t.ok(r.status === 404 || (r.status >= 300 && r.status < 400 && !/package|\.db/.test(r.headers.get('location') ?? '')), `${bad}: ${r.status}`);
    if (r.status === 200) t.fail(`${bad} was served`);
  }
  t.equal((await fetch(`${d.daemon.url}/console/main.js`, { method: 'POST' })).status, 404, 'only GET');
});
