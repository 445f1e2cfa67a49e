/** Terraform-format machine output, pure: diagnostics with byte offsets and snippets; the plan's planned_values, prior_state and resource_drift, redacted. */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { error, warning } from '../../provider/config/diagnostics.js';
import { diagnosticJson, diagnosticsJson } from '../../provider/config/diagnostics-json.js';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan } from '../../provider/plan/create-plan.js';
import { planToJson } from '../../provider/plan/render-json.js';
import type { StackObject } from '../../provider/state/stack-state.js';

type Obj = Record<string, unknown>;

t.test('a diagnostic range: columns in characters, bytes in UTF-8, the name at the start highlighted', async (t) => {
  const src = 'locals {\n  a = "é€"\n}\nresource "dew_kms_key" "k" {\n  key_alias = "ü"\n  bogus     = 1\n}\n';
  const sources = new Map([['main.hcl', src]]);
  const d = diagnosticJson(error('Unsupported argument', 'An argument named "bogus" is not expected here.', { file: 'main.hcl', line: 6, column: 3 }, 'Remove it.'), sources);
  const at = Buffer.from(src).indexOf('bogus');
  t.same(d.range, { filename: 'main.hcl', start: { line: 6, column: 3, byte: at }, end: { line: 6, column: 8, byte: at + 5 } });
  t.same(d.snippet, { context: 'resource "dew_kms_key" "k"', code: '  bogus     = 1', start_line: 6, highlight_start_offset: 2, highlight_end_offset: 7, values: [] });
  t.equal(d.detail, 'An argument named "bogus" is not expected here.\n\nHint: Remove it.', 'the hint follows the detail');

  // an explicit end after multi-byte characters on the same line
  const e = diagnosticJson(error('Bad', undefined, { file: 'main.hcl', line: 2, column: 8, endLine: 2, endColumn: 10 }), sources);
  const l2 = Buffer.from(src).indexOf('é');
  t.same(e.range, { filename: 'main.hcl', start: { line: 2, column: 8, byte: l2 }, end: { line: 2, column: 10, byte: l2 + 2 + 3 } });
  t.match(e.snippet, { context: 'locals', code: '  a = "é€"', highlight_start_offset: 7, highlight_end_offset: 12 });
  t.equal(e.detail, '', 'no detail: an empty string, as Terraform');
});

t.test('a diagnostic without a range or without its source', async (t) => {
  t.same(diagnosticJson(error('No stack', 'none')), { severity: 'error', summary: 'No stack', detail: 'none' });
  const d = diagnosticJson(warning('W', 'w', { file: 'gone.hcl', line: 2, column: 4 }));
  t.same(d, { severity: 'warning', summary: 'W', detail: 'w', range: { filename: 'gone.hcl', start: { line: 2, column: 4, byte: 0 }, end: { line: 2, column: 4, byte: 0 } } }, 'without the source: a point, no snippet');
});

t.test('the diagnostics object counts and sorts', async (t) => {
  const j = diagnosticsJson([warning('W', undefined, { file: 'b.hcl', line: 1, column: 1 }), error('E', undefined, { file: 'a.hcl', line: 1, column: 1 })]);
  t.match(j, { format_version: '1.0', valid: false, error_count: 1, warning_count: 1 });
  t.same((j.diagnostics as Obj[]).map((d) => d.summary), ['E', 'W']);
  t.same(diagnosticsJson([]), { format_version: '1.0', valid: true, error_count: 0, warning_count: 0, diagnostics: [] });
});

function keyObject(address: string, id: string, applied: Obj, live: Obj | null): StackObject {
  const attrs = { id, key_id: id, key_alias: 'app', key_algorithm: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_description: '', origin: 'kms', keystore_id: '0', is_enabled: true, rotation_enabled: false, rotation_interval: null, pending_days: '7', tags: {}, ...applied };
  const l = live && {
    key_id: id, key_alias: attrs.key_alias, key_spec: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_description: attrs.key_description, key_state: '2', origin: 'kms', keystore_id: '0',
    creation_date: '1700000000000', scheduled_deletion_date: '', default_key_flag: '0', domain_id: 'dom1', key_rotation_enabled: 'false', rotation_interval: 365, number_of_rotations: 0, tags: {}, ...live,
  };
  return { address, type: 'dew_kms_key', object_id: id, attributes: attrs as StackObject['attributes'], dependencies: [], revision: 1, live: l };
}

