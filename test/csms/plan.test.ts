/**
 * Planning dew_csms_secret and dew_csms_secret_version (pure): the value is a digest in the plan and
 * "(sensitive value)" in text, Markdown and JSON, and never in any of them nor in a saved plan (a canary);
 * a new value is an update in place that makes a new latest_version; a version made outside dew is drift;
 * name forces replacement; destroy notes say deletion is scheduled (or at once for a same-name replacement);
 * a stage moves in place and SYSCURRENT's pin is only forgotten; file()/filebase64() and TF_VAR_ inputs.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan, type PlanInput } from '../../provider/plan/create-plan.js';
import { renderPlanText } from '../../provider/plan/render-text.js';
import { planToJson } from '../../provider/plan/render-json.js';
import { renderPlanMarkdown } from '../../provider/plan/render-markdown.js';
import { savedPlanOf } from '../../provider/apply/saved-plan.js';
import { changedSources, mismatchedVariables } from '../../provider/apply/seal-plan.js';
import { resourceType } from '../../provider/resources/registry.js';
import { valueDigest } from '../../provider/resources/value-digest.js';
import type { Attributes } from '../../provider/resources/resource-type.js';
import type { StackObject, StackSnapshot } from '../../provider/state/stack-state.js';

const home = mkdtempSync(join(tmpdir(), 'dew-csms-plan-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));

const CANARY = 'canary-Zq8v-db-password-3141';

async function configOf(files: Record<string, string>, vars: string[] = [], env: Record<string, string> = {}): Promise<Pick<PlanInput, 'config' | 'variables'>> {
  const dir = join(mkdtempSync(join(home, 'c-')), 'demo');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { config, diagnostics } = await loadConfig(dir);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const v = await resolveVariables(config, vars.map((text) => ({ kind: 'var' as const, text })), env);
  if (v.diagnostics.length) throw new Error(JSON.stringify(v.diagnostics));
  return { config, variables: v.values };
}

const stack = (objects: StackObject[]): StackSnapshot => ({ name: 'demo', serial: 3, lineage: 'L1', lock: null, objects });

const SECRET_ID = '5b1c0a9e-0d6b-4b59-9a52-2f1e3c4d5e6f';

/** The daemon's live view of a secret (daemon/modules/csms/module.ts): the Secret, its tags and current version. */
function secretLive(o: { latest?: string; secret?: Record<string, unknown>; tags?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    id: SECRET_ID, name: 'db', state: 'ENABLED', kms_key_id: 'k-1', description: '', create_time: 1_700_000_000, update_time: 1_700_000_000, scheduled_delete_time: null, secret_type: 'COMMON',
    auto_rotation: false, rotation_period: '', rotation_config: '', rotation_time: null, next_rotation_time: null, event_subscriptions: [], enterprise_project_id: '0', rotation_func_urn: '',
    ...o.secret,
    secret_id: SECRET_ID, status: o.secret?.state ?? 'ENABLED', tags: o.tags ?? {}, latest_version: o.latest ?? 'v1', version_stages: ['SYSCURRENT'],
  };
}

/** The stack's object for a secret last applied with `value` (as its digest) when `recordedLatest` was the latest version. */
function secretObject(value: string, live: Record<string, unknown> | null, recordedLatest = 'v1', applied: Attributes = {}): StackObject {
  const rt = resourceType('dew_csms_secret')!;
  const attrs = { ...rt.fromLive(secretLive({ latest: recordedLatest }))!, secret_text: valueDigest(value), secret_binary: null, recovery_window_in_days: 30, ...applied };
  return { address: 'dew_csms_secret.db', type: 'dew_csms_secret', object_id: `${SECRET_ID}/db`, attributes: attrs as StackObject['attributes'], dependencies: [], revision: 1, live };
}

const VAR = 'variable "pw" {\n  type      = string\n  sensitive = true\n}\n';
const DB = (value = 'var.pw', extra = ''): string => `${VAR}\nresource "dew_csms_secret" "db" {\n  name        = "db"\n  secret_text = ${value}\n${extra}}\n`;

