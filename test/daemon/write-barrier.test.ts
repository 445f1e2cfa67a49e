/**
 * The write barrier's two halves as pure units: a worker's barriers coalesce (one in flight, one
 * queued behind it for the writes that came meanwhile) and never hang on a silent primary; the
 * primary's rounds answer the writer once every other worker synced, at once when alone, on a
 * timeout, and when a worker exits.
 */
import t from 'tap';
import { WriteBarrier } from '../../daemon/cluster/write-barrier.js';
import { BarrierRounds } from '../../daemon/cluster/barrier-rounds.js';
import type { ChangedMessage } from '../../daemon/cluster/messages.js';

const tick = () => new Promise((r) => setImmediate(r));
// The barriers' timers are unref'd (they never hold a daemon open): this keeps the test's loop alive while they run.
const hold = setInterval(() => {}, 1000);
t.teardown(() => clearInterval(hold));

t.test('a worker: one barrier in flight, the writes meanwhile share the next one', async (t) => {
  const sent: ChangedMessage[] = [];
  const b = new WriteBarrier({ send: (m) => sent.push(m), timeoutMs: 60_000 });
  const done: string[] = [];
  const first = b.wait().then(() => done.push('first'));
  const second = b.wait().then(() => done.push('second'));
  const third = b.wait().then(() => done.push('third'));
  await tick();
  t.same(sent.map((m) => m.id), [1], 'one barrier asked for while the first is in flight');
  b.answered(1);
  await first;
  await tick();
  t.same(done, ['first'], 'the writes committed during the first wait for the next barrier');
  t.same(sent.map((m) => m.id), [1, 2], 'which is asked for once the first holds');
  b.answered(2);
  await Promise.all([second, third]);
  t.same(done, ['first', 'second', 'third']);
  t.doesNotThrow(() => {
    b.answered(2);
    b.answered(99);
  }, 'answers for barriers already done or unknown are ignored');
  const fourth = b.wait();
  await tick();
  t.same(sent.map((m) => m.id), [1, 2, 3], 'a write after all that asks afresh');
  b.answered(3);
  await fourth;
});

t.test('a worker: a primary that never answers delays a write by the timeout only; a closed channel not at all', async (t) => {
  const b = new WriteBarrier({ send: () => {}, timeoutMs: 20 });
  let settled = false;
  const p = b.wait().then(() => (settled = true));
  await tick();
  t.equal(settled, false, 'still waiting for the answer');
  await p;
  t.equal(settled, true, 'the timeout lets the write answer');
  const closed = new WriteBarrier({
    send: () => {
      throw new Error('channel closed');
    },
    timeoutMs: 60_000,
  });
  const outcome = await Promise.race([closed.wait().then(() => 'resolved'), new Promise((res) => setTimeout(() => res('still waiting'), 1000))]);
  t.equal(outcome, 'resolved', 'resolved at once, not after its 60 s timeout');
});

t.test('the primary: asks every other worker, answers the writer when all synced', async (t) => {
  const syncs: Array<[number, number]> = [];
  const dones: Array<[number, number]> = [];
  const r = new BarrierRounds({ sendSync: (w, id) => syncs.push([w, id]), sendDone: (w, id) => dones.push([w, id]), timeoutMs: 60_000 });
  r.changed(1, 7, [1, 2, 3]);
  t.same(syncs, [[2, 1], [3, 1]], 'the writer itself is not asked');
  t.same(dones, []);
  r.synced(2, 1);
  t.same(dones, [], 'one worker still to sync');
  r.synced(2, 1);
  t.same(dones, [], 'a repeated answer counts once');
  r.synced(3, 1);
  t.same(dones, [[1, 7]], "the writer gets its own barrier number back");
  t.equal(r.pending, 0);
  r.changed(4, 1, [4]);
  t.same(dones.at(-1), [4, 1], 'alone: answered at once');
});

t.test('the primary: a worker that exits leaves its rounds; a silent one is given up on after the timeout', async (t) => {
  const dones: Array<[number, number]> = [];
  const r = new BarrierRounds({ sendSync: () => {}, sendDone: (w, id) => dones.push([w, id]), timeoutMs: 20 });
  r.changed(1, 1, [1, 2, 3]);
  r.changed(2, 1, [1, 2, 3]);
  r.gone(2);
  t.same(dones, [], 'worker 1 still waits for 3');
  t.equal(r.pending, 1, "the round worker 2 asked for is dropped (nobody to answer)");
  r.synced(3, 1);
  t.same(dones, [[1, 1]]);
  r.changed(1, 2, [1, 3]);
  await new Promise((res) => setTimeout(res, 40));
  t.same(dones.at(-1), [1, 2], 'worker 3 never answered: the writer is answered on the timeout');
  t.equal(r.pending, 0);
  const throwing = new BarrierRounds({
    sendSync: () => {
      throw new Error('closed');
    },
    sendDone: (w, id) => dones.push([w, id]),
    timeoutMs: 60_000,
  });
  throwing.changed(5, 9, [5, 6]);
  t.same(dones.at(-1), [5, 9], 'a worker whose channel is closing counts as synced');
});
