/** Saved plans (-out, apply FILE, staleness by serial and by object revision) and the stack lock (concurrent apply, force-unlock) against a real daemon. */
import t from 'tap';
import { join } from 'node:path';
import { HttpStackStore } from '../../provider/state/http-stack-store.js';
import type { DewApi } from '../../provider/resources/api.js';
import { describe, world } from './harness.js';

const CFG = 'dew {\n  stack = "saved"\n}\n\nresource "dew_kms_key" "a" {\n  key_alias = "saved-a"\n}\n\nresource "dew_kms_key" "b" {\n  key_alias = "saved-b"\n}\n';

t.test('plan -out then apply FILE applies exactly what was planned, and refuses a stale plan', async (t) => {
  const w = await world(t);
  w.write({ 'main.hcl': CFG });
  const planFile = join(w.dir, '..', 'first.plan');
  const p = await w.dew('plan', '-out', planFile);
  t.equal(p.code, 0, p.err);
  t.match(p.out, /Saved the plan to: /);
  // the configuration changes after the plan: apply FILE still applies exactly the reviewed plan
  w.write({ 'main.hcl': CFG.replace('saved-b', 'saved-b2') });
  const a = await w.dew('apply', planFile);
  t.equal(a.code, 0, a.err);
  t.match(a.out, /Apply complete! Resources: 2 added/);
  const ids = JSON.parse((await w.dew('show', '-json')).out).resources.map((r: { object_id: string }) => r.object_id) as string[];
  t.same((await Promise.all(ids.map((id) => describe(w, id)))).map((k) => k.key_alias).sort(), ['saved-a', 'saved-b']);

  // the stack serial moved since the plan (an apply happened): stale
  const second = join(w.dir, '..', 'second.plan');
  t.equal((await w.dew('plan', '-out', second)).code, 0);
  t.equal((await w.dew('apply', '-auto-approve')).code, 0, 'someone else applied b → b2');
  const stale = await w.dew('apply', second);
  t.equal(stale.code, 1);
  t.match(stale.err, /Saved plan is stale/);
  t.match(stale.err, /serial \d+ → \d+/);

  // an object the plan read changed in the daemon outside dew (revision moved, serial did not): stale
  w.write({ 'main.hcl': CFG.replace('saved-b', 'saved-b3') });
  const third = join(w.dir, '..', 'third.plan');
  t.equal((await w.dew('plan', '-out', third)).code, 0);
  await w.kms('update-key-description', { key_id: ids[0], key_description: 'touched' });
  const moved = await w.dew('apply', third);
  t.equal(moved.code, 1);
  t.match(moved.err, /Saved plan is stale/);
  t.match(moved.err, /These objects changed in the daemon after the plan was created: dew_kms_key\.a/);
  t.equal((await w.dew('show', third)).code, 0, 'show FILE still renders it');
  const fresh = join(w.dir, '..', 'fresh.plan');
  t.equal((await w.dew('plan', '-out', fresh)).code, 0);
  t.equal((await w.dew('apply', fresh)).code, 0, 'a fresh plan applies');
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);
});

t.test('a second concurrent apply fails at once naming the holder; force-unlock releases a stuck lock', async (t) => {
  const w = await world(t);
  w.write({ 'main.hcl': CFG });
  // someone else holds the lock (a running apply)
  const store = new HttpStackStore(w.td.client as unknown as DewApi);
  const held = await store.lock('saved', 'alice@build-7', 'apply');
  // The lock stays held until force-unlock below, so an apply that waited for it would never return
  // (the test's timeout would fail it); how fast the refusal comes, against `dew plan` of the same
  // configuration, is a row of `npm run bench` (bench/speed.mjs).
  const second = await w.dew('apply', '-auto-approve');
  t.equal(second.code, 1);
  t.match(second.err, /Error acquiring the state lock: stack "saved" is locked/);
  t.match(second.err, /Who: +alice@build-7/);
  t.match(second.err, /Operation: apply/);
  t.match(second.err, new RegExp(`Created: +${held.created_at.slice(0, 16)}`));
  t.match(second.err, new RegExp(`dew force-unlock ${held.id}`));
  t.equal((await w.dew('state', 'list')).out, '', 'nothing applied');

  const wrong = await w.dew('force-unlock', '-force', 'not-the-id');
  t.equal(wrong.code, 1);
  t.match(wrong.err, /does not match the lock/);
  const u = await w.dew('force-unlock', '-force', held.id);
  t.equal(u.code, 0, u.err);
  t.match(u.out, /successfully unlocked/);
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);

  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);
});

t.test('two applies racing for the lock: exactly one wins, the other is refused with the lock error', async (t) => {
  // Both applies start together and stop at their approval prompt, which only the lock holder
  // reaches (the lock is taken before the plan is shown). The prompt answers once the other apply
  // has finished, or once both have prompted (the lock let both in: the bug this test catches).
  let prompted = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const w = await world(t, {
    prompt: async () => {
      if (++prompted === 2) release();
      await gate;
      return 'yes';
    },
  });
  w.write({ 'main.hcl': CFG });
  const [r1, r2] = await Promise.all([w.dew('apply'), w.dew('apply')].map((p) => p.finally(release)));
  t.same([r1.code, r2.code].sort(), [0, 1], 'one apply succeeds and one fails');
  t.equal(prompted, 1, 'only the lock holder reached the approval prompt');
  const [winner, loser] = r1.code === 0 ? [r1, r2] : [r2, r1];
  t.match(winner.out, /Apply complete! Resources: 2 added/);
  t.match(loser.err, /Error acquiring the state lock: stack "saved" is locked/);
  t.match(loser.err, /Operation: apply/);
  t.equal((await w.dew('state', 'list')).out.trim().split('\n').length, 2, 'the winner applied both keys once');
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);
});