t.test('create: the value is planned as its digest, shown as (sensitive value), and in no rendering', async (t) => {
  const cfg = await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`]);
  const { plan, diagnostics } = createPlan({ ...cfg, snapshot: stack([]) });
  t.same(diagnostics, []);
  const c = plan.changes[0];
  t.equal(c.change.action, 'create');
  t.equal((c.change.after as Attributes).secret_text, valueDigest(CANARY), 'the plan holds the digest');
  t.match(c.change.afterSensitive, { secret_text: true });
  const text = renderPlanText(plan, { color: false });
  t.match(text, /\+ secret_text += \(sensitive value\)/);
  t.match(text, /\+ latest_version += \(known after apply\)/);
  t.match(text, /\+ recovery_window_in_days += 30/);
  for (const [what, out] of [['text', text], ['markdown', renderPlanMarkdown(plan)], ['json', JSON.stringify(planToJson(plan))]] as const) {
    t.notOk(out.includes(CANARY), `no value in the ${what} plan`);
    t.notOk(out.includes(valueDigest(CANARY).slice(7)), `no digest in the ${what} plan either`);
  }
  const json = planToJson(plan) as { resource_changes: { change: Record<string, unknown> }[] };
  t.match(json.resource_changes[0].change, { after: { secret_text: '(sensitive value)' }, after_sensitive: { secret_text: true } });
});

t.test('a saved plan keeps no value: the sensitive variable, a literal and a file()d value are all digests', async (t) => {
  const byVar = await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`]);
  const p1 = createPlan({ ...byVar, snapshot: stack([]) }).plan;
  const s1 = savedPlanOf(p1, byVar.config.dir, byVar.config.sources, '2026-12-02T00:00:00Z');
  t.notOk(JSON.stringify(s1).includes(CANARY), 'no value from a variable');
  t.same(s1.sealed_variables, { pw: valueDigest(CANARY) });
  t.equal(s1.plan.variables.pw, '(sensitive value)');

  const literal = await configOf({ 'main.hcl': DB(JSON.stringify(CANARY)).replace(VAR, '') });
  const p2 = createPlan({ ...literal, snapshot: stack([]) }).plan;
  const s2 = savedPlanOf(p2, literal.config.dir, literal.config.sources, '2026-12-02T00:00:00Z');
  t.notOk(JSON.stringify(s2).includes(CANARY), 'no value written as a literal in main.hcl');
  t.notOk(s2.sources, 'the configuration is kept as digests, not text');
  t.same(Object.keys(s2.source_digests ?? {}), ['main.hcl']);
  t.same(changedSources(s2.source_digests!, literal.config.sources), [], 'the same folder matches');
  t.same(changedSources(s2.source_digests!, new Map([['main.hcl', 'x'], ['new.hcl', '']])), ['main.hcl', 'new.hcl']);

  const file = await configOf({ 'main.hcl': DB('file("db.txt")').replace(VAR, ''), 'db.txt': CANARY });
  const p3 = createPlan({ ...file, snapshot: stack([]) });
  t.same(p3.diagnostics, []);
  t.equal((p3.plan.changes[0].change.after as Attributes).secret_text, valueDigest(CANARY), 'file() read the value');
  t.notOk(JSON.stringify(savedPlanOf(p3.plan, file.config.dir, file.config.sources, 'now')).includes(CANARY));

  const plain = await configOf({ 'main.hcl': 'resource "dew_kms_key" "k" {\n  key_alias = "k"\n}\n' });
  const s4 = savedPlanOf(createPlan({ ...plain, snapshot: stack([]) }).plan, plain.config.dir, plain.config.sources, 'now');
  t.ok(s4.sources?.['main.hcl'], 'a plan without sensitive values keeps its sources as before');
  t.notOk(s4.source_digests);

  t.same(mismatchedVariables({ pw: valueDigest(CANARY) }, new Map([['pw', CANARY]])), []);
  t.same(mismatchedVariables({ pw: valueDigest(CANARY) }, new Map([['pw', 'other']])), ['pw']);
  t.same(mismatchedVariables({ pw: valueDigest(CANARY) }, new Map()), ['pw']);
});

t.test('sensitive outputs are saved redacted', async (t) => {
  const cfg = await configOf({ 'main.hcl': `${DB()}\noutput "pw" {\n  value     = var.pw\n  sensitive = true\n}\n` }, [`pw=${CANARY}`]);
  const saved = savedPlanOf(createPlan({ ...cfg, snapshot: stack([]) }).plan, cfg.config.dir, cfg.config.sources, 'now');
  t.match(saved.plan.outputs, [{ name: 'pw', value: '(sensitive value)', sensitive: true }]);
  t.notOk(JSON.stringify(saved).includes(CANARY));
});

