/**
 * The cluster's one audit writer (daemon/cluster/audit-owner.ts) and its workers' links
 * (audit-link.ts), on a real database with real guarded batches; the IPC channel between them is
 * in memory here (JSON round trips, answers on a later turn, as node's IPC delivers them). The
 * executable's cluster is tested in workers.test.ts.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../daemon/store/db.js';
import { AuditRepo } from '../../daemon/store/audit-repo.js';
import { GrantRepo, type GrantRow } from '../../daemon/store/grant-repo.js';
import { AuditLog, type AuditDraft, type AuditEntry, type AuditStatements } from '../../daemon/services/audit.js';
import { sql } from 'drizzle-orm';
import { verifyTrail } from '../../daemon/services/audit-verify.js';
import { AuditOwner } from '../../daemon/cluster/audit-owner.js';
import { ClusterAuditLog, type AuditChannel } from '../../daemon/cluster/audit-link.js';
import type { PrimaryAuditMessage, WorkerAuditMessage } from '../../daemon/cluster/messages.js';

const NOW = 1_700_000_000_000;

async function setup(t: Test, writtenTimeoutMs = 30_000) {
  const dir = mkdtempSync(join(tmpdir(), 'dew-cluster-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, 'dew.db')}`;
  const primaryDb = await openDatabase(url);
  t.teardown(() => primaryDb.close());
  const warnings: string[] = [];
  const ownerLog = new AuditLog(new AuditRepo(primaryDb.db, primaryDb.client), { now: () => NOW, log: (l) => warnings.push(l), flushMs: 5 });
  ownerLog.start();
  const handlers = new Map<number, { received(m: PrimaryAuditMessage): void; disconnected(): void }>();
  const connected = new Map<number, boolean>();
  /** Messages the owner sent a worker, to hold back (a worker that stalls). */
  const held = new Map<number, (m: PrimaryAuditMessage) => boolean>();
  const owner = new AuditOwner({
    log: ownerLog,
    send: (id, m) => {
      if (!connected.get(id)) return false;
      const copy = JSON.parse(JSON.stringify(m)) as PrimaryAuditMessage;
      setImmediate(() => {
        if (held.get(id)?.(copy)) return;
        if (connected.get(id)) handlers.get(id)?.received(copy);
      });
      return true;
    },
    writtenTimeoutMs,
    warn: (l) => warnings.push(l),
  });
  t.teardown(() => owner.close());

  const workers: { db: Database; repo: AuditRepo; log: ClusterAuditLog; grants: GrantRepo; kill(): void }[] = [];
  const worker = async () => {
    const id = workers.length + 1;
    const db = await openDatabase(url, { migrate: false });
    t.teardown(() => db.close());
    const repo = new AuditRepo(db.db, db.client);
    connected.set(id, true);
    const channel: AuditChannel = {
      send: (m: WorkerAuditMessage, sent) => {
        if (!connected.get(id)) return false;
        const copy = JSON.parse(JSON.stringify(m)) as WorkerAuditMessage;
        setImmediate(() => {
          owner.received(id, copy);
          sent?.(true);
        });
        return true;
      },
      connected: () => connected.get(id) === true,
      serve: (h) => handlers.set(id, h),
    };
    const log = new ClusterAuditLog(channel, repo, { now: () => NOW, local: () => new AuditLog(repo, { now: () => NOW, log: () => undefined, writer: 'daemon' }), sendMs: 2 });
    log.start();
    const w = {
      db,
      repo,
      log,
      grants: new GrantRepo(db.db, () => NOW),
      kill: () => {
        connected.set(id, false);
        handlers.get(id)?.disconnected();
        owner.gone(id);
      },
    };
    workers.push(w);
    return w;
  };
  const records = async () => (await primaryDb.client.execute('SELECT chain_id, operation, resource_id FROM audit_records ORDER BY seq')).rows.map((r) => ({ chain: String(r.chain_id), what: `${r.operation} ${r.resource_id}` }));
  return { owner, ownerLog, worker, records, held, warnings, repo: new AuditRepo(primaryDb.db, primaryDb.client) };
}