t.test('planned_values, prior_state and resource_drift: drift and deletion outside dew, secrets redacted everywhere', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-tfjson-')), 'demo');
  mkdirSync(dir);
  const hcl = 'variable "d" {\n  sensitive = true\n}\nresource "dew_kms_key" "app" {\n  key_alias       = "app"\n  key_description = var.d\n}\nresource "dew_kms_key" "gone" {\n  key_alias = "gone"\n}\noutput "alias" {\n  value = dew_kms_key.app.key_alias\n}\n';
  writeFileSync(join(dir, 'main.hcl'), hcl);
  const { config } = await loadConfig(dir);
  const { values } = await resolveVariables(config, [{ kind: 'var', text: 'd=old-secret-x' }], {});
  const snapshot = {
    name: 'demo', serial: 3, lineage: 'L', lock: null,
    objects: [
      keyObject('dew_kms_key.app', 'k1', { key_description: 'old-secret-x' }, { key_description: 'new-secret-y' }),
      keyObject('dew_kms_key.gone', 'k2', { key_alias: 'gone' }, null),
    ],
  };
  const { plan, diagnostics } = createPlan({ config, variables: values, snapshot });
  t.same(diagnostics, []);
  const j = planToJson(plan) as Obj;
  const text = JSON.stringify(j);
  t.notMatch(text, /old-secret-x|new-secret-y/, 'no secret, before or after the drift');

  const drift = j.resource_drift as Obj[];
  t.same(drift.map((d) => [d.address, (d.change as Obj).actions]), [['dew_kms_key.app', ['update']], ['dew_kms_key.gone', ['delete']]]);
  t.match(drift[0].change, { before: { key_description: '(sensitive value)' }, after: { key_description: '(sensitive value)' }, before_sensitive: { key_description: true }, after_sensitive: { key_description: true } });
  t.match(drift[1].change, { before: { key_alias: 'gone' }, after: null, after_unknown: false, after_sensitive: false });
  t.same(j.relevant_attributes, [{ resource: 'dew_kms_key.app', attribute: ['key_description'] }]);

  const prior = j.prior_state as { format_version: string; values: { outputs: Obj; root_module: { resources: Obj[] } } };
  t.equal(prior.format_version, '1.0');
  t.same(prior.values.root_module.resources.map((r) => r.address), ['dew_kms_key.app'], 'the gone object is not in the prior state');
  t.match(prior.values.root_module.resources[0], { mode: 'managed', type: 'dew_kms_key', name: 'app', provider_name: 'dew', schema_version: 0, values: { key_description: '(sensitive value)', key_id: 'k1' }, sensitive_values: { key_description: true } });
  t.same(prior.values.outputs, { alias: { sensitive: false, value: 'app', type: 'string' } });

  const planned = j.planned_values as { outputs: Obj; root_module: { resources: Obj[] } };
  t.same(planned.root_module.resources.map((r) => r.address), ['dew_kms_key.app', 'dew_kms_key.gone']);
  t.match(planned.root_module.resources[0], { values: { key_description: '(sensitive value)', key_id: 'k1' }, sensitive_values: { key_description: true } });
  t.notOk('key_id' in (planned.root_module.resources[1].values as Obj), 'a value known only after apply is left out');
  t.same(planned.outputs, { alias: { sensitive: false, type: 'string', value: 'app' } });
});

t.test('a new stack: no prior_state and no resource_drift, as Terraform', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-tfjson-')), 'demo');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), 'resource "dew_kms_key" "app" {\n  key_alias = "app"\n}\n');
  const { config } = await loadConfig(dir);
  const { plan } = createPlan({ config, variables: new Map(), snapshot: { name: 'demo', serial: 0, lineage: '', lock: null, objects: [] } });
  const j = planToJson(plan);
  t.notOk('prior_state' in j);
  t.notOk('resource_drift' in j);
  t.notOk('relevant_attributes' in j);
  t.match(j.planned_values, { root_module: { resources: [{ address: 'dew_kms_key.app', sensitive_values: {} }] } });
  // a plan saved by an older dew has no prior objects: still renders
  const { prior: _prior, ...old } = plan;
  t.match(planToJson(old), { planned_values: { root_module: { resources: [{ address: 'dew_kms_key.app' }] } } });
});