t.test('the same value is no change; another is an update in place that makes a new version', async (t) => {
  const prior = secretObject(CANARY, secretLive());
  const same = createPlan({ ...(await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`])), snapshot: stack([prior]) });
  t.equal(same.plan.changes[0].change.action, 'no-op');

  const changed = createPlan({ ...(await configOf({ 'main.hcl': DB() }, ['pw=another-value'])), snapshot: stack([prior]) });
  const c = changed.plan.changes[0];
  t.equal(c.change.action, 'update', 'a new value is not a replacement');
  t.match(c.change.afterUnknown, { latest_version: true, version_stages: true });
  const text = renderPlanText(changed.plan, { color: false });
  t.match(text, /~ secret_text += \(sensitive value\)\n/);
  t.match(text, /~ latest_version += "v1" -> \(known after apply\)/);
  t.match(text, /Plan: 0 to add, 1 to change, 0 to destroy/);
  t.notMatch(text, /sha256:/, 'not even a digest is shown');
  const json = planToJson(changed.plan) as { resource_changes: { change: Record<string, unknown> }[] };
  t.match(json.resource_changes[0].change, { actions: ['update'], before: { secret_text: '(sensitive value)' }, after: { secret_text: '(sensitive value)' } });
  t.notOk(JSON.stringify(json).includes('another-value'));
});

t.test('drift: a version made outside dew is a changed value, planned back as a new version', async (t) => {
  const prior = secretObject(CANARY, secretLive({ latest: 'v2' }), 'v1');
  const { plan } = createPlan({ ...(await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`])), snapshot: stack([prior]) });
  const c = plan.changes[0];
  t.equal(c.change.action, 'update');
  t.same(c.drift, ['secret_text']);
  const text = renderPlanText(plan, { color: false });
  t.match(text, /# dew_csms_secret\.db has changed: secret_text/);
  t.match(text, /~ secret_text += \(sensitive value\)/);
  t.notMatch(text, /changed outside dew: the latest/, 'the stand-in for the value is masked too');
  const json = planToJson(plan) as { resource_drift: { change: Record<string, unknown> }[] };
  t.match(json.resource_drift[0].change, { before: { secret_text: '(sensitive value)' }, after: { secret_text: '(sensitive value)' } });

  // the same latest version as recorded: no drift, whatever the daemon's view
  t.equal(createPlan({ ...(await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`])), snapshot: stack([secretObject(CANARY, secretLive({ latest: 'v2' }), 'v2')]) }).plan.changes[0].change.action, 'no-op');
});

t.test('description and tags change in place; a new name replaces, and the old secret is scheduled for deletion', async (t) => {
  const prior = secretObject(CANARY, secretLive());
  const desc = createPlan({ ...(await configOf({ 'main.hcl': DB('var.pw', '  description = "orders db"\n  tags = {\n    team = "orders"\n  }\n') }, [`pw=${CANARY}`])), snapshot: stack([prior]) });
  t.equal(desc.plan.changes[0].change.action, 'update');
  t.notOk((desc.plan.changes[0].change.afterUnknown as Record<string, unknown>).latest_version, 'no new version for a description');

  const renamed = createPlan({ ...(await configOf({ 'main.hcl': DB().replace('"db"\n', '"db2"\n') }, [`pw=${CANARY}`])), snapshot: stack([prior]) });
  const c = renamed.plan.changes[0];
  t.equal(c.change.action, 'delete-then-create');
  t.same(c.change.replacePaths, [['name']]);
  const text = renderPlanText(renamed.plan, { color: false });
  t.match(text, /~ name += "db" -> "db2" # forces replacement/);
  t.match(text, /# \(the secret is scheduled for deletion in 30 days, not deleted at once; until then `dew csms cancel-deletion --name db` restores it\)/);

  const again = createPlan({ ...(await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`])), snapshot: stack([prior]), replace: ['dew_csms_secret.db'] });
  t.match(renderPlanText(again.plan, { color: false }), /deleted at once with all its versions, not scheduled: its replacement takes the same name/);

  const destroy = createPlan({ ...(await configOf({ 'main.hcl': DB() }, [`pw=${CANARY}`])), snapshot: stack([secretObject(CANARY, secretLive(), 'v1', { recovery_window_in_days: 7 })]), mode: 'destroy' });
  const dt = renderPlanText(destroy.plan, { color: false });
  t.match(dt, /- secret_text += \(sensitive value\) -> null/);
  t.match(dt, /scheduled for deletion in 7 days/);
});

