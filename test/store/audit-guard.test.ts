/** A guarded audit record commits exactly when its change does: real database, real batches. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../daemon/store/db.js';
import { AuditRepo } from '../../daemon/store/audit-repo.js';
import { GrantRepo, type GrantRow } from '../../daemon/store/grant-repo.js';
import { AuditLog, type AuditDraft } from '../../daemon/services/audit.js';
import { verifyTrail } from '../../daemon/services/audit-verify.js';

t.test('a change that happens carries its record; one that does not rolls back with it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dew-guard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const database = await openDatabase(`file:${join(dir, 'dew.db')}`);
  t.teardown(() => database.close());
  const repo = new AuditRepo(database.db, database.client);
  const audit = new AuditLog(repo, { now: () => 1_700_000_000_000, log: () => undefined });
  const grants = new GrantRepo(database.db, () => 1_700_000_000_000);
  const hookFor = (operation: string) => {
    const caller = {};
    const draft: AuditDraft = {
      at: 1_700_000_000_000, requestId: `req-${operation}`, domainId: 'dom', userId: 'u', accessKey: 'AK', sourceIp: '127.0.0.1',
      operation, resourceId: '', outcome: 'allowed', status: 0, errorCode: '', committed: false,
    };
    audit.bind(caller, draft);
    return { hook: audit.hookFor(caller), draft };
  };
  const records = async () => (await database.client.execute('SELECT operation, resource_id, request_id FROM audit_records ORDER BY seq')).rows.map((r) => `${r.operation} ${r.resource_id}`);
  const row: GrantRow = {
    grantId: 'g1', keyId: 'key-1', domainId: 'dom', projectId: 'p', granteePrincipal: 'u2', granteePrincipalType: 'user',
    operations: '["encrypt-data"]', issuingPrincipal: 'u', retiringPrincipal: null, name: null, creationDate: 1,
  };

  const created = hookFor('create-grant');
  t.equal(await grants.insert(row, 100, created.hook), true);
  t.equal(created.draft.committed, true, 'the request will not queue a second record');
  t.same(await records(), ['create-grant key-1'], 'written with the change');

  const overQuota = hookFor('create-grant');
  t.equal(await grants.insert({ ...row, grantId: 'g2' }, 1, overQuota.hook), false, 'over quota: no grant');
  t.equal(overQuota.draft.committed, false, 'and no record: the request records its refusal itself');
  const revokedTwice = hookFor('revoke-grant');
  t.equal(await grants.delete('missing', 'key-1', revokedTwice.hook), false, 'nothing to delete');
  t.same(await records(), ['create-grant key-1'], 'neither wrote a record');

  const revoked = hookFor('revoke-grant');
  t.equal(await grants.delete('g1', 'key-1', revoked.hook), true);
  t.same(await records(), ['create-grant key-1', 'revoke-grant key-1']);
  t.match(await verifyTrail(repo), { ok: true, chains: 1, records: 2 }, 'the chain has no gap where the rolled-back records were');
});