function entry(operation: string, resourceId: string): AuditEntry {
  return { at: NOW, requestId: `req-${operation}-${resourceId}`, domainId: 'dom', userId: 'u', accessKey: 'AK', sourceIp: '127.0.0.1', operation, resourceId, outcome: 'allowed', status: 200, errorCode: '' };
}

function hookOf(log: ClusterAuditLog, operation: string) {
  const caller = {};
  const draft: AuditDraft = { ...entry(operation, ''), status: 0, committed: false };
  log.bind(caller, draft);
  return { hook: log.hookFor(caller), draft };
}

function grant(id: string): GrantRow {
  return { grantId: id, keyId: 'key-1', domainId: 'dom', projectId: 'p', granteePrincipal: 'u2', granteePrincipalType: 'user', operations: '["encrypt-data"]', issuingPrincipal: 'u', retiringPrincipal: null, name: null, creationDate: 1 };
}

t.test('two workers: data-path records and state changes, at once, go on one chain that verifies', async (t) => {
  const s = await setup(t);
  const [a, b] = [await s.worker(), await s.worker()];
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const w = i % 2 ? a : b;
    w.log.record(entry('encrypt-data', `k${i}`));
    if (i % 5 === 0) {
      const h = hookOf(w.log, 'create-grant');
      work.push(w.grants.insert(grant(`g${i}`), 100, h.hook).then((ok) => t.ok(ok && h.draft.committed, `grant g${i} created, its record committed with it`)));
    }
  }
  // A change that does not happen (the guard rolls its batch back) takes no chain position.
  const refused = hookOf(a.log, 'revoke-grant');
  work.push(a.grants.delete('missing', 'key-1', refused.hook).then((ok) => t.equal(ok, false, 'nothing to revoke')));
  await Promise.all(work);
  await a.log.flush();
  await b.log.flush();
  t.equal(refused.draft.committed, false, 'the refused change left its record to the request');
  const rows = await s.records();
  t.equal(new Set(rows.map((r) => r.chain)).size, 1, 'one chain');
  t.equal(rows[0].chain, s.ownerLog.chainId, 'the primary\'s');
  t.equal(rows.filter((r) => r.what.startsWith('encrypt-data')).length, 40, 'every data-path record');
  t.equal(rows.filter((r) => r.what === 'create-grant key-1').length, 8, 'every state change\'s record');
  t.equal(rows.filter((r) => r.what.startsWith('revoke-grant')).length, 0, 'none for the change that did not happen');
  t.match(await verifyTrail(s.repo), { ok: true, chains: 1, records: 48 }, 'the chain verifies, with no gap');
  await a.log.close();
  await b.log.close();
});

t.test('a worker killed between its placement and its answer: the stored head decides, and the chain goes on', async (t) => {
  const s = await setup(t);
  const [a, b] = [await s.worker(), await s.worker()];
  // Worker a gets its segment and commits, but dies before saying so.
  let killNext = false;
  const realSend = a.log['channel'].send;
  a.log['channel'].send = (m, sent) => {
    if (killNext && m.type === 'dew:audit-written') {
      a.kill();
      return false;
    }
    return realSend(m, sent);
  };
  killNext = true;
  const h = hookOf(a.log, 'create-grant');
  t.equal(await a.grants.insert(grant('g-a'), 100, h.hook), true, 'the change committed in worker a');
  // Worker b's next change waits for the placement a held, then follows it.
  const hb = hookOf(b.log, 'create-grant');
  t.equal(await b.grants.insert(grant('g-b'), 100, hb.hook), true, 'worker b\'s change commits after it');
  b.log.record(entry('encrypt-data', 'after'));
  await b.log.flush();
  t.same((await s.records()).map((r) => r.what), ['create-grant key-1', 'create-grant key-1', 'encrypt-data after']);
  t.match(await verifyTrail(s.repo), { ok: true, chains: 1, records: 3 });
  await b.log.close();
});

