/**
 * The service-module contract (issue 9): every declared route of every module is behind
 * authentication and its declared permission, and every call to it is audited. The walk reads the
 * routes from the daemon's own OpenAPI document (built from the route table), so a route added
 * later is walked without changing this test. A module route without a permission refuses to start.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { signRequest } from '../../provider/client/signer.js';
import { startTestDaemon, databaseFor } from '../helpers/daemon.js';
import { sqlOn, type Any } from './scheduler-helpers.js';
import { createApp } from '../../daemon/app.js';
import { defineModule, ModuleError, type RouteSpec } from '../../daemon/modules/contract.js';
import { buildRouteTable } from '../../daemon/http/route-table.js';
import { createAjv } from '../../daemon/http/validate.js';
import { loadSchemas } from '../../schemas/index.js';
import { createTokenMac } from '../../daemon/hsm/token-mac.js';
import { GRANT_OPERATIONS } from '../../daemon/services/authorization.js';

interface Creds {
  access_key: string;
  secret_key: string;
  project_id: string;
}

interface Declared {
  method: string;
  path: string;
  operation: string;
  permission: 'read' | 'use' | 'manage' | 'iam' | 'any';
  public?: boolean;
}

t.test('a route without a permission, an unknown schema or a twin route refuses to start', async (t) => {
  const schemas = new Map([...loadSchemas('kms'), ...loadSchemas('dew')]);
  const handler = () => ({ ok: true });
  const mod = (routes: RouteSpec[]) => defineModule({ name: 'demo', base: '/v9/:project_id/demo', routes });
  const noPermission = { method: 'GET', path: '/things', operation: 'list-things', handler } as unknown as RouteSpec;
  const deps = { identity: {} as never, tokenKey: createTokenMac(new Uint8Array(32)), schemas, now: Date.now, version: 't', logError: () => undefined };
  t.throws(
    () => createApp({ ...deps, modules: [mod([{ method: 'POST', path: '/things', operation: 'make-thing', permission: 'manage', handler }, noPermission])] }),
    { name: 'ModuleError', message: /service module demo: route GET \/v9\/:project_id\/demo\/things \(list-things\) declares no permission/ },
    'start-up names the module, the route and what is missing',
  );
  const build = (routes: RouteSpec[]) => () => buildRouteTable([mod(routes)], createAjv(), schemas);
  t.throws(build([{ method: 'POST', path: '/x', operation: 'x', permission: 'nobody' as never, handler }]), ModuleError, 'an unknown permission');
  t.throws(build([{ method: 'POST', path: '/x', operation: 'x', permission: 'manage', schema: 'demo/none', handler }]), /schema demo\/none is missing/);
  t.throws(
    build([
      { method: 'GET', path: '/:a/x', operation: 'x', permission: 'read', handler },
      { method: 'GET', path: '/:b/x', operation: 'y', permission: 'read', handler },
    ]),
    /the same route as/,
  );
  t.throws(() => buildRouteTable([mod([]), mod([])], createAjv(), schemas), /unique name/);
  const feeding = (name: string) => defineModule({ name, base: `/v9/:project_id/${name}`, routes: [], feeds: { key: () => undefined } });
  t.throws(() => buildRouteTable([feeding('one'), feeding('two')], createAjv(), schemas), { name: 'ModuleError', message: /service module two: change-feed kind key is already handled by module one/ });
  const table = buildRouteTable([mod([{ method: 'POST', path: '/x', operation: 'x', permission: 'read', handler }, { method: 'GET', path: '/:id', operation: 'y', permission: 'read', handler }])], createAjv(), schemas);
  t.same([...table.lane.keys()], ['v9/demo/x'], 'a static POST under a project id goes to the op lane');
  t.same(table.hono.map((r) => r.pattern), ['/v9/:project_id/demo/:id'], 'the rest to Hono');
});

t.test('every declared route: 401 unsigned, 403 without its permission, audited; undeclared paths 404', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off'] });
  const admin = d.daemon.credentials;
  const url = d.daemon.url;

  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as Any;
  const declared: Declared[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Any>>)) {
    for (const [method, o] of Object.entries(methods)) {
      declared.push({ method: method.toUpperCase(), path, operation: o['x-dew-operation'], permission: o['x-dew-permission'], public: o['x-dew-public'] === true });
    }
  }
  t.ok(declared.length >= 60, `the document lists every route (${declared.length})`);
  for (const svc of ['kms', 'dew/iam', 'dew/stacks', 'dew/audit']) t.ok(declared.some((r) => r.path.includes(`/${svc}/`)), `${svc} routes are declared`);
  t.ok(declared.some((r) => r.path === '/v3/auth/tokens'), 'the token route is declared');
  // Open to every authenticated caller only where the service itself decides who may act.
  t.same(declared.filter((r) => r.permission === 'any').map((r) => r.operation).sort(), ['auth-token', 'console-sign-in', 'console-sign-in-link', 'console-sign-out', 'list-retirable-grants', 'retire-grant'], "only these routes take 'any'");
  // Public: no credential asked by the edge; the body carries the route's own (the console's one-time sign-in token).
  t.same(declared.filter((r) => r.public).map((r) => r.operation), ['console-sign-in'], 'only the console sign-in is public');
  // The seal API's authenticated routes (seal, rekey) are for administrators (of the operator account, checked by the service).
  const administered = (path: string) => path.includes('/dew/iam/') || path.startsWith('/v1/sys/');
  t.same(declared.filter((r) => r.permission === 'iam').map((r) => r.path), declared.filter((r) => administered(r.path)).map((r) => r.path), 'IAM and seal routes, and only they, need iam');
  t.ok(declared.some((r) => r.path === '/v1/sys/rekey'), 'the seal routes are declared');

  const key = ((await d.client.kms('create-key', { key_alias: 'walk' })) as Any).key_info.key_id as string;
  const ct = ((await d.client.kms('encrypt-data', { key_id: key, plain_text: 'walk' })) as Any).cipher_text as string;
  const dk = (await d.client.kms('create-datakey', { key_id: key })) as Any;
  const user = async (name: string, roles: string[]) => (await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name, roles })).body as Creds;
  const noRole = await user('walk-none', []);
  const readOnly = await user('walk-ro', ['KMS ReadOnlyAccess']);
  const fullAccess = await user('walk-full', ['KMS CMKFullAccess']);
  // Who lacks each permission: `read` needs a role at all, `use`/`manage` more than read-only, `iam` the administrator.
  const lacking: Record<Declared['permission'], Creds | undefined> = { read: noRole, use: readOnly, manage: readOnly, iam: fullAccess, any: undefined };

  const dek = Buffer.alloc(32, 7);
  /** Valid bodies for the grantable operations: their role check is deferred to the key's grants, so the body must pass validation. */
  const grantableBodies: Record<string, object> = {
    'describe-key': { key_id: key },
    'encrypt-data': { key_id: key, plain_text: 'x' },
    'decrypt-data': { cipher_text: ct },
    'create-datakey': { key_id: key },
    'create-datakey-without-plaintext': { key_id: key },
    'encrypt-datakey': { key_id: key, plain_text: Buffer.concat([dek, createHash('sha256').update(dek).digest()]).toString('hex'), datakey_plain_length: '32' },
    'decrypt-datakey': { key_id: key, cipher_text: dk.cipher_text, datakey_cipher_length: '32' },
    'create-grant': { key_id: key, grantee_principal: 'a'.repeat(32), operations: ['describe-key'] },
    // A public route's credential is in its body: an unknown one is the same 401 as no signature.
    'console-sign-in': { sign_in_token: 'A'.repeat(43) },
  };

  const concrete = (path: string) =>
    path.replace('{project_id}', admin.project_id).replace('{key_id}', key).replace(/\{[a-z_]+\}/g, 'walk');

  async function send(r: Declared, creds: Creds | undefined): Promise<{ status: number; code: string; requestId: string }> {
    const path = concrete(r.path);
    const body = r.method === 'GET' ? undefined : JSON.stringify(grantableBodies[r.operation] ?? {});
    const base: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const headers = creds ? { ...base, ...signRequest({ method: r.method, url: url + path, headers: base, body: body ?? '' }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } : base;
    const res = await fetch(url + path, { method: r.method, headers, body });
    const json = (await res.json().catch(() => ({}))) as Any;
    return { status: res.status, code: json.error_code ?? json.error?.error_code ?? '', requestId: res.headers.get('x-request-id') ?? '' };
  }

  const expected: { requestId: string; operation: string; status: number; what: string }[] = [];
  for (const r of declared) {
    const what = `${r.method} ${r.path} (${r.operation})`;
    const unsigned = await send(r, undefined);
    t.same([unsigned.status, unsigned.code], [401, 'APIGW.0301'], `${what}: unsigned is 401`);
    expected.push({ requestId: unsigned.requestId, operation: r.operation, status: 401, what: `${what} unsigned` });
    const creds = lacking[r.permission];
    if (!creds) continue;
    const refused = await send(r, creds);
    // Grantable operations pass the role check and are refused by the key (no grant): KMS.0306.
    const codes = GRANT_OPERATIONS.includes(r.operation) ? ['KMS.0306', 'KMS.0307'] : ['KMS.0307'];
    t.equal(refused.status, 403, `${what}: without ${r.permission} is 403`);
    t.ok(codes.includes(refused.code), `${what}: ${refused.code} is one of ${codes.join(', ')}`);
    expected.push({ requestId: refused.requestId, operation: r.operation, status: 403, what: `${what} without ${r.permission}` });
  }

  // Declared by prefix only: these paths are no route at all.
  for (const path of [`/v1.0/${admin.project_id}/kms/no-such-operation`, `/v1.0/${admin.project_id}/dew/nothing`, `/v3/${admin.project_id}/keypairs-not-yet`]) {
    const res = await fetch(url + path, { method: 'POST', body: '{}' });
    t.equal(res.status, 404, `${path}: 404`);
    expected.push({ requestId: res.headers.get('x-request-id') ?? '', operation: 'unknown-api', status: 404, what: `${path} unknown` });
  }

  // A key aliased like a static route segment is still the declared route's key (issue 10, item 5).
  await d.client.kms('create-key', { key_alias: 'resource_instances' });
  const ro = await send({ method: 'POST', path: '/v1.0/{project_id}/kms/resource_instances/tags', operation: 'change-key-tags', permission: 'manage' }, readOnly);
  t.same([ro.status, ro.code], [403, 'KMS.0307'], 'a read-only user cannot change tags through a path that looks like a read');

  await d.stop();
  const rows = await sqlOn(dbUrl, 'SELECT request_id, operation, status, outcome FROM audit_records');
  const byId = new Map(rows.map((r: Any) => [r.request_id, r]));
  for (const e of expected) {
    const row = byId.get(e.requestId);
    t.ok(row, `${e.what}: audited`);
    if (row) t.same([row.operation, Number(row.status), row.outcome], [e.operation, e.status, e.status === 404 ? 'failed' : 'refused'], `${e.what}: the record names the operation and the refusal`);
  }
});