t.test('a secret pending deletion is gone for the stack; the live view gives latest version, stages and tags; an import gives the digest', async (t) => {
  const rt = resourceType('dew_csms_secret')!;
  t.equal(rt.fromLive(secretLive({ secret: { state: 'PENDING_DELETE' } })), null);
  t.match(rt.fromLive(secretLive({ latest: 'v3', tags: { team: 'orders' } })), {
    id: `${SECRET_ID}/db`, secret_id: SECRET_ID, latest_version: 'v3', version_stages: ['SYSCURRENT'], tags: { team: 'orders' }, status: 'ENABLED', create_time: 1_700_000_000_000,
  });
  const fromImport = rt.fromLive({ ...secretLive(), value_digest: valueDigest('x'), value_kind: 'binary' })!;
  t.same([fromImport.secret_text, fromImport.secret_binary], [null, valueDigest('x')], 'dew import digests the value it read');
});

t.test('dew_csms_secret checks: exactly one value, canonical Base64, rotation period; messages never hold the value', async (t) => {
  const rt = resourceType('dew_csms_secret')!;
  t.match(rt.check!({ name: 'db' }), [{ message: /set exactly one of secret_text and secret_binary/ }]);
  t.match(rt.check!({ name: 'db', secret_text: CANARY, secret_binary: 'QQ==' }), [{ attribute: 'secret_binary', message: /conflict/ }]);
  t.same(rt.check!({ name: 'db' }, new Set(['name', 'secret_text'])), [], 'a value not known yet is a value');
  const bad = rt.check!({ name: 'db', secret_binary: `${CANARY}` });
  t.match(bad, [{ attribute: 'secret_binary', message: /not canonical Base64/ }]);
  t.notOk(JSON.stringify(bad).includes(CANARY));
  t.match(rt.check!({ name: 'db', secret_text: 'x'.repeat(32 * 1024 + 1) }), [{ attribute: 'secret_text', message: /longer than 32768 bytes/ }]);
  t.match(rt.check!({ name: 'db', secret_text: 'x', auto_rotation: true }), [{ attribute: 'auto_rotation' }]);
  t.match(rt.check!({ name: 'db', secret_text: 'x', auto_rotation: true, rotation_period: '5h' }), [{ attribute: 'rotation_period' }]);
  t.same(rt.check!({ name: 'db', secret_text: 'x', auto_rotation: true, rotation_period: '365d' }), []);
  t.match(rt.check!({ name: 'db', secret_text: 'x', expire_time: 1_800_000_000_123 }), [{ attribute: 'expire_time' }]);
});

t.test('filebase64() feeds secret_binary; a missing file is a diagnostic naming it, not a crash', async (t) => {
  const bin = await configOf({ 'main.hcl': 'resource "dew_csms_secret" "c" {\n  name          = "cert"\n  secret_binary = filebase64("cert.der")\n}\n', 'cert.der': Buffer.from([0, 1, 2, 255]) as unknown as string });
  const p = createPlan({ ...bin, snapshot: stack([]) });
  t.same(p.diagnostics, []);
  t.equal((p.plan.changes[0].change.after as Attributes).secret_binary, valueDigest('AAEC/w=='));
  const missing = await configOf({ 'main.hcl': 'resource "dew_csms_secret" "c" {\n  name        = "cert"\n  secret_text = file("nothere.txt")\n}\n' });
  const m = createPlan({ ...missing, snapshot: stack([]) });
  t.match(m.diagnostics, [{ severity: 'error', detail: /file: cannot read nothere\.txt: no such file/, range: { file: 'main.hcl', line: 3 } }]);
  const binaryAsText = await configOf({ 'main.hcl': 'resource "dew_csms_secret" "c" {\n  name        = "cert"\n  secret_text = file("cert.der")\n}\n', 'cert.der': Buffer.from([0xff, 0xfe, 0x00]) as unknown as string });
  t.match(createPlan({ ...binaryAsText, snapshot: stack([]) }).diagnostics, [{ detail: /not valid UTF-8; use filebase64/ }]);
});

t.test('TF_VAR_name sets a variable as DEW_VAR_name does; DEW_VAR_ wins when both are set', async (t) => {
  const tf = await configOf({ 'main.hcl': DB() }, [], { TF_VAR_pw: 'from-tf' });
  t.equal((createPlan({ ...tf, snapshot: stack([]) }).plan.changes[0].change.after as Attributes).secret_text, valueDigest('from-tf'));
  const both = await configOf({ 'main.hcl': DB() }, [], { TF_VAR_pw: 'from-tf', DEW_VAR_pw: 'from-dew' });
  t.equal((createPlan({ ...both, snapshot: stack([]) }).plan.changes[0].change.after as Attributes).secret_text, valueDigest('from-dew'));
});

