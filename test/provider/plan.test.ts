/** Planning and rendering: force-new, drift, ignore_changes, prevent_destroy, deletes, -target, -replace, text/JSON/Markdown, staleness. */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan, type PlanInput } from '../../provider/plan/create-plan.js';
import { renderPlanText } from '../../provider/plan/render-text.js';
import { planToJson } from '../../provider/plan/render-json.js';
import { renderPlanMarkdown } from '../../provider/plan/render-markdown.js';
import { checkStaleness } from '../../provider/apply/saved-plan.js';
import type { StackObject, StackSnapshot } from '../../provider/state/stack-state.js';

async function configOf(hcl: string, vars: string[] = []): Promise<Pick<PlanInput, 'config' | 'variables'>> {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-plan-')), 'demo');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), hcl);
  const { config, diagnostics } = await loadConfig(dir);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const v = await resolveVariables(config, vars.map((text) => ({ kind: 'var' as const, text })), {});
  return { config, variables: v.values };
}

function keyLive(id: string, o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key_id: id, key_alias: 'app', key_spec: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_description: '', key_state: '2', origin: 'kms', keystore_id: '0',
    creation_date: '1700000000000', scheduled_deletion_date: '', default_key_flag: '0', domain_id: 'dom1', key_rotation_enabled: 'false', rotation_interval: 365, number_of_rotations: 0, tags: {}, ...o,
  };
}

function keyObject(address: string, id: string, live: Record<string, unknown> | null, applied: Record<string, unknown> = {}, revision = 1): StackObject {
  const attrs = { id, key_id: id, key_alias: 'app', key_algorithm: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_description: '', origin: 'kms', keystore_id: '0', is_enabled: true, rotation_enabled: false, rotation_interval: null, pending_days: '7', tags: {}, ...applied };
  return { address, type: 'dew_kms_key', object_id: id, attributes: attrs as StackObject['attributes'], dependencies: [], revision, live };
}

const stack = (objects: StackObject[], serial = 4): StackSnapshot => ({ name: 'demo', serial, lineage: 'L1', lock: null, objects });
const KEY = 'resource "dew_kms_key" "app" {\n  key_alias = "app"\n}\n';

t.test('matching config and daemon: no changes', async (t) => {
  const { plan, diagnostics } = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) });
  t.same(diagnostics, []);
  t.same(plan.changes.map((c) => c.change.action), ['no-op']);
  t.match(renderPlanText(plan, { color: false }), /No changes\. Your infrastructure matches the configuration\./);
});

