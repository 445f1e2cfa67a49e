/**
 * Hostile input to every CSMS route of a real daemon: bodies that are not JSON, not objects, of the
 * wrong types or with unknown fields, path parameters that are too long, odd or empty, query
 * strings out of range: each gets a 4xx in the CSMS body shape (top-level error_code) with a CSMS
 * code, never a 500, and the daemon keeps serving.
 */
import t from 'tap';
import { signRequest } from '../../provider/client/signer.js';
import { startTestDaemon } from '../helpers/daemon.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

t.test('hostile input to CSMS', async (t) => {
  const d = await startTestDaemon(t);
  const creds = d.daemon.credentials;
  const base = `${d.daemon.url}/v1/${creds.project_id}`;
  async function call(method: string, path: string, body?: string): Promise<{ status: number; json: Any }> {
    const url = `${base}${path}`;
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json;charset=UTF-8' };
    const sig = signRequest({ method, url, headers, body: body ?? '' }, { accessKey: creds.access_key, secretKey: creds.secret_key });
    const res = await fetch(url, { method, headers: { ...headers, ...sig }, body });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  t.equal((await call('POST', '/secrets', JSON.stringify({ name: 'target', secret_string: 'x' }))).status, 200);

  const bodyRoutes: [string, string][] = [
    ['POST', '/secrets'],
    ['PUT', '/secrets/target'],
    ['POST', '/secrets/target/scheduled-deleted-tasks/create'],
    ['POST', '/secrets/target/versions'],
    ['PUT', '/secrets/target/versions/v1'],
    ['PUT', '/secrets/target/stages/blue'],
    ['POST', '/secrets/restore'],
    ['POST', '/secrets/batch-import'],
    ['POST', '/csms/target/tags'],
    ['POST', '/csms/target/tags/action'],
    ['POST', '/csms/resource_instances/action'],
    ['POST', '/csms/generate-password'],
    ['POST', '/csms/events'],
  ];
  const badBodies = ['{', 'null', '[]', '"text"', '{"unknown_field":1}', '{"name":5,"secret_string":{},"version_id":[],"tag":7,"tags":"x","action":9,"secret_blob":1,"expire_time":"soon","length":"x","recovery_window_in_days":"7"}', '{"a":'.repeat(2000)];
  for (const [method, path] of bodyRoutes) {
    for (const body of badBodies) {
      const r = await call(method, path, body);
      t.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${body.slice(0, 30)}: ${r.status}`);
      t.match(r.json, { error_code: /^CSMS\.\d{4}$/ }, `${method} ${path} ${body.slice(0, 30)}: a CSMS code at the top level (${JSON.stringify(r.json).slice(0, 120)})`);
    }
  }

  const odd = ['x'.repeat(300), '%E2%80%AE', '..', '%00', 'a%2Fb', ' ', 'v', 'latest'];
  for (const p of odd) {
    for (const [method, path] of [
      ['GET', `/secrets/${p}`],
      ['GET', `/secrets/target/versions/${p}`],
      ['GET', `/secrets/target/stages/${p}`],
      ['DELETE', `/secrets/target/stages/${p}`],
      ['GET', `/csms/${p}/tags`],
      ['GET', `/csms/events/${p}`],
    ]) {
      const r = await call(method, path);
      t.ok(r.status < 500, `${method} ${path.slice(0, 60)}: ${r.status} (${JSON.stringify(r.json)?.slice(0, 100)})`);
    }
  }
  for (const q of ['limit=0', 'limit=-1', 'limit=abc', 'limit=99999999999999999999', 'marker=%00', 'marker=' + 'z'.repeat(500)]) {
    const r = await call('GET', `/secrets?${q}`);
    t.ok(r.status < 500, `list ?${q.slice(0, 30)}: ${r.status}`);
    const v = await call('GET', `/secrets/target/versions?${q}`);
    t.ok(v.status < 500, `versions ?${q.slice(0, 30)}: ${v.status}`);
  }
  const tasks = await call('GET', '/csms/tasks?status=WHATEVER');
  t.match(tasks, { status: 400, json: { error_code: 'CSMS.0002' } });
  t.equal((await call('GET', '/secrets/target/versions/latest')).json.version.secret_string, 'x', 'the daemon still serves, the secret is intact');
});