t.test('dew_csms_secret_version: a new version_id moves the stage in place, a new stage replaces; SYSCURRENT is only forgotten', async (t) => {
  const rt = resourceType('dew_csms_secret_version')!;
  const live = { stage: 'prod', secret_name: 'db', version_id: 'v1' };
  t.same(rt.fromLive({ name: 'prod', secret_name: 'db', version_id: 'v1', update_time: 1_700_000_000 }), { id: 'db/prod', secret_name: 'db', stage: 'prod', version_id: 'v1', update_time: 1_700_000_000_000 }, 'GET …/stages/{stage}');
  const attrs = rt.fromLive(live)!;
  t.same(attrs, { id: 'db/prod', secret_name: 'db', stage: 'prod', version_id: 'v1' }, 'the daemon\u2019s live view');
  const pin = (version: string, stage = 'prod'): string => `resource "dew_csms_secret_version" "p" {\n  secret_name = "db"\n  stage       = "${stage}"\n  version_id  = "${version}"\n}\n`;
  const prior = (l: Record<string, unknown> | null, a: Attributes = attrs): StackObject => ({ address: 'dew_csms_secret_version.p', type: 'dew_csms_secret_version', object_id: String(a.id), attributes: a as StackObject['attributes'], dependencies: [], revision: 1, live: l });

  t.equal(createPlan({ ...(await configOf({ 'main.hcl': pin('v1') })), snapshot: stack([prior(live)]) }).plan.changes[0].change.action, 'no-op');
  const moved = createPlan({ ...(await configOf({ 'main.hcl': pin('v2') })), snapshot: stack([prior(live)]) });
  t.equal(moved.plan.changes[0].change.action, 'update');
  t.match(renderPlanText(moved.plan, { color: false }), /~ version_id += "v1" -> "v2"/);
  const drifted = createPlan({ ...(await configOf({ 'main.hcl': pin('v1') })), snapshot: stack([prior({ ...live, version_id: 'v3' })]) });
  t.equal(drifted.plan.changes[0].change.action, 'update');
  t.same(drifted.plan.changes[0].drift, ['version_id'], 'moved by hand: drift, moved back');
  const restaged = createPlan({ ...(await configOf({ 'main.hcl': pin('v1', 'beta') })), snapshot: stack([prior(live)]) });
  t.equal(restaged.plan.changes[0].change.action, 'delete-then-create');
  t.same(restaged.plan.changes[0].change.replacePaths, [['stage']]);
  t.equal(createPlan({ ...(await configOf({ 'main.hcl': pin('v1') })), snapshot: stack([prior(null)]) }).plan.changes[0].change.action, 'create', 'deleted by hand: set again');

  const sys = { ...attrs, id: 'db/SYSCURRENT', stage: 'SYSCURRENT' };
  const destroySys = createPlan({ ...(await configOf({ 'main.hcl': pin('v1', 'SYSCURRENT') })), snapshot: stack([prior({ ...live, stage: 'SYSCURRENT' }, sys)]), mode: 'destroy' });
  t.match(renderPlanText(destroySys.plan, { color: false }), /SYSCURRENT cannot be deleted: dew only removes this pin from the stack and the stage stays on v1/);
  const destroyProd = createPlan({ ...(await configOf({ 'main.hcl': pin('v1') })), snapshot: stack([prior(live)]), mode: 'destroy' });
  t.match(renderPlanText(destroyProd.plan, { color: false }), /the stage prod is deleted from the secret db/);
});

t.test('a pin that reads the secret\u2019s latest_version waits for a new value\u2019s version (known after apply)', async (t) => {
  const hcl = `${DB()}\nresource "dew_csms_secret_version" "p" {\n  secret_name = dew_csms_secret.db.name\n  stage       = "prod"\n  version_id  = dew_csms_secret.db.latest_version\n}\n`;
  const pinAttrs = { id: 'db/prod', secret_name: 'db', stage: 'prod', version_id: 'v1', update_time: 1 };
  const pinObj: StackObject = { address: 'dew_csms_secret_version.p', type: 'dew_csms_secret_version', object_id: 'db/prod', attributes: pinAttrs, dependencies: ['dew_csms_secret.db'], revision: 1, live: { stage: 'prod', secret_name: 'db', version_id: 'v1' } };
  const { plan } = createPlan({ ...(await configOf({ 'main.hcl': hcl }, ['pw=new-value'])), snapshot: stack([secretObject(CANARY, secretLive()), pinObj]) });
  const pin = plan.changes.find((c) => c.address === 'dew_csms_secret_version.p')!;
  t.equal(pin.change.action, 'update');
  t.match(pin.change.afterUnknown, { version_id: true });
  t.match(renderPlanText(plan, { color: false }), /~ version_id += "v1" -> \(known after apply\)/);
});
