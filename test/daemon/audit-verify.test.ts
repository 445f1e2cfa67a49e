/** `dew audit verify` on the database: 0 on an intact trail; 1 naming the first bad record when a row was altered, removed or reordered. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { sqlOn, type Any } from './scheduler-helpers.js';

const cli = join(process.cwd(), 'dist', 'provider', 'cli.js');

function dew(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('verify catches altered, removed and reordered records', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  // Two daemons in turn: two chains in one database.
  for (let round = 0; round < 2; round++) {
    const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off'], env: { DEW_MASTER_PASSPHRASE: 'verify' } });
    const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
    await kms('create-key', { key_alias: `v${round}` });
    for (let i = 0; i < 5; i++) await kms('encrypt-data', { key_id: `v${round}`, plain_text: `p${i}` });
    await apiError(kms('describe-key', { key_id: 'missing' }));
    await d.stop();
  }
  const verify = () => dew(['audit', 'verify', '--db', dbUrl]);
  let r = verify();
  t.equal(r.code, 0, r.err);
  t.match(JSON.parse(r.out), { ok: true, chains: 2, records: 14 });

  const rows = await sqlOn(dbUrl, 'SELECT * FROM audit_log ORDER BY seq');
  const victim = rows[3];

  await t.test('altered', async (t) => {
    await sqlOn(dbUrl, "UPDATE audit_log SET outcome = 'refused' WHERE seq = ?", [Number(victim.seq)]);
    r = verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: victim.chain_id, chain_seq: Number(victim.chain_seq), seq: Number(victim.seq), reason: /altered/ });
    t.match(r.err, new RegExp(`broken at record ${victim.chain_seq} of chain ${victim.chain_id}`));
    await sqlOn(dbUrl, 'UPDATE audit_log SET outcome = ? WHERE seq = ?', [String(victim.outcome), Number(victim.seq)]);
    t.equal(verify().code, 0, 'restored');
  });

  const cols = Object.keys(victim).filter((c) => !/^\d+$/.test(c));
  const reinsert = (row: Any) => sqlOn(dbUrl, `INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c] as string | number));

  await t.test('removed from the middle', async (t) => {
    await sqlOn(dbUrl, 'DELETE FROM audit_log WHERE seq = ?', [Number(victim.seq)]);
    r = verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: victim.chain_id, chain_seq: Number(victim.chain_seq) + 1, reason: /missing/ });
    await reinsert(victim);
    t.equal(verify().code, 0, 'restored');
  });

  await t.test('removed from the end of a chain', async (t) => {
    const last = rows.filter((x) => x.chain_id === victim.chain_id).at(-1)!;
    await sqlOn(dbUrl, 'DELETE FROM audit_log WHERE seq = ?', [Number(last.seq)]);
    r = verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: victim.chain_id, reason: /removed from its end/ });
    await reinsert(last);
    t.equal(verify().code, 0, 'restored');
  });

  await t.test('reordered', async (t) => {
    const [x, y] = [rows[4], rows[5]];
    await sqlOn(dbUrl, 'UPDATE audit_log SET chain_seq = -1 WHERE seq = ?', [Number(x.seq)]);
    await sqlOn(dbUrl, 'UPDATE audit_log SET chain_seq = ? WHERE seq = ?', [Number(x.chain_seq), Number(y.seq)]);
    await sqlOn(dbUrl, 'UPDATE audit_log SET chain_seq = ? WHERE seq = ?', [Number(y.chain_seq), Number(x.seq)]);
    r = verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: x.chain_id, chain_seq: Number(x.chain_seq), seq: Number(y.seq) });
    await sqlOn(dbUrl, 'UPDATE audit_log SET chain_seq = -1 WHERE seq = ?', [Number(x.seq)]);
    await sqlOn(dbUrl, 'UPDATE audit_log SET chain_seq = ? WHERE seq = ?', [Number(y.chain_seq), Number(y.seq)]);
    await sqlOn(dbUrl, 'UPDATE audit_log SET chain_seq = ? WHERE seq = ?', [Number(x.chain_seq), Number(x.seq)]);
    t.equal(verify().code, 0, 'restored');
    // Whole rows moved (content and position together), so only the storage order betrays them.
    const [p, q] = [rows[1], rows[2]];
    await sqlOn(dbUrl, 'DELETE FROM audit_log WHERE seq IN (?, ?)', [Number(p.seq), Number(q.seq)]);
    await reinsert({ ...q, seq: p.seq });
    await reinsert({ ...p, seq: q.seq });
    r = verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { reason: /out of order|does not follow/ });
  });
  t.equal(dew(['audit', 'verify', '--bogus']).code, 1, 'unknown flag');
});
