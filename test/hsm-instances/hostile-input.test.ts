/**
 * Hostile input to every HSM instance and keystore route of a real daemon: bodies that are not
 * JSON, not objects, of the wrong types or with unknown fields; path parameters that are long, odd
 * or empty; credentials that are garbage; query strings out of range. Each gets a 4xx (DHSM codes
 * at the top level for instances, KMS codes under `error` for keystores), never a 500, and the
 * daemon keeps serving.
 */
import t from 'tap';
import { signRequest } from '../../provider/client/signer.js';
import { startTestDaemon } from '../helpers/daemon.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

t.test('hostile input to HSM instances and keystores', async (t) => {
  const d = await startTestDaemon(t);
  const creds = d.daemon.credentials;
  async function call(method: string, path: string, body?: string, extra: Record<string, string> = {}): Promise<{ status: number; json: Any }> {
    const url = `${d.daemon.url}${path.replace('{pid}', creds.project_id)}`;
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json;charset=UTF-8' };
    const sig = signRequest({ method, url, headers, body: body ?? '' }, { accessKey: creds.access_key, secretKey: creds.secret_key });
    const res = await fetch(url, { method, headers: { ...extra, ...headers, ...sig }, body });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  const made = (await call('POST', '/v1/{pid}/dew/hsms', JSON.stringify({ name: 'target', specification: 'software' }))).json;
  const H = `/v1/{pid}/dew/hsms/${made.hsm_id}`;
  while ((await call('GET', `/v1/{pid}/dew/hsms/jobs/${made.job_id}`)).json.job.status === 'RUNNING') await new Promise((r) => setTimeout(r, 20)); // tap's timeout bounds a hang
  const ks = (await call('POST', '/v1.0/{pid}/keystores', JSON.stringify({ keystore_alias: 'target', hsm_cluster_id: made.hsm_id }))).json.keystore.keystore_id;

  const badBodies = ['{', 'null', '[]', '"text"', '{"unknown_field":1}', '{"name":5,"specification":{},"description":[],"keystore_alias":7,"hsm_cluster_id":[]}', '{"a":'.repeat(2000), `{"name":"${'n'.repeat(70000)}"}`];
  for (const [method, path, shape] of [
    ['POST', '/v1/{pid}/dew/hsms', 'flat'],
    ['PUT', H, 'flat'],
    ['POST', '/v1.0/{pid}/keystores', 'kms'],
  ] as const) {
    for (const body of badBodies) {
      const r = await call(method, path, body);
      t.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${body.slice(0, 30)}: ${r.status}`);
      if (shape === 'flat') t.match(r.json, { error_code: /^DHSM\.\d{4}$/ }, `${method} ${body.slice(0, 30)}: a top-level code (${JSON.stringify(r.json).slice(0, 120)})`);
      else t.match(r.json, { error: { error_code: /^KMS\.\d{4}$/ } }, `${method} ${body.slice(0, 30)}: a KMS code (${JSON.stringify(r.json).slice(0, 120)})`);
    }
  }

  const odd = ['x'.repeat(300), '%E2%80%AE', '..', '%00', 'a%2Fb', ' ', '0', 'jobs'];
  for (const p of odd) {
    for (const [method, path] of [
      ['GET', `/v1/{pid}/dew/hsms/${p}`],
      ['GET', `/v1/{pid}/dew/hsms/jobs/${p}`],
      ['POST', `/v1/{pid}/dew/hsms/${p}/freeze`],
      ['DELETE', `/v1/{pid}/dew/hsms/${p}`],
      ['GET', `/v1/{pid}/dew/hsms/${p}/token`],
      ['GET', `/v1.0/{pid}/keystores/${p}`],
      ['POST', `/v1.0/{pid}/keystores/${p}/disable`],
      ['DELETE', `/v1.0/{pid}/keystores/${p}`],
    ]) {
      const r = await call(method, path);
      t.ok(r.status >= 400 && r.status < 500, `${method} ${path.slice(0, 60)}: ${r.status} (${JSON.stringify(r.json)?.slice(0, 100)})`);
    }
  }
  for (const cred of ['', 'dhsm_', 'x'.repeat(5000), 'dhsm_' + 'A'.repeat(43), '\u00e9t\u00e9']) {
    const r = await call('POST', `${H}/freeze`, undefined, { 'X-Hsm-Credential': encodeURIComponent(cred) });
    t.match(r, { status: 403, json: { error_code: 'DHSM.0104' } }, `freeze with credential ${JSON.stringify(cred.slice(0, 12))}`);
  }
  for (const q of ['limit=0', 'limit=-1', 'limit=abc', 'limit=99999999999999999999', 'offset=-1', 'offset=x']) {
    const r = await call('GET', `/v1/{pid}/dew/hsms?${q}`);
    t.match(r, { status: 400, json: { error_code: 'DHSM.0003' } }, `list instances ?${q}`);
    const k = await call('GET', `/v1.0/{pid}/keystores?${q}`);
    t.match(k, { status: 400, json: { error: { error_code: /^KMS\./ } } }, `list keystores ?${q}`);
  }
  t.equal((await call('GET', H)).json.hsm.status, 'RUNNING', 'the daemon still serves; the instance is intact');
  t.equal((await call('GET', `/v1.0/{pid}/keystores/${ks}`)).json.keystore.keystore_state, 'ENABLED');
});
