/** The sealed-time journal (daemon/seal/seal-journal.ts): bounded, drained once, overflow counted. */
import t from 'tap';
import { SealJournal, sealEventRecord } from '../../daemon/seal/seal-journal.js';

const event = (i: number) => ({ at: i, requestId: `r${i}`, sourceIp: '10.0.0.1', operation: 'unseal', outcome: 'refused' as const, status: 400, errorCode: 'DEW.1002' });

t.test('keeps at most its bound, says how many it dropped, and drains once', async (t) => {
  const j = new SealJournal(3);
  for (let i = 0; i < 10; i++) j.add(event(i));
  const out = j.drain(99);
  t.same(out.map((e) => e.requestId), ['r0', 'r1', 'r2', '']);
  t.match(out[3], { operation: 'seal-events-dropped', outcome: 'failed', errorCode: 'dropped:7', at: 99 });
  t.same(j.drain(100), [], 'drained: nothing twice');
  j.add(event(11));
  t.same(j.drain(101).map((e) => e.requestId), ['r11'], 'the count starts again');
});

t.test('a record is the operator account\u2019s, on the master key', async (t) => {
  t.same(sealEventRecord(event(1), 'd0'), { ...event(1), domainId: 'd0', userId: '', accessKey: '', resourceId: 'master-key' });
});
