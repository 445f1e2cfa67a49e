/** Migration 0004: a trail stored one row per record (earlier versions) becomes segments with every hash intact. */
import t from 'tap';
import { openDatabase } from '../../daemon/store/db.js';
import { AuditRepo } from '../../daemon/store/audit-repo.js';
import { verifyTrail } from '../../daemon/services/audit-verify.js';
import { genesisHash, sha256Hex } from '../../daemon/audit/chain.js';
import { databaseBefore } from '../helpers/old-migrations.js';

t.test('records of the one-row layout migrate into one-record segments that verify', async (t) => {
  // The migrations as they were before 0004.
  const { url, client } = await databaseBefore(t, 4);

  // Two chains written the old way, with the chain formula of that version spelled out here.
  const chains = ['daemon-1-aa', 'cli-2-bb'];
  let n = 0;
  for (const chainId of chains) {
    let prev = genesisHash(chainId);
    for (let seq = 1; seq <= 3; seq++) {
      const f = [1_700_000_000_000 + n++, `req-${chainId}-${seq}`, 'dom-1', 'user-1', 'AK1', '127.0.0.1', 'encrypt-data', `key-${seq % 2}`, 'allowed', 200, ''] as const;
      const hash = sha256Hex(prev + '\n' + JSON.stringify([chainId, seq, ...f]));
      await client.execute({
        sql: `INSERT INTO audit_log (chain_id, chain_seq, at, request_id, domain_id, user_id, access_key, source_ip, operation, resource_id, outcome, status, error_code, prev_hash, hash)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [chainId, seq, ...f, prev, hash],
      });
      prev = hash;
    }
    await client.execute({ sql: 'INSERT INTO audit_chains (chain_id, head_seq, head_hash, started_at) VALUES (?, 3, ?, 0)', args: [chainId, prev] });
  }
  client.close();

  const database = await openDatabase(url);
  t.teardown(() => database.close());
  const repo = new AuditRepo(database.db, database.client);
  t.match(await verifyTrail(repo), { ok: true, chains: 2, records: 6 });
  const rows = await repo.list({ limit: 100 });
  t.same(rows.map((r) => r.requestId), ['req-daemon-1-aa-1', 'req-daemon-1-aa-2', 'req-daemon-1-aa-3', 'req-cli-2-bb-1', 'req-cli-2-bb-2', 'req-cli-2-bb-3'], 'in their stored order');
  t.same((await repo.usage('key-1')).map((u) => u.count), [4], 'the index counts them');
  const view = await database.client.execute('SELECT count(*) AS n FROM audit_records');
  t.equal(Number(view.rows[0].n), 6);
  await t.rejects(database.client.execute('SELECT * FROM audit_log'), /no such table/, 'the old table is gone');

  // New records chain on after migrated ones.
  const heads = await repo.loadHeads();
  const head = heads.find((h) => h.chainId === chains[0])!;
  await repo.appendEntries(head, [{ at: 1, requestId: 'new', domainId: 'dom-1', userId: 'u', accessKey: 'AK1', sourceIp: '::1', operation: 'gen-random', resourceId: '', outcome: 'allowed', status: 200, errorCode: '' }]);
  t.match(await verifyTrail(repo), { ok: true, records: 7 });
});