t.test('a changed force-new argument replaces the object and says which attribute forces it', async (t) => {
  const { plan } = createPlan({ ...(await configOf('resource "dew_kms_key" "app" {\n  key_alias     = "app"\n  key_algorithm = "SM4"\n}\n')), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) });
  const c = plan.changes[0];
  t.equal(c.change.action, 'delete-then-create');
  t.same(c.change.replacePaths, [['key_algorithm']]);
  t.equal(c.change.actionReason, 'replace_because_cannot_update');
  const text = renderPlanText(plan, { color: false });
  t.match(text, /# dew_kms_key\.app must be replaced\n(  # \(.*\)\n)*-\/\+ resource "dew_kms_key" "app" \{/);
  t.match(text, /~ key_algorithm += "AES_256" -> "SM4" # forces replacement/);
  t.match(text, /~ key_id += "k1" -> \(known after apply\)/);
  t.match(text, /-\/\+ destroy and then create replacement/);
  t.match(text, /Plan: 1 to add, 0 to change, 1 to destroy\./);
  const json = planToJson(plan) as { resource_changes: Record<string, unknown>[] };
  t.match(json.resource_changes[0], { address: 'dew_kms_key.app', change: { actions: ['delete', 'create'], replace_paths: [['key_algorithm']] }, action_reason: 'replace_because_cannot_update' });
});

t.test('drift made outside dew is planned back as an in-place update', async (t) => {
  const live = keyLive('k1', { key_description: 'edited by hand', key_state: '3' });
  const { plan } = createPlan({ ...(await configOf('resource "dew_kms_key" "app" {\n  key_alias       = "app"\n  key_description = ""\n}\n')), snapshot: stack([keyObject('dew_kms_key.app', 'k1', live)]) });
  const c = plan.changes[0];
  t.equal(c.change.action, 'update');
  t.same(c.drift, ['key_description', 'is_enabled']);
  const text = renderPlanText(plan, { color: false });
  t.match(text, /Objects have changed outside of dew/);
  t.match(text, /# dew_kms_key\.app will be updated in-place\n  ~ resource "dew_kms_key" "app" \{\n +id += "k1"/);
  t.match(text, /~ is_enabled +\s*= false -> true/);
  t.match(text, /~ key_description = "edited by hand" -> ""/);
  t.match(text, /# \(\d+ unchanged attributes hidden\)/);
  t.match(text, /Plan: 0 to add, 1 to change, 0 to destroy\./);
});

t.test('ignore_changes keeps the daemon value for updates', async (t) => {
  const live = keyLive('k1', { key_description: 'by hand', tags: { owner: 'ops' } });
  const hcl = 'resource "dew_kms_key" "app" {\n  key_alias       = "app"\n  key_description = "mine"\n  tags            = { owner = "dev" }\n  lifecycle {\n    ignore_changes = [tags, key_description]\n  }\n}\n';
  const { plan } = createPlan({ ...(await configOf(hcl)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', live)]) });
  t.equal(plan.changes[0].change.action, 'no-op');
});

t.test('prevent_destroy makes a plan that destroys or replaces the object an error naming it', async (t) => {
  const hcl = 'resource "dew_kms_key" "app" {\n  key_alias     = "app"\n  key_algorithm = "SM4"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n';
  const cfg = await configOf(hcl);
  const r = createPlan({ ...cfg, snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) });
  t.match(r.diagnostics, [{ severity: 'error', summary: 'Instance cannot be destroyed', detail: /dew_kms_key\.app has lifecycle\.prevent_destroy/, range: { file: 'main.hcl', line: 1 } }]);
  const d = createPlan({ ...cfg, snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1', { key_spec: 'SM4' }))]), mode: 'destroy' });
  t.match(d.diagnostics, [{ summary: 'Instance cannot be destroyed' }]);
});

t.test('objects dropped from config are destroyed, with the reason', async (t) => {
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1')), keyObject('dew_kms_key.old', 'k2', keyLive('k2', { key_alias: 'old' }), { key_alias: 'old' })]) });
  const del = plan.changes.find((c) => c.address === 'dew_kms_key.old')!;
  t.equal(del.change.action, 'delete');
  t.equal(del.change.actionReason, 'delete_because_no_resource_config');
  const text = renderPlanText(plan, { color: false });
  t.match(text, /# dew_kms_key\.old will be destroyed\n  # \(because dew_kms_key\.old is not in configuration\)/);
  t.match(text, /scheduled for deletion in 7 days/);
  t.match(text, /- key_alias += "old" -> null/);
  t.match(text, /Plan: 0 to add, 0 to change, 1 to destroy\./);
});

t.test('an object deleted outside dew is created again', async (t) => {
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', null)]) });
  t.equal(plan.changes[0].change.action, 'create');
  t.match(renderPlanText(plan, { color: false }), /no longer exists in the daemon/);
});

t.test('-destroy plans every object for deletion', async (t) => {
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]), mode: 'destroy' });
  t.same(plan.changes.map((c) => [c.address, c.change.action]), [['dew_kms_key.app', 'delete']]);
  t.same(plan.outputs, []);
});

const TWO = 'resource "dew_kms_key" "app" {\n  key_alias = "app"\n}\nresource "dew_kms_alias" "a" {\n  key_id = dew_kms_key.app.key_id\n  alias  = "alias/app"\n}\nresource "dew_kms_key" "other" {\n  key_alias = "other"\n}\n';

t.test('-target selects the resource and its dependencies only', async (t) => {
  const { plan, diagnostics } = createPlan({ ...(await configOf(TWO)), snapshot: stack([]), targets: ['dew_kms_alias.a'] });
  t.same(plan.changes.map((c) => c.address), ['dew_kms_alias.a', 'dew_kms_key.app']);
  t.same(diagnostics, []);
  t.match(renderPlanText(plan, { color: false }), /Resource targeting is in effect[^]*what they depend on/);
});

t.test('-replace forces replacement; references to the replaced key become unknown and replace the alias', async (t) => {
  const alias = { address: 'dew_kms_alias.a', type: 'dew_kms_alias', object_id: 'k1?alias/app', attributes: { id: 'k1?alias/app', key_id: 'k1', alias: 'alias/app', alias_urn: 'u' }, dependencies: ['dew_kms_key.app'], revision: 1, live: { key_id: 'k1', alias: 'alias/app', alias_urn: 'u' } };
  const other = keyObject('dew_kms_key.other', 'k9', keyLive('k9', { key_alias: 'other' }), { key_alias: 'other' });
  const { plan } = createPlan({ ...(await configOf(TWO)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1')), alias, other]), replace: ['dew_kms_key.app'] });
  const by = Object.fromEntries(plan.changes.map((c) => [c.address, c.change]));
  t.equal(by['dew_kms_key.app'].action, 'delete-then-create');
  t.equal(by['dew_kms_key.app'].actionReason, 'replace_by_request');
  t.equal(by['dew_kms_alias.a'].action, 'delete-then-create');
  t.same(by['dew_kms_alias.a'].replacePaths, [['key_id']]);
  t.equal(by['dew_kms_key.other'].action, 'no-op');
  t.match(renderPlanText(plan, { color: false }), /# dew_kms_key\.app will be replaced, as requested/);
});

t.test('sensitive values are masked in text and redacted in JSON', async (t) => {
  const hcl = 'variable "desc" {\n  sensitive = true\n}\nresource "dew_kms_key" "app" {\n  key_alias       = "app"\n  key_description = var.desc\n}\n';
  const { plan } = createPlan({ ...(await configOf(hcl, ['desc=top-secret'])), snapshot: stack([]) });
  const text = renderPlanText(plan, { color: false });
  t.match(text, /\+ key_description +\s*= \(sensitive value\)/);
  t.notMatch(text, /top-secret/);
  const json = JSON.stringify(planToJson(plan));
  t.notMatch(json, /top-secret/, 'stricter than Terraform: never in the JSON');
  const rc = (planToJson(plan) as { resource_changes: { change: Record<string, unknown> }[] }).resource_changes[0];
  t.match(rc.change, { actions: ['create'], after: { key_description: '(sensitive value)', key_alias: 'app' }, after_sensitive: { key_description: true }, after_unknown: { key_id: true } });
  t.notOk('key_id' in (rc.change.after as object), 'unknown values are left out of after, as Terraform does');
  t.match(renderPlanMarkdown(plan), /\(sensitive value\)/);
  t.notMatch(renderPlanMarkdown(plan), /top-secret/);
});

t.test('create text, legend and colour', async (t) => {
  const hcl = 'resource "dew_kms_key" "app" {\n  key_alias = "app"\n  tags      = { team = "sec", env = "prod" }\n}\n';
  const { plan } = createPlan({ ...(await configOf(hcl)), snapshot: stack([]) });
  const text = renderPlanText(plan, { color: false });
  t.match(text, /^Stack: demo\n/);
  t.match(text, /shown with the following symbols:\n  \+ create\n\n/);
  t.notMatch(text, /- destroy|~ update in-place/, 'the legend lists only the symbols used');
  t.match(text, /  # dew_kms_key\.app will be created\n  \+ resource "dew_kms_key" "app" \{\n/);
  t.match(text, /\n      \+ key_alias += "app"\n/);
  t.match(text, /\n      \+ key_id += \(known after apply\)\n/);
  t.match(text, /\n      \+ tags += \{\n          \+ "env"  = "prod"\n          \+ "team" = "sec"\n        \}\n/);
  t.match(text, /Plan: 1 to add, 0 to change, 0 to destroy\./);
  t.notMatch(text, /\x1b\[/, 'no ANSI codes without colour');
  t.match(renderPlanText(plan, { color: true }), /\x1b\[32m\+\x1b\[0m/);
});

t.test('JSON plan shape', async (t) => {
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.old', 'k2', keyLive('k2'))]) });
  const j = planToJson(plan) as Record<string, unknown>;
  t.equal(j.format_version, '1.2');
  t.equal(j.applyable, true);
  t.match(j.resource_changes, [
    { address: 'dew_kms_key.app', mode: 'managed', type: 'dew_kms_key', name: 'app', change: { actions: ['create'], before: null } },
    { address: 'dew_kms_key.old', change: { actions: ['delete'], after: null }, action_reason: 'delete_because_no_resource_config' },
  ]);
});

t.test('markdown: summary table with destroys first, then details', async (t) => {
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.old', 'k2', keyLive('k2'))]) });
  const md = renderPlanMarkdown(plan);
  t.match(md, /### dew plan for stack `demo`/);
  t.match(md, /\*\*Plan:\*\* 1 to add, 0 to change, 1 to destroy\./);
  t.match(md, /\| Action \| Address \| Reason \|\n\|---\|---\|---\|\n\| 🔴 destroy \| `dew_kms_key\.old` \| not in configuration \|\n\| 🟢 create \| `dew_kms_key\.app` \|  \|/);
  t.match(md, /<details>\n<summary>🟢 create <code>dew_kms_key\.app<\/code><\/summary>\n\n```diff\n/);
  t.match(md, /\n\+ resource "dew_kms_key" "app" \{/);
});

t.test('a saved plan is stale when the serial or any object revision moved', async (t) => {
  const objs = [keyObject('dew_kms_key.app', 'k1', keyLive('k1'), {}, 3)];
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack(objs, 4) });
  t.same(checkStaleness(plan, stack(objs, 4)), { stale: false });
  t.match(checkStaleness(plan, stack(objs, 5)), { stale: true, summary: 'Saved plan is stale' });
  t.match(checkStaleness(plan, stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'), {}, 4)], 4)), { stale: true, summary: 'Saved plan is stale', detail: /dew_kms_key\.app/ });
  t.match(checkStaleness(plan, { ...stack(objs, 4), lineage: 'other' }), { stale: true, summary: 'Saved plan does not match the given state' });
});

t.test('outputs: only changed outputs are listed', async (t) => {
  const hcl = KEY + 'output "alias" {\n  value = dew_kms_key.app.key_alias\n}\noutput "id" {\n  value = dew_kms_key.app.key_id\n}\n';
  const { plan } = createPlan({ ...(await configOf(hcl.replace('key_alias = "app"', 'key_alias = "app2"'))), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) });
  t.same(plan.outputs.map((o) => [o.name, o.action]), [['alias', 'update'], ['id', 'no-op']]);
  const text = renderPlanText(plan, { color: false });
  t.match(text, /Changes to Outputs:\n  ~ alias = "app" -> "app2"\n/);
  t.notMatch(text, /~ id/);
});

t.test('an object the daemon cannot describe (live absent) keeps its last applied attributes', async (t) => {
  const o = keyObject('dew_kms_key.app', 'k1', null);
  delete o.live;
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([o]) });
  t.equal(plan.changes[0].change.action, 'no-op');
});

t.test('prevent_destroy is checked after -target: destroying an unprotected target succeeds (issue 11.3)', async (t) => {
  const hcl = KEY + 'resource "dew_kms_key" "keep" {\n  key_alias = "keep"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n';
  const cfg = await configOf(hcl);
  const snap = stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1')), keyObject('dew_kms_key.keep', 'k2', keyLive('k2', { key_alias: 'keep' }), { key_alias: 'keep' })]);
  const all = createPlan({ ...cfg, snapshot: snap, mode: 'destroy' });
  t.match(all.diagnostics.filter((d) => d.severity === 'error'), [{ summary: 'Instance cannot be destroyed', detail: /dew_kms_key\.keep/ }]);
  const narrowed = createPlan({ ...cfg, snapshot: snap, mode: 'destroy', targets: ['dew_kms_key.app'] });
  t.same(narrowed.diagnostics.filter((d) => d.severity === 'error'), []);
  t.same(narrowed.plan.changes.map((c) => [c.address, c.change.action]), [['dew_kms_key.app', 'delete']]);
});

t.test('-destroy -target destroys the target and its dependants, never its dependencies (issue 11.4)', async (t) => {
  const cfg = await configOf(TWO);
  const alias = (): StackObject => ({ address: 'dew_kms_alias.a', type: 'dew_kms_alias', object_id: 'alias/app', attributes: { id: 'alias/app', key_id: 'k1', alias: 'alias/app' } as StackObject['attributes'], dependencies: ['dew_kms_key.app'], revision: 1, live: { key_id: 'k1', alias: 'alias/app' } });
  const snap = stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1')), alias(), keyObject('dew_kms_key.other', 'k3', keyLive('k3', { key_alias: 'other' }), { key_alias: 'other' })]);
  const onAlias = createPlan({ ...cfg, snapshot: snap, mode: 'destroy', targets: ['dew_kms_alias.a'] });
  t.same(onAlias.plan.changes.map((c) => c.address), ['dew_kms_alias.a']);
  const onKey = createPlan({ ...cfg, snapshot: snap, mode: 'destroy', targets: ['dew_kms_key.app'] });
  t.same(onKey.plan.changes.map((c) => c.address), ['dew_kms_alias.a', 'dew_kms_key.app']);
  const text = renderPlanText(onAlias.plan, { color: false });
  t.equal(text.match(/Resource targeting is in effect/g)?.length, 1, 'the targeting warning is in the plan text once');
  t.notOk(onAlias.diagnostics.some((d) => /targeting/i.test(d.summary)), 'and not a second time as a diagnostic');
  t.match(text, /what depends on them/);
});

t.test('the plan text does not speak of providers dew does not have (issue 11.13)', async (t) => {
  const { plan } = createPlan({ ...(await configOf(KEY)), snapshot: stack([]) });
  const text = renderPlanText(plan, { color: false });
  t.notMatch(text, /selected providers/);
  t.match(text, /shown with the following symbols:\n  \+ create/);
});

t.test('the key quota: creates and replacements need new keys; pending deletions count', async (t) => {
  const { keyQuotaDiagnostic, newKeysNeeded } = await import('../../provider/plan/key-quota.js');
  const replaced = createPlan({ ...(await configOf('resource "dew_kms_key" "app" {\n  key_alias     = "app"\n  key_algorithm = "SM4"\n}\n\nresource "dew_kms_key" "more" {\n  key_alias = "more"\n}\n')), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) }).plan;
  t.equal(newKeysNeeded(replaced), 2, 'one replacement and one create');
  t.equal(keyQuotaDiagnostic(replaced, { quota: 20, used: 18, pendingDeletion: 0 }), undefined, 'fits exactly');
  const d = keyQuotaDiagnostic(replaced, { quota: 20, used: 19, pendingDeletion: 2 });
  t.equal(d?.severity, 'error');
  t.equal(d?.detail?.split('.')[0], 'The plan needs 2 new keys; the quota allows 20 and 19 exist (2 pending deletion), so only 1 can be created');
  t.match(d?.detail, /a replaced key is only scheduled for deletion \(1 in this plan\)/);
  const destroy = createPlan({ ...(await configOf(KEY)), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]), mode: 'destroy' }).plan;
  t.equal(keyQuotaDiagnostic(destroy, { quota: 1, used: 5, pendingDeletion: 5 }), undefined, 'a plan that creates no key is never refused');
});

t.test('rotation_interval is planned from rotation_enabled, not "known after apply"', async (t) => {
  const created = createPlan({ ...(await configOf('resource "dew_kms_key" "app" {\n  key_alias        = "app"\n  rotation_enabled = true\n}\n')), snapshot: stack([]) }).plan;
  t.equal((created.changes[0].change.after as Record<string, unknown>).rotation_interval, 365, 'a new rotating key gets 365 days');
  t.match(renderPlanText(created, { color: false }), /\+ rotation_interval += 365\n/);
  const on = createPlan({ ...(await configOf('resource "dew_kms_key" "app" {\n  key_alias        = "app"\n  rotation_enabled = true\n}\n')), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) }).plan;
  t.match(renderPlanText(on, { color: false }), /~ rotation_enabled += false -> true\n\s+\+ rotation_interval = 365\n/);
  const replaced = createPlan({ ...(await configOf('resource "dew_kms_key" "app" {\n  key_alias     = "app"\n  key_algorithm = "SM4"\n}\n')), snapshot: stack([keyObject('dew_kms_key.app', 'k1', keyLive('k1'))]) }).plan;
  const text = renderPlanText(replaced, { color: false });
  t.notMatch(text, /rotation_interval/, 'no rotation before or after: nothing to show');
  t.notMatch(text, /~ \S+ += \(known after apply\)/, 'an attribute without an old value is shown with +, not ~');
});