t.test('a worker that answers after the primary gave up on it: its late commit is adopted, the primary\'s next append follows it', async (t) => {
  const s = await setup(t, 50);
  const a = await s.worker();
  let release: () => void = () => {};
  const late = new Promise<void>((r) => (release = r));
  // The segment reaches worker a only after the primary's 50 ms wait is over.
  s.held.set(1, (m) => {
    if (m.type !== 'dew:audit-segment') return false;
    setTimeout(() => {
      s.held.delete(1);
      a.log['received'](m);
      release();
    }, 150);
    return true;
  });
  const h = hookOf(a.log, 'create-grant');
  const inserted = a.grants.insert(grant('g-late'), 100, h.hook);
  await late;
  t.equal(await inserted, true, 'the late change committed');
  a.log.record(entry('encrypt-data', 'next'));
  await a.log.flush();
  t.same((await s.records()).map((r) => r.what), ['create-grant key-1', 'encrypt-data next'], 'both records, in order');
  t.match(await verifyTrail(s.repo), { ok: true, chains: 1, records: 2 }, 'the chain verifies');
  t.ok(s.warnings.some((l) => /did not say whether it committed/.test(l)), 'the primary logged that it gave up waiting');
  await a.log.close();
});

t.test('the primary gone: what the worker still has goes on a chain of its own, nothing is lost', async (t) => {
  const s = await setup(t);
  const a = await s.worker();
  a.log.record(entry('encrypt-data', 'before'));
  await a.log.flush();
  a.kill();
  a.log.record(entry('encrypt-data', 'after'));
  const h = hookOf(a.log, 'create-grant');
  t.equal(await a.grants.insert(grant('g-own'), 100, h.hook), true, 'a change still commits, with its record');
  await a.log.close();
  const rows = await s.records();
  t.same(rows.map((r) => r.what), ['encrypt-data before', 'encrypt-data after', 'create-grant key-1']);
  t.equal(new Set(rows.map((r) => r.chain)).size, 2, 'the primary\'s chain and the worker\'s own');
  t.match(await verifyTrail(s.repo), { ok: true, chains: 2, records: 3 });
});

t.test('a change whose commit an error hid (a lost connection) is not recorded a second time: in a worker and in one process', async (t) => {
  const s = await setup(t);
  const a = await s.worker();
  await a.db.client.execute('CREATE TABLE scratch (x INTEGER)');
  const hidden = (db: Database) => async (stmts: AuditStatements) => {
    await db.db.batch([db.db.run(sql`INSERT INTO scratch VALUES (1)`), ...stmts] as unknown as Parameters<Database['db']['batch']>[0]);
    throw new Error('the connection was lost after the commit');
  };
  const viaWorker = hookOf(a.log, 'create-key');
  await t.rejects(viaWorker.hook!('key-w', hidden(a.db)), /connection was lost/);
  t.equal(viaWorker.draft.committed, true, 'the worker found its record stored: the request will not record a failure too');

  const own = new AuditLog(a.repo, { now: () => NOW, log: () => undefined });
  const caller = {};
  const draft: AuditDraft = { ...entry('create-key', ''), status: 0, committed: false };
  own.bind(caller, draft);
  await t.rejects(own.hookFor(caller)!('key-p', hidden(a.db)), /connection was lost/);
  t.equal(draft.committed, true, 'one process: the stored head said it committed');

  await a.log.flush();
  await own.close();
  t.same((await s.records()).map((r) => r.what).sort(), ['create-key key-p', 'create-key key-w'], 'each change has its one record');
  t.match(await verifyTrail(s.repo), { ok: true, chains: 2, records: 2 });
  await a.log.close();
});
