/** Planning over pending entries (intents an interrupted apply left): adopt what the create made, create again when it made nothing, forget on destroy. */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan } from '../../provider/plan/create-plan.js';
import { isEmptyPlan } from '../../provider/plan/change.js';
import { renderPlanText } from '../../provider/plan/render-text.js';
import { planToJson } from '../../provider/plan/render-json.js';
import { applyPlan } from '../../provider/apply/apply-plan.js';
import { MemoryStackStore } from '../../provider/state/memory-stack-store.js';
import type { DewApi } from '../../provider/resources/api.js';

const HCL = 'resource "dew_kms_key" "k" {\n  count     = 2\n  key_alias = "k-${count.index}"\n}\n';

const live = (id: string, alias: string) => ({
  key_id: id, key_alias: alias, key_spec: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_description: '', key_state: '2', origin: 'kms', keystore_id: '0',
  creation_date: '1700000000000', scheduled_deletion_date: '', default_key_flag: '0', domain_id: 'dom1', key_rotation_enabled: 'false', rotation_interval: 365, number_of_rotations: 0, tags: {},
});

async function setup() {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-adopt-')), 'adopt');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), HCL);
  const { config } = await loadConfig(dir);
  const variables = (await resolveVariables(config, [], {})).values;
  const store = new MemoryStackStore();
  const lock = await store.lock(config.stack, 'dead apply', 'apply');
  // the dead apply wrote both intents; only k[0]'s create happened
  for (const i of [0, 1]) await store.putObject(config.stack, lock.id, { address: `dew_kms_key.k[${i}]`, type: 'dew_kms_key', object_id: '', attributes: { key_alias: `k-${i}`, key_algorithm: 'AES_256', is_enabled: true, rotation_enabled: false, pending_days: '7' }, dependencies: [], pending: true });
  store.setPendingFound(config.stack, 'dew_kms_key.k[0]', 'id-0', live('id-0', 'k-0'));
  await store.unlock(config.stack, lock.id);
  return { config, variables, store };
}

t.test('the plan adopts what the interrupted create made, says so, and creates what it never made', async (t) => {
  const { config, variables, store } = await setup();
  const { plan, diagnostics } = createPlan({ config, variables, snapshot: await store.read(config.stack) });
  t.same(diagnostics, []);
  const byAddress = Object.fromEntries(plan.changes.map((c) => [c.address, c]));
  t.match(byAddress['dew_kms_key.k[0]'], { change: { action: 'no-op' }, objectId: 'id-0', adopt: { since: /^\d{4}-/ } });
  t.match(byAddress['dew_kms_key.k[1]'], { change: { action: 'create' } });
  t.notOk(byAddress['dew_kms_key.k[1]'].adopt);
  t.equal(plan.changes.length, 2, 'no delete of the intent entries as undeclared objects');
  t.notOk(isEmptyPlan(plan), 'an adoption alone is something to apply');
  const text = renderPlanText(plan, { color: false });
  t.match(text, /# dew_kms_key\.k\[0\]: adopting key id-0 created by an interrupted apply/);
  t.match(text, /Plan: 1 to add, 0 to change, 0 to destroy, 1 to adopt\./);
  t.match(planToJson(plan), { resource_changes: [{ address: 'dew_kms_key.k[0]', adopting: { object_id: 'id-0' } }] });

  const created: string[] = [];
  const api: DewApi = {
    async kms(op, body) {
      const b = body as Record<string, string>;
      if (op === 'create-key') {
        created.push(b.key_alias);
        return { key_info: { key_id: `id-${b.key_alias.slice(2)}` } };
      }
      if (op === 'describe-key') return { key_info: { key_id: b.key_id, key_state: '2' } };
      throw new Error(`unexpected ${op}`);
    },
    async request() {
      throw new Error('unexpected request');
    },
  };
  const lock = await store.lock(config.stack, 'next', 'apply');
  const lines: string[] = [];
  const r = await applyPlan({ plan, config, variables, store, api, lockId: lock.id, ctx: { configDir: config.dir, now: Date.now }, onEvent: (l) => lines.push(l) });
  t.same(r.failed, []);
  t.same(created, ['k-1'], 'only the key never made is created');
  t.match(r.counts, { added: 1, adopted: 1 });
  t.ok(lines.includes('dew_kms_key.k[0]: Adopted [id=id-0] (created by an interrupted apply)'));
  const after = await store.read(config.stack);
  t.same(after.objects.map((o) => [o.address, o.object_id, o.pending ?? null]).sort(), [['dew_kms_key.k[0]', 'id-0', null], ['dew_kms_key.k[1]', 'id-1', null]], 'both recorded, no intent left');
});

t.test('destroy: an adopted object is destroyed, an intent that made nothing is forgotten', async (t) => {
  const { config, variables, store } = await setup();
  const { plan } = createPlan({ config, variables, snapshot: await store.read(config.stack), mode: 'destroy' });
  const byAddress = Object.fromEntries(plan.changes.map((c) => [c.address, c]));
  t.match(byAddress['dew_kms_key.k[0]'], { change: { action: 'delete' }, objectId: 'id-0' });
  t.notOk(byAddress['dew_kms_key.k[0]'].gone);
  t.match(byAddress['dew_kms_key.k[1]'], { change: { action: 'delete' }, gone: true });
});
