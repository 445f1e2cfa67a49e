/** The DAG, cycle detection and the bounded-parallelism walk that skips dependents of failures. */
import t from 'tap';
import { Dag } from '../../provider/graph/dag.js';
import { walkDag, STOPPED } from '../../provider/graph/walk.js';
import { changeGraph, destroyNode, nodeAddress } from '../../provider/apply/apply-plan.js';
import type { ResourceChange } from '../../provider/plan/change.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('cycles are found with every member; acyclic parts are not', async (t) => {
  const g = new Dag();
  g.addEdge('a', 'b');
  g.addEdge('b', 'c');
  g.addEdge('c', 'a');
  g.addEdge('d', 'a');
  g.addEdge('e', 'e');
  t.same(g.cycles(), [['a', 'b', 'c'], ['e']]);
  const ok = new Dag();
  ok.addEdge('x', 'y');
  t.same(ok.cycles(), []);
});

t.test('topological order puts dependencies first, stable by name', async (t) => {
  const g = new Dag();
  g.addEdge('alias', 'key');
  g.addEdge('grant', 'key');
  g.addNode('other');
  g.addEdge('out', 'alias');
  t.same(g.topologicalOrder(), ['key', 'other', 'alias', 'grant', 'out']);
});

t.test('the walk never runs more than `parallelism` nodes at once', async (t) => {
  const g = new Dag();
  for (let i = 0; i < 25; i++) g.addNode(`n${i}`);
  let running = 0;
  let peak = 0;
  const res = await walkDag(g, async () => {
    running++;
    peak = Math.max(peak, running);
    await tick(5);
    running--;
  }, { parallelism: 4 });
  t.equal(peak, 4);
  t.equal([...res.values()].filter((o) => o.status === 'ok').length, 25);
  let peak10 = 0;
  running = 0;
  await walkDag(g, async () => {
    running++;
    peak10 = Math.max(peak10, running);
    await tick(2);
    running--;
  });
  t.equal(peak10, 10, 'default parallelism is 10');
});

t.test('a node runs only after its dependencies finished', async (t) => {
  const g = new Dag();
  g.addEdge('alias', 'key');
  g.addEdge('grant', 'key');
  const log: string[] = [];
  await walkDag(g, async (id) => {
    log.push(`start ${id}`);
    await tick(id === 'key' ? 10 : 1);
    log.push(`end ${id}`);
  });
  t.same(log.slice(0, 2), ['start key', 'end key']);
});

t.test('a failed node skips its dependents while independent nodes continue', async (t) => {
  const g = new Dag();
  g.addEdge('alias', 'key');
  g.addEdge('grant', 'alias');
  g.addNode('independent');
  const ran: string[] = [];
  const res = await walkDag(g, async (id) => {
    ran.push(id);
    if (id === 'key') throw new Error('boom');
    await tick(1);
  });
  t.same(ran.sort(), ['independent', 'key']);
  t.match(res.get('key'), { status: 'failed' });
  t.same(res.get('alias'), { status: 'skipped', because: 'key' });
  t.same(res.get('grant'), { status: 'skipped', because: 'key' });
  t.same(res.get('independent'), { status: 'ok' });
});

t.test('a stopped walk lets running nodes finish and starts nothing new', async (t) => {
  const g = new Dag();
  g.addEdge('alias', 'key');
  for (const n of ['a', 'b', 'c', 'd']) g.addNode(n);
  let stop = false;
  const ran: string[] = [];
  const res = await walkDag(
    g,
    async (id) => {
      ran.push(id);
      if (id === 'a') stop = true; // the interrupt arrives while a and b run
      await tick(5);
    },
    { parallelism: 2, stop: () => stop },
  );
  t.same(ran, ['a', 'b'], 'only what had started ran');
  t.same(res.get('a'), { status: 'ok' }, 'a running node finishes');
  t.same(res.get('b'), { status: 'ok' });
  for (const n of ['c', 'd', 'key']) t.same(res.get(n), { status: 'skipped', because: STOPPED }, `${n} never starts`);
  t.same(res.get('alias'), { status: 'skipped', because: STOPPED }, 'nor what depends on it');
  t.equal(res.size, 6, 'every node has an outcome');
});

t.test('apply graph: creates follow dependencies, deletes run in reverse', async (t) => {
  const change = (address: string, action: ResourceChange['change']['action'], dependencies: string[] = []): ResourceChange => ({
    address, resource: address, type: 'dew_kms_key', name: address.split('.')[1], dependencies,
    change: { action, before: null, after: null, afterUnknown: false, beforeSensitive: false, afterSensitive: false, replacePaths: [] },
  });
  const g = changeGraph([
    change('dew_kms_key.new', 'create'),
    change('dew_kms_alias.new', 'create', ['dew_kms_key.new']),
    change('dew_kms_key.old', 'delete'),
    change('dew_kms_grant.old', 'delete', ['dew_kms_key.old']),
    change('dew_kms_key.same', 'no-op'),
  ]);
  t.same(g.dependencies('dew_kms_alias.new'), ['dew_kms_key.new']);
  t.same(g.dependencies('dew_kms_key.old'), ['dew_kms_grant.old'], 'the key is deleted after the grant that depends on it');
  t.notOk(g.has('dew_kms_key.same'), 'no-ops are not walked');
});

t.test('apply graph: a replacement is a delete node ordered with the deletes and a create node after it (regression: a keystore replaced with its HSM instance)', async (t) => {
  const change = (address: string, action: ResourceChange['change']['action'], dependencies: string[] = []): ResourceChange => ({
    address, resource: address, type: 'dew_kms_key', name: address.split('.')[1], dependencies,
    change: { action, before: null, after: null, afterUnknown: false, beforeSensitive: false, afterSensitive: false, replacePaths: [] },
  });
  const g = changeGraph([change('dew_hsm_instance.i', 'delete-then-create'), change('dew_keystore.k', 'delete-then-create', ['dew_hsm_instance.i']), change('dew_kms_grant.g', 'delete', ['dew_keystore.k'])]);
  t.same(g.dependencies(destroyNode('dew_keystore.k')), ['dew_kms_grant.g'], 'the keystore goes after what depends on it');
  t.same(g.dependencies(destroyNode('dew_hsm_instance.i')), [destroyNode('dew_keystore.k')], 'the instance after the keystore');
  t.same(g.dependencies('dew_hsm_instance.i'), [destroyNode('dew_hsm_instance.i')], 'the new instance once the old one is gone');
  t.same([...g.dependencies('dew_keystore.k')].sort(), ['dew_hsm_instance.i', destroyNode('dew_keystore.k')]);
  t.equal(nodeAddress(destroyNode('dew_keystore.k["a b"]')), 'dew_keystore.k["a b"]');
});
