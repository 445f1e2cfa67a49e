/**
 * `dew audit verify` on the database: 0 on an intact trail; 1 naming the first bad record when records or
 * segments were altered, removed or reordered, or an index no longer matches. The executable runs the
 * intact trail, the first tampering and a bad flag; the other cases run the same command in this process.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { sqlOn, type Any } from './scheduler-helpers.js';
import { auditCommand } from '../../provider/commands/audit.js';
import type { DaemonEntry } from '../../provider/commands/context.js';
import { runDaemon } from '../../daemon/main.js';
import { runAuditVerify, runDueJobs } from '../../daemon/offline.js';

const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

/** `dew ARGS…` as a real process. */
function dew(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The daemon side as bin/dew.ts wires it. */
const daemon: DaemonEntry = {
  runDaemon,
  runDueJobs,
  runAuditVerify,
  keyFormats: async () => import('../../daemon/kps/key-formats.js'),
  executable: cli,
};

/**
 * `dew audit ARGS…` in this process: the command the executable runs, with its output captured, for
 * the tampering cases after the first (each would otherwise pay a process start and a database open).
 */
async function dewHere(args: string[]) {
  let out = '';
  let err = '';
  const code = await auditCommand({ argv: args, cwd: process.cwd(), env: {}, stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (err += s) }, now: Date.now, daemon });
  return { code, out, err };
}

