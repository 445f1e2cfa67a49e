/**
 * The stack list and the last applied plan: GET /dew/stacks lists a project's stacks with their object counts;
 * PUT /dew/stacks/{stack}/last-plan keeps a plan only under the stack's lock; `dew apply` records the plan it
 * carried out as the same text `dew plan` printed (no colour, a sensitive value shown as "(sensitive value)"),
 * with its outcome, and the value itself is nowhere in what the daemon keeps.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { startTestDaemon, apiError } from '../helpers/daemon.js';
import { world } from '../e2e/harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

t.test('the stack list and the last plan kept under the lock', async (t) => {
  const d = await startTestDaemon(t);
  const stacks = '/v1.0/{project_id}/dew/stacks';
  t.same(((await d.client.request('GET', stacks)).body as Any), { stacks: [], next_marker: '' }, 'no stack yet');

  const lock = ((await d.client.request('POST', `${stacks}/web/lock`, { who: 'alice@ci', operation: 'apply' })).body as Any).lock;
  await d.client.request('PUT', `${stacks}/web/objects`, { lock_id: lock.id, address: 'dew_kms_key.a', type: 'dew_kms_key', object_id: 'k1', attributes: {} });
  await d.client.request('PUT', `${stacks}/web/objects`, { lock_id: lock.id, address: 'dew_kms_key.b', type: 'dew_kms_key', object_id: 'k2', attributes: {} });
  await d.client.request('POST', `${stacks}/api/lock`, { who: 'bob@ci', operation: 'plan' });

  t.same(((await d.client.request('GET', `${stacks}/web/last-plan`)).body as Any), { last_plan: null }, 'no plan recorded yet');
  const plan = { text: 'Stack: web\n\nPlan: 2 to add, 0 to change, 0 to destroy.\n', mode: 'normal', summary: { add: 2, change: 0, destroy: 0 }, outcome: 'applied' };
  const wrong = await apiError(d.client.request('PUT', `${stacks}/web/last-plan`, { lock_id: 'not-the-lock', ...plan }));
  t.equal(wrong.status, 409, 'a plan is kept only under the lock');
  t.equal(wrong.code, 'DEW.0409');
  const noStack = await apiError(d.client.request('PUT', `${stacks}/none/last-plan`, { lock_id: lock.id, ...plan }));
  t.equal(noStack.status, 409, 'a stack never locked takes no plan');
  const bad = await apiError(d.client.request('PUT', `${stacks}/web/last-plan`, { lock_id: lock.id, ...plan, outcome: 'maybe' }));
  t.equal(bad.status, 400, 'the body is checked against its schema');

  t.same(((await d.client.request('PUT', `${stacks}/web/last-plan`, { lock_id: lock.id, ...plan })).body as Any), { serial: 2 });
  const kept = ((await d.client.request('GET', `${stacks}/web/last-plan`)).body as Any).last_plan;
  t.match(kept, { ...plan, applied_by: 'alice@ci', serial: 2 });
  t.match(kept.applied_at, /^\d{4}-\d\d-\d\dT/);

  const list = ((await d.client.request('GET', stacks)).body as Any).stacks;
  t.same(list.map((s: Any) => [s.name, s.object_count, s.lock?.who, s.last_outcome]), [
    ['api', 0, 'bob@ci', null],
    ['web', 2, 'alice@ci', 'applied'],
  ]);
  t.equal(list[1].last_applied_at, kept.applied_at);
  const page = ((await d.client.request('GET', stacks, undefined, { limit: '1' })).body as Any);
  t.same([page.stacks.map((s: Any) => s.name), page.next_marker], [['api'], '1'], 'paged by marker');

  const reader = d.clientFor((await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'reader', roles: ['KMS ReadOnlyAccess'] })).body as Any);
  t.equal(((await reader.request('GET', `${stacks}/web/last-plan`)).body as Any).last_plan.text, plan.text, 'a reader reads the plan');
  const refused = await apiError(reader.request('PUT', `${stacks}/web/last-plan`, { lock_id: lock.id, ...plan }));
  t.equal(refused.status, 403, 'a reader cannot record one');
});

t.test('dew apply records the plan it carried out, as dew plan printed it, with no sensitive value', async (t) => {
  const w = await world(t, { stack: 'shop' });
  const value = `canary-${randomBytes(8).toString('hex')}`;
  w.env.DEW_VAR_pw = value;
  w.write({
    'main.hcl': 'variable "pw" {\n  type      = string\n  sensitive = true\n}\n\nresource "dew_kms_key" "app" {\n  key_alias = "shop-app"\n}\n\nresource "dew_csms_secret" "db" {\n  name        = "shop-db"\n  secret_text = var.pw\n}\n',
  });
  const planned = await w.dew('plan', '-no-color');
  t.equal(planned.code, 0, planned.err);
  const applied = await w.dew('apply', '-auto-approve', '-no-color');
  t.equal(applied.code, 0, applied.err);
  const kept = ((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/shop/last-plan')).body as Any).last_plan;
  t.match(kept, { mode: 'normal', summary: { add: 2, change: 0, destroy: 0, adopt: 0 }, outcome: 'applied' });
  t.equal(kept.serial, ((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/shop')).body as Any).stack.serial, 'the serial the apply left');
  t.equal(kept.text, planned.out, 'the text is what dew plan printed');
  t.ok(applied.out.startsWith(kept.text), 'and what dew apply showed before applying');
  t.match(kept.text, /\+ secret_text += \(sensitive value\)/);
  t.notOk(JSON.stringify(kept).includes(value), 'the sensitive value is not in the record');
  t.notOk(kept.text.includes('\x1b['), 'no colour codes');
  const list = ((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks')).body as Any).stacks;
  t.match(list, [{ name: 'shop', object_count: 2, lock: null, last_outcome: 'applied' }]);

  // An empty plan applies nothing and leaves the last applied plan as it was.
  const again = await w.dew('apply', '-auto-approve', '-no-color');
  t.equal(again.code, 0, again.err);
  t.equal(((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/shop/last-plan')).body as Any).last_plan.applied_at, kept.applied_at);

  const destroyed = await w.dew('destroy', '-auto-approve', '-no-color');
  t.equal(destroyed.code, 0, destroyed.err);
  const last = ((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/shop/last-plan')).body as Any).last_plan;
  t.match(last, { mode: 'destroy', summary: { add: 0, change: 0, destroy: 2 }, outcome: 'applied' });
  t.match(last.text, /will be destroyed/);
  t.notOk(JSON.stringify(last).includes(value));
});
