/**
 * Planning dew_hsm_instance and dew_keystore (pure), and the resource types against a scripted API: a key in a
 * keystore on an instance plans with its keystore_id unknown and applies in that order, destroys in reverse;
 * a specification change is a replacement forced by it that takes the keystore and key with it, ordered
 * destroy key → keystore → instance → create instance → keystore → key; a replacement of an instance holding
 * keys is refused naming them; description and enabled change in place; the admin credential goes only to
 * credential_file (0600, never over a file), never into attributes, and delete reads it back.
 */
import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan, type PlanInput } from '../../provider/plan/create-plan.js';
import { renderPlanText } from '../../provider/plan/render-text.js';
import { planToJson } from '../../provider/plan/render-json.js';
import { changeGraph, destroyNode } from '../../provider/apply/apply-plan.js';
import { heldKeysDiagnostic, instanceReplacements } from '../../provider/plan/hsm-replacement.js';
import { resourceType } from '../../provider/resources/registry.js';
import { dewHsmInstance } from '../../provider/resources/dew-hsm-instance.js';
import { dewKeystore } from '../../provider/resources/dew-keystore.js';
import { storedAttributes, type Attributes } from '../../provider/resources/resource-type.js';
import type { DewApi } from '../../provider/resources/api.js';
import type { StackObject, StackSnapshot } from '../../provider/state/stack-state.js';

const home = mkdtempSync(join(tmpdir(), 'dew-hsm-plan-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));

async function configOf(hcl: string): Promise<Pick<PlanInput, 'config' | 'variables'>> {
  const dir = join(mkdtempSync(join(home, 'c-')), 'demo');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), hcl);
  const { config, diagnostics } = await loadConfig(dir);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const v = await resolveVariables(config, [], {});
  return { config, variables: v.values };
}

const stack = (objects: StackObject[]): StackSnapshot => ({ name: 'demo', serial: 3, lineage: 'L1', lock: null, objects });

const HSM_ID = '0b6f7c52-4f7e-4d1e-9a3b-2c1d0e9f8a7b';
const KS_ID = '9d3e2f1a-0b4c-4d5e-8f6a-7b8c9d0e1f2a';
const KEY_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

const hsmLive = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  hsm_id: HSM_ID, name: 'vault', description: 'payments', specification: 'software', status: 'RUNNING', keystore_id: KS_ID, key_count: 1, create_time: 1_700_000_000_000, update_time: 1_700_000_000_000, ...o,
});
const keystoreLive = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  keystore_id: KS_ID, domain_id: 'd1', keystore_alias: 'ks', keystore_type: 'DHSM', hsm_cluster_id: HSM_ID, cluster_id: HSM_ID, keystore_state: 'ENABLED', key_count: 1, create_time: 1_700_000_000_000, ...o,
});
const keyLive = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ key_id: KEY_ID, key_alias: 'pay', key_spec: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_state: '2', keystore_id: KS_ID, origin: 'kms', key_rotation_enabled: 'false', ...o });

function objectOf(type: string, name: string, objectId: string, live: Record<string, unknown> | null, applied: Record<string, unknown>, dependencies: string[] = []): StackObject {
  const rt = resourceType(type)!;
  const attrs = { ...rt.fromLive(applied.__live as Record<string, unknown>)!, ...applied } as Attributes;
  delete attrs.__live;
  return { address: `${type}.${name}`, type, object_id: objectId, attributes: storedAttributes(rt, attrs) as StackObject['attributes'], dependencies, revision: 1, live };
}

const ALL = (spec = 'software', description = 'payments', enabled = 'true'): string => `
resource "dew_hsm_instance" "vault" {
  name            = "vault"
  specification   = "${spec}"
  description     = "${description}"
  credential_file = "vault.cred"
}

resource "dew_keystore" "ks" {
  alias          = "ks"
  hsm_cluster_id = dew_hsm_instance.vault.id
  enabled        = ${enabled}
}

resource "dew_kms_key" "pay" {
  key_alias   = "pay"
  keystore_id = dew_keystore.ks.keystore_id
}
`;

function appliedStack(o: { hsm?: Record<string, unknown> | null; ks?: Record<string, unknown> | null; key?: Record<string, unknown> | null } = {}): StackSnapshot {
  return stack([
    objectOf('dew_hsm_instance', 'vault', HSM_ID, o.hsm === undefined ? hsmLive() : o.hsm, { __live: hsmLive(), credential_file: 'vault.cred' }),
    objectOf('dew_keystore', 'ks', KS_ID, o.ks === undefined ? keystoreLive() : o.ks, { __live: keystoreLive() }, ['dew_hsm_instance.vault']),
    objectOf('dew_kms_key', 'pay', KEY_ID, o.key === undefined ? keyLive() : o.key, { __live: keyLive(), pending_days: '7' }, ['dew_hsm_instance.vault', 'dew_keystore.ks']),
  ]);
}