t.test('verify catches altered, removed and reordered records', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  // Two daemons in turn: two chains in one database.
  for (let round = 0; round < 2; round++) {
    // Queued records are written only when a state change or the shutdown comes (not by the
    // timer), so the segments are: create-key | 20 encrypts and a refusal | disable-key.
    const d = await startTestDaemon(t, { dbUrl, args: ['--schedule', 'off', '--audit-flush', '10000'], env: { DEW_MASTER_PASSPHRASE: 'verify' } });
    const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
    await kms('create-key', { key_alias: `v${round}` });
    await Promise.all(Array.from({ length: 20 }, (_, i) => kms('encrypt-data', { key_id: `v${round}`, plain_text: `p${i}` })));
    await apiError(kms('describe-key', { key_id: 'missing' }));
    await kms('disable-key', { key_id: `v${round}` });
    await d.stop();
  }
  let r = dew(['audit', 'verify', '--db', dbUrl]);
  t.equal(r.code, 0, r.err);
  t.match(JSON.parse(r.out), { ok: true, chains: 2, records: 46 });
  const verify = () => dewHere(['verify', '--db', dbUrl]);
  t.same(await verify(), r, 'in this process: the same answer');

  const segments = await sqlOn(dbUrl, 'SELECT * FROM audit_segments ORDER BY seq');
  const records = await sqlOn(dbUrl, 'SELECT * FROM audit_records ORDER BY seq');
  t.equal(records.length, 46, 'the audit_records view shows one row per record');
  t.same(segments.map((s) => Number(s.last_seq) - Number(s.first_seq) + 1), [1, 21, 1, 1, 21, 1], 'records share segments');
  // The middle segment of the first chain, and a record in its middle.
  const chain1 = segments.filter((s) => s.chain_id === segments[0].chain_id);
  const big = chain1[1];
  const bigSeq = Number(big.seq);
  const k = 1;
  const victim = records.find((x) => x.chain_id === big.chain_id && Number(x.chain_seq) === Number(big.first_seq) + k)!;
  const setRecords = (text: string) => sqlOn(dbUrl, 'UPDATE audit_segments SET records = ? WHERE seq = ?', [text, bigSeq]);
  const restore = async (t: { equal: (found: unknown, wanted: unknown, message: string) => unknown }) => {
    await setRecords(String(big.records));
    t.equal((await verify()).code, 0, 'restored');
  };
  const cols = Object.keys(big).filter((c) => !/^\d+$/.test(c));
  const reinsert = (row: Any) => sqlOn(dbUrl, `INSERT INTO audit_segments (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c] as string | number));

  await t.test('altered', async (t) => {
    await sqlOn(dbUrl, `UPDATE audit_segments SET records = json_replace(records, '$[${k}][8]', 'refused') WHERE seq = ?`, [bigSeq]);
    r = dew(['audit', 'verify', '--db', dbUrl]);
    t.equal(r.code, 1);
    t.same(await verify(), r, 'in this process: the same answer');
    t.match(JSON.parse(r.out).first_bad, { chain_id: victim.chain_id, chain_seq: Number(victim.chain_seq), seq: Number(victim.seq), request_id: victim.request_id, reason: /altered/ });
    t.match(r.err, new RegExp(`broken at record ${victim.chain_seq} of chain ${victim.chain_id}`));
    await restore(t);
  });

  await t.test('a record removed from the middle of a segment', async (t) => {
    await sqlOn(dbUrl, `UPDATE audit_segments SET records = json_remove(records, '$[${k}]') WHERE seq = ?`, [bigSeq]);
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: victim.chain_id, chain_seq: Number(victim.chain_seq), reason: /removed/ });
    await restore(t);
  });

  await t.test('a whole segment removed from the middle of a chain', async (t) => {
    await sqlOn(dbUrl, 'DELETE FROM audit_segments WHERE seq = ?', [bigSeq]);
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: big.chain_id, chain_seq: Number(big.first_seq), reason: /missing/ });
    await reinsert(big);
    t.equal((await verify()).code, 0, 'restored');
  });

  await t.test('removed from the end of a chain', async (t) => {
    const last = chain1.at(-1)!;
    await sqlOn(dbUrl, 'DELETE FROM audit_segments WHERE seq = ?', [Number(last.seq)]);
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: last.chain_id, chain_seq: Number(last.first_seq), reason: /removed from its end/ });
    await reinsert(last);
    t.equal((await verify()).code, 0, 'restored');
  });

  await t.test('reordered', async (t) => {
    const stored = JSON.parse(String(big.records)) as unknown[];
    [stored[k], stored[k + 1]] = [stored[k + 1], stored[k]];
    await setRecords(JSON.stringify(stored));
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: victim.chain_id, chain_seq: Number(victim.chain_seq), reason: /does not follow|altered/ });
    await restore(t);
    // Whole segments moved (content and position together), so only the storage order betrays them.
    const [p, q] = [chain1[0], chain1[1]];
    await sqlOn(dbUrl, 'DELETE FROM audit_segments WHERE seq IN (?, ?)', [Number(p.seq), Number(q.seq)]);
    await reinsert({ ...q, seq: p.seq });
    await reinsert({ ...p, seq: q.seq });
    const swapIndex = () => sqlOn(dbUrl, 'UPDATE audit_index SET segment = CASE segment WHEN ? THEN ? ELSE ? END WHERE segment IN (?, ?)', [Number(p.seq), Number(q.seq), Number(p.seq), Number(p.seq), Number(q.seq)]);
    await swapIndex();
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { reason: /out of order/ });
    await sqlOn(dbUrl, 'DELETE FROM audit_segments WHERE seq IN (?, ?)', [Number(p.seq), Number(q.seq)]);
    await reinsert(p);
    await reinsert(q);
    await swapIndex();
    t.equal((await verify()).code, 0, 'restored');
  });

  await t.test("records hidden from listings by the segment's index or time range", async (t) => {
    const [ix] = await sqlOn(dbUrl, 'SELECT rowid AS id, * FROM audit_index WHERE segment = ? ORDER BY count DESC', [bigSeq]);
    await sqlOn(dbUrl, 'UPDATE audit_index SET resource_id = ? WHERE rowid = ?', ['someone-else', Number(ix.id)]);
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: big.chain_id, chain_seq: Number(big.first_seq), reason: /index/ });
    await sqlOn(dbUrl, 'UPDATE audit_index SET resource_id = ? WHERE rowid = ?', [String(ix.resource_id), Number(ix.id)]);
    t.equal((await verify()).code, 0, 'restored');
    await sqlOn(dbUrl, 'UPDATE audit_segments SET max_at = 0 WHERE seq = ?', [bigSeq]);
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: big.chain_id, reason: /time range/ });
    await sqlOn(dbUrl, 'UPDATE audit_segments SET max_at = ? WHERE seq = ?', [Number(big.max_at), bigSeq]);
    t.equal((await verify()).code, 0, 'restored');
  });

  await t.test('records that are not records', async (t) => {
    await setRecords('not json');
    r = await verify();
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out).first_bad, { chain_id: big.chain_id, chain_seq: Number(big.first_seq), reason: /not a JSON list/ });
    await restore(t);
    await sqlOn(dbUrl, `UPDATE audit_segments SET records = json_replace(records, '$[${k}]', json_array(1, 2)) WHERE seq = ?`, [bigSeq]);
    t.match(JSON.parse((await verify()).out).first_bad, { chain_seq: Number(victim.chain_seq), reason: /not a well-formed record/ });
    await restore(t);
  });
  t.equal(dew(['audit', 'verify', '--bogus']).code, 1, 'unknown flag');
});
