/** Apply ordering per instance: an indexed reference waits for that instance only, an un-indexed one for the whole resource; a skip names the dependency that failed. */
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan } from '../../provider/plan/create-plan.js';
import { applyPlan, changeGraph } from '../../provider/apply/apply-plan.js';
import { MemoryStackStore } from '../../provider/state/memory-stack-store.js';
import { emptyStack } from '../../provider/state/stack-state.js';
import type { DewApi } from '../../provider/resources/api.js';

const HCL = `
locals {
  all = dew_kms_key.k
}

resource "dew_kms_key" "k" {
  count     = 4
  key_alias = "k-\${count.index}"
}

resource "dew_kms_alias" "g" {
  count  = 4
  key_id = dew_kms_key.k[count.index].key_id
  alias  = "alias/g-\${count.index}"
}

resource "dew_kms_key" "m" {
  for_each  = toset(["a", "b"])
  key_alias = "m-\${each.key}"
}

resource "dew_kms_alias" "n" {
  for_each = toset(["a", "b"])
  key_id   = dew_kms_key.m[each.key].key_id
  alias    = "alias/n-\${each.key}"
}

resource "dew_kms_key" "fixed" {
  key_alias       = "fixed"
  key_description = dew_kms_key.k[2].key_id
}

resource "dew_kms_key" "every" {
  key_alias       = "every"
  key_description = join(",", dew_kms_key.k[*].key_id)
}

resource "dew_kms_key" "local" {
  key_alias       = "via-local"
  key_description = local.all[0].key_id
}
`;

async function planOf(hcl: string) {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-deps-')), 'deps');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), hcl);
  const { config, diagnostics } = await loadConfig(dir);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const variables = (await resolveVariables(config, [], {})).values;
  const r = createPlan({ config, variables, snapshot: emptyStack(config.stack) });
  if (r.diagnostics.length) throw new Error(JSON.stringify(r.diagnostics));
  return { config, variables, plan: r.plan };
}

t.test('an indexed reference links to that instance; splat, whole-resource and local references to every instance', async (t) => {
  const { plan } = await planOf(HCL);
  const g = changeGraph(plan.changes);
  for (let i = 0; i < 4; i++) t.same(g.dependencies(`dew_kms_alias.g[${i}]`), [`dew_kms_key.k[${i}]`], `g[${i}] waits for k[${i}] only`);
  t.same(g.dependencies('dew_kms_alias.n["a"]'), ['dew_kms_key.m["a"]'], 'for_each keys too');
  t.same(g.dependencies('dew_kms_key.fixed'), ['dew_kms_key.k[2]'], 'a literal index names one instance');
  const all = ['dew_kms_key.k[0]', 'dew_kms_key.k[1]', 'dew_kms_key.k[2]', 'dew_kms_key.k[3]'];
  t.same([...g.dependencies('dew_kms_key.every')].sort(), all, 'a splat needs the whole resource');
  t.same([...g.dependencies('dew_kms_key.local')].sort(), all, 'a reference through a local needs the whole resource');
});

t.test('a skipped instance names the instance it waited for that failed', async (t) => {
  const { config, variables, plan } = await planOf(HCL);
  let n = 0;
  const api: DewApi = {
    async kms(op, body) {
      const b = (body ?? {}) as Record<string, unknown>;
      if (op === 'create-key') {
        if (b.key_alias === 'k-1') throw Object.assign(new Error('The alias already exists.'), { code: 'KMS.1104', status: 400 });
        return { key_info: { key_id: `id-${String(b.key_alias)}-${n++}` } };
      }
      if (op === 'describe-key') return { key_info: { key_id: b.key_id, key_state: '2' } };
      throw new Error(`unexpected ${op}`);
    },
    async request(_m, _p, body) {
      return { status: 200, headers: {}, body: { alias_urn: `urn:${String((body as Record<string, unknown>).alias)}` } };
    },
  };
  const store = new MemoryStackStore();
  const lock = await store.lock(plan.stack, 'test', 'apply');
  const r = await applyPlan({ plan, config, variables, store, api, lockId: lock.id, ctx: { configDir: config.dir, now: Date.now }, parallelism: 1 });
  t.same(r.failed.map((f) => f.address), ['dew_kms_key.k[1]']);
  const because = Object.fromEntries(r.skipped.map((s) => [s.address, s.because]));
  t.same(because, {
    'dew_kms_alias.g[1]': 'dew_kms_key.k[1]',
    'dew_kms_key.every': 'dew_kms_key.k[1]',
    'dew_kms_key.local': 'dew_kms_key.k[1]',
  }, 'only what needs k[1] is skipped, and each names k[1]');
  const recorded = (await store.read(plan.stack)).objects.map((o) => o.address);
  for (const a of ['dew_kms_alias.g[0]', 'dew_kms_alias.g[2]', 'dew_kms_alias.g[3]', 'dew_kms_key.fixed']) t.ok(recorded.includes(a), `${a} did not wait for k[1]`);
});