t.test('create: the key in the keystore plans with keystore_id known after apply, and applies after the keystore and instance', async (t) => {
  const cfg = await configOf(ALL());
  const { plan, diagnostics } = createPlan({ ...cfg, snapshot: stack([]) });
  t.same(diagnostics, []);
  const by = Object.fromEntries(plan.changes.map((c) => [c.address, c]));
  t.same(Object.values(by).map((c) => c.change.action), ['create', 'create', 'create']);
  const text = renderPlanText(plan, { color: false });
  t.match(text, /# dew_hsm_instance\.vault will be created/);
  t.match(text, /\+ specification += "software"/);
  t.match(text, /\+ credential_file += "vault\.cred"/);
  t.match(text, /\+ hsm_cluster_id += \(known after apply\)/);
  t.match(text, /\+ keystore_type += "DHSM"/, 'the default keystore type is planned');
  t.match(text, /\+ enabled += true/);
  t.match(text, /# dew_kms_key\.pay will be created[\s\S]*\+ keystore_id += \(known after apply\)/);
  t.notMatch(text, /admin_credential/, 'no credential attribute in the plan');
  t.notMatch(JSON.stringify(planToJson(plan)), /admin_credential/);
  const g = changeGraph(plan.changes);
  t.same(g.dependencies('dew_keystore.ks'), ['dew_hsm_instance.vault']);
  t.same(g.dependencies('dew_kms_key.pay'), ['dew_keystore.ks']);
});

t.test('applied and unchanged: no changes; key_count and keystore_id are the daemon\u2019s, not diffs', async (t) => {
  const cfg = await configOf(ALL());
  const { plan, diagnostics } = createPlan({ ...cfg, snapshot: appliedStack({ hsm: hsmLive({ key_count: 3 }) }) });
  t.same(diagnostics, []);
  t.same(plan.changes.map((c) => c.change.action), ['no-op', 'no-op', 'no-op']);
});

t.test('description and enabled change in place; drift made through the API is planned back', async (t) => {
  const cfg = await configOf(ALL('software', 'new text', 'false'));
  const { plan } = createPlan({ ...cfg, snapshot: appliedStack() });
  const by = Object.fromEntries(plan.changes.map((c) => [c.address, c.change.action]));
  t.same(by, { 'dew_hsm_instance.vault': 'update', 'dew_keystore.ks': 'update', 'dew_kms_key.pay': 'no-op' });
  const text = renderPlanText(plan, { color: false });
  t.match(text, /~ description += "payments" -> "new text"/);
  t.match(text, /~ enabled += true -> false/);

  const drifted = createPlan({ ...(await configOf(ALL())), snapshot: appliedStack({ hsm: hsmLive({ description: 'by hand' }), ks: keystoreLive({ keystore_state: 'DISABLED' }) }) }).plan;
  const dt = renderPlanText(drifted, { color: false });
  t.match(dt, /~ description += "by hand" -> "payments"/);
  t.match(dt, /~ enabled += false -> true/);
});

t.test('deleted outside dew (or being deleted): planned to be created again', async (t) => {
  const cfg = await configOf(ALL());
  for (const gone of [null, hsmLive({ status: 'DELETING' })]) {
    const { plan } = createPlan({ ...cfg, snapshot: appliedStack({ hsm: gone }) });
    const c = plan.changes.find((x) => x.address === 'dew_hsm_instance.vault')!;
    t.equal(c.change.action, 'create');
    t.match(c.note, /no longer exists in the daemon/);
  }
});

t.test('a specification change forces a replacement of the instance, its keystore and its key, ordered by their dependencies', async (t) => {
  const cfg = await configOf(ALL('pkcs11'));
  const { plan, diagnostics } = createPlan({ ...cfg, snapshot: appliedStack() });
  t.same(diagnostics, []);
  const by = Object.fromEntries(plan.changes.map((c) => [c.address, c]));
  for (const a of ['dew_hsm_instance.vault', 'dew_keystore.ks', 'dew_kms_key.pay']) t.equal(by[a].change.action, 'delete-then-create', `${a} is replaced`);
  t.same(by['dew_hsm_instance.vault'].change.replacePaths, [['specification']]);
  const text = renderPlanText(plan, { color: false });
  t.match(text, /# dew_hsm_instance\.vault must be replaced/);
  t.match(text, /~ specification += "software" -> "pkcs11" # forces replacement/);
  t.match(text, /~ hsm_cluster_id += "0b6f7c52-[^"]+" -> \(known after apply\) # forces replacement/);
  t.match(text, /the admin credential is read from vault\.cred, which is removed once the instance is deleted/);

  const g = changeGraph(plan.changes);
  const d = (a: string) => destroyNode(a);
  t.same(g.dependencies(d('dew_kms_key.pay')), [], 'the key goes first');
  t.same(g.dependencies(d('dew_keystore.ks')), [d('dew_kms_key.pay')], 'then its keystore');
  t.same([...g.dependencies(d('dew_hsm_instance.vault'))].sort(), [d('dew_keystore.ks'), d('dew_kms_key.pay')].sort(), 'then the instance (the key depends on it through the keystore)');
  t.same(g.dependencies('dew_hsm_instance.vault'), [d('dew_hsm_instance.vault')], 'the new instance after the old one is gone');
  t.same([...g.dependencies('dew_keystore.ks')].sort(), [d('dew_keystore.ks'), 'dew_hsm_instance.vault'].sort());
  t.same([...g.dependencies('dew_kms_key.pay')].sort(), [d('dew_kms_key.pay'), 'dew_keystore.ks'].sort());

  const [r] = instanceReplacements(plan);
  t.same(r, { address: 'dew_hsm_instance.vault', hsmId: HSM_ID, forcedBy: ['specification'], from: 'software', to: 'pkcs11' });
  const diag = heldKeysDiagnostic(r, 1, [{ key_id: KEY_ID, key_alias: 'pay', key_state: '2' }]);
  t.equal(diag.severity, 'error');
  t.match(diag.summary, /cannot be replaced/);
  t.match(diag.detail, `holds 1 key: ${KEY_ID} (alias "pay")`);
  t.match(diag.detail, /specification changes from "software" to "pkcs11"/);
  t.match(diag.hint, /Keep specification = "software"/);
});

t.test('destroy: key, then keystore, then instance', async (t) => {
  const cfg = await configOf(ALL());
  const { plan } = createPlan({ ...cfg, snapshot: appliedStack(), mode: 'destroy' });
  t.same(plan.changes.map((c) => c.change.action), ['delete', 'delete', 'delete']);
  const g = changeGraph(plan.changes);
  t.same([...g.dependencies('dew_hsm_instance.vault')].sort(), ['dew_keystore.ks', 'dew_kms_key.pay']);
  t.same(g.dependencies('dew_keystore.ks'), ['dew_kms_key.pay']);
  t.same(g.dependencies('dew_kms_key.pay'), []);
});

t.test('live views: an instance and a keystore as GET answers them (import reads the same)', async (t) => {
  t.same(dewHsmInstance.fromLive({ hsm: hsmLive() }), { id: HSM_ID, hsm_id: HSM_ID, name: 'vault', specification: 'software', description: 'payments', status: 'RUNNING', keystore_id: KS_ID, key_count: 1, create_time: 1_700_000_000_000 });
  t.equal(dewHsmInstance.fromLive({}), null);
  t.match(dewKeystore.fromLive(keystoreLive({ keystore_state: 'DISABLED' })), { id: KS_ID, alias: 'ks', hsm_cluster_id: HSM_ID, keystore_type: 'DHSM', enabled: false, keystore_state: 'DISABLED' });
  t.equal(dewKeystore.fromLive({ keystore: {} }), null);
});

/** A scripted daemon with the contract's HSM and keystore answers; records every call with its credential header. */
function scripted(): DewApi & { calls: string[]; credentials: (string | undefined)[]; hsms: Map<string, Record<string, unknown>> } {
  const hsms = new Map<string, Record<string, unknown>>();
  const calls: string[] = [];
  const credentials: (string | undefined)[] = [];
  let n = 0;
  return {
    calls,
    credentials,
    hsms,
    async kms(op) {
      calls.push(op);
      if (op === 'list-keys') return { key_details: [keyLive()], truncated: 'false', total: 1 };
      throw new Error(`unexpected ${op}`);
    },
    async request(method, path, body, _query, headers) {
      calls.push(`${method} ${path}`);
      credentials.push(headers?.['X-Hsm-Credential']);
      const id = path.split('/')[5];
      if (method === 'POST' && path === '/v1/{project_id}/dew/hsms') {
        const hsmId = `h${++n}`;
        hsms.set(hsmId, { ...hsmLive({ hsm_id: hsmId, keystore_id: '', key_count: 0 }), ...(body as object), status: 'CREATING' });
        return { status: 200, headers: {}, body: { hsm_id: hsmId, job_id: `j-${hsmId}`, admin_credential: `dhsm_${'A'.repeat(42)}${n}` } };
      }
      if (method === 'GET' && path.startsWith('/v1/{project_id}/dew/hsms/jobs/')) {
        const hsmId = path.split('/j-')[1];
        hsms.get(hsmId)!.status = 'RUNNING';
        return { status: 200, headers: {}, body: { job: { job_id: `j-${hsmId}`, hsm_id: hsmId, job_type: 'CREATE', status: 'SUCCESS' } } };
      }
      if (method === 'GET') {
        const h = hsms.get(id);
        if (!h) throw Object.assign(new Error('not found'), { status: 404, code: 'DHSM.0101' });
        return { status: 200, headers: {}, body: { hsm: h } };
      }
      if (method === 'DELETE') {
        hsms.delete(id);
        return { status: 200, headers: {}, body: {} };
      }
      throw new Error(`unexpected ${method} ${path}`);
    },
  };
}

t.test('create writes the credential to credential_file (0600) and never into attributes; an existing file is refused before anything is made', async (t) => {
  const dir = mkdtempSync(join(home, 'cred-'));
  const api = scripted();
  const ctx = { configDir: dir, now: () => 0 };
  const made = await dewHsmInstance.create(api, { name: 'vault', specification: 'software', description: '', credential_file: 'vault.cred' }, ctx);
  const cred = readFileSync(join(dir, 'vault.cred'), 'utf8').trim();
  t.match(cred, /^dhsm_A{42}1$/);
  t.equal(statSync(join(dir, 'vault.cred')).mode & 0o777, 0o600);
  t.notOk(JSON.stringify(made).includes(cred), 'the credential is in no attribute');
  t.match(made.attributes, { hsm_id: 'h1', status: 'RUNNING', credential_file: 'vault.cred' });
  t.same(api.calls, ['POST /v1/{project_id}/dew/hsms', 'GET /v1/{project_id}/dew/hsms/jobs/j-h1', 'GET /v1/{project_id}/dew/hsms/h1'], 'waits for the create job');

  api.calls.length = 0;
  await t.rejects(dewHsmInstance.create(api, { name: 'vault2', specification: 'software', credential_file: 'vault.cred' }, ctx), { message: /vault\.cred already exists: dew never overwrites a credential file/ });
  t.same(api.calls, [], 'refused before the instance is made');
  t.equal(readFileSync(join(dir, 'vault.cred'), 'utf8').trim(), cred, 'the old credential is intact');

  await t.test('delete sends the credential from the file and removes the file; without credential_file it says what is missing', async (t) => {
    await t.rejects(dewHsmInstance.delete(api, 'h1', { name: 'vault' }, ctx), { message: /needs its admin credential, and credential_file is not set/ });
    await t.rejects(dewHsmInstance.delete(api, 'h1', { credential_file: 'other.cred' }, ctx), { message: /the credential file .*other\.cred does not exist/ });
    api.credentials.length = 0;
    api.calls.length = 0;
    const r = await dewHsmInstance.delete(api, 'h1', { credential_file: 'vault.cred' }, ctx);
    t.match(r, { outcome: /credential file vault\.cred was removed/ });
    t.same(api.calls, ['GET /v1/{project_id}/dew/hsms/h1', 'DELETE /v1/{project_id}/dew/hsms/h1']);
    t.same(api.credentials, [undefined, cred], 'only the DELETE carries the credential');
    t.notOk(existsSync(join(dir, 'vault.cred')));
    t.equal(await dewHsmInstance.delete(api, 'h1', { credential_file: 'vault.cred' }, ctx), undefined, 'an instance already gone is fine');
  });

  await t.test('a replacement is refused while the instance holds keys, naming them', async (t) => {
    const again = await dewHsmInstance.create(api, { name: 'vault', specification: 'software', credential_file: 'vault.cred' }, ctx);
    api.hsms.get(again.objectId)!.key_count = 1;
    api.hsms.get(again.objectId)!.keystore_id = KS_ID;
    await t.rejects(dewHsmInstance.delete(api, again.objectId, { credential_file: 'vault.cred' }, { ...ctx, replacing: true }), { message: new RegExp(`holds 1 key: ${KEY_ID} \\(alias "pay"\\); a new instance cannot take them over`) });
    t.ok(api.hsms.has(again.objectId), 'nothing deleted');
  });
});
