/**
 * `rekey` through a real daemon (in process, real libSQL file): a database made in today's dev
 * mode moves to passphrase, to shamir (the new shares given back before the commit), to dev again;
 * at each step, and after a restart in the new mode, an old ciphertext decrypts, the admin's and a
 * user's AK/SK still sign, a bearer token minted before still works, and only the partition roots
 * changed in the database (key material rows byte-identical). A --seal that contradicts the
 * database stops the start; a dev rekey killed between commit and rename is finished at start.
 */
import t from 'tap';
import { existsSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { startSealDaemon, tempDir, type SealedDaemon } from './seal-helpers.js';
import { expectCode } from '../helpers/daemon.js';
import { hsmApi, HSMS, KS } from '../hsm-instances/hsm-api.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { startDaemon } from '../../daemon/main.js';
import { parseDaemonArgs } from '../../daemon/config.js';
import { generateMasterKey, keyCheckValue } from '../../daemon/hsm/master-key.js';

const PASS = 'correct horse battery staple';

async function dbRows(dataDir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = createClient({ url: `file:${join(dataDir, 'dew.db')}` });
  try {
    return (await db.execute(sql)).rows.map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

const material = (dataDir: string) => dbRows(dataDir, 'SELECT key_id, version, hex(material_wrapped) AS m FROM key_versions ORDER BY key_id, version');
const roots = (dataDir: string) => dbRows(dataDir, 'SELECT partition_id, hex(root_wrapped) AS r FROM partitions ORDER BY partition_id');
const meta = async (dataDir: string) => Object.fromEntries((await dbRows(dataDir, "SELECT name, value FROM meta WHERE name LIKE 'master_key%' OR name = 'derived_base_sealed'")).map((r) => [r.name, r.value]));

t.test('dev → passphrase → shamir → dev, every old secret still works', async (t) => {
  const outer = t;
  const dataDir = tempDir(t);
  let d: SealedDaemon = await startSealDaemon(t, dataDir);
  const admin = d.client();
  const creds = d.daemon.credentials;
  const key = ((await admin.kms('create-key', { key_alias: 'app' })) as any).key_info.key_id;
  const ct = ((await admin.kms('encrypt-data', { key_id: key, plain_text: 'before every rekey' })) as any).cipher_text;
  const user = (await admin.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'app-user', roles: ['KMS CMKFullAccess'] })).body as any;
  const token = (await admin.request('POST', '/v3/auth/tokens', {})).headers['x-subject-token'];
  t.ok(existsSync(join(dataDir, 'master.key')), 'a dev key file');
  t.same(await meta(dataDir), { master_key_check: (await meta(dataDir)).master_key_check }, 'a database of today: no mode record');
  const materialBefore = await material(dataDir);
  let rootsBefore = await roots(dataDir);

  /** Everything made before the rekeys, checked through `dd`. */
  const stillWorks = async (t: any, dd: SealedDaemon, why: string) => {
    const c = new DewClient({ endpoint: dd.daemon.url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key });
    t.equal(((await c.kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'before every rekey', `${why}: an old ciphertext decrypts`);
    const u = new DewClient({ endpoint: dd.daemon.url, projectId: user.project_id, accessKey: user.access_key, secretKey: user.secret_key });
    t.ok(((await u.kms('list-keys', {})) as any).keys.includes(key), `${why}: a user's AK/SK (its secret sealed under the derived base) still signs`);
    const tk = new DewClient({ endpoint: dd.daemon.url, projectId: creds.project_id, token });
    t.ok(await tk.kms('describe-key', { key_id: key }), `${why}: a bearer token minted before still works`);
    t.same(await material(dataDir), materialBefore, `${why}: no key material row changed`);
  };

  await t.test('to passphrase', async (t) => {
    await expectCode(t, admin.request('POST', '/v1/sys/rekey', { to: 'passphrase', passphrase: 'short' }), 400, 'DEW.1001', 'a short passphrase', /at least 8/);
    await expectCode(t, admin.request('POST', '/v1/sys/rekey', { to: 'cloud' }), 400, 'DEW.1001', 'an unknown mode');
    t.same(await roots(dataDir), rootsBefore, 'a refused rekey changes nothing');
    const r = (await admin.request('POST', '/v1/sys/rekey', { to: 'passphrase', passphrase: PASS })).body;
    t.same(r, { mode: 'passphrase', complete: true });
    t.notSame(await roots(dataDir), rootsBefore, 'the roots are re-sealed');
    rootsBefore = await roots(dataDir);
    const m = await meta(dataDir);
    t.equal(m.master_key_mode, 'passphrase');
    t.ok(m.master_key_sealed && m.derived_base_sealed);
    t.notOk(existsSync(join(dataDir, 'master.key')), 'the old dev key file is gone (it is the derived base now, kept sealed)');
    await stillWorks(t, d, 'live');
    t.match((await d.call('GET', '/v1/sys/seal-status')).body, { mode: 'passphrase', sealed: false });
    await d.stop();
    await t.rejects(startSealDaemon(t, dataDir), /sealed by a passphrase: set DEW_MASTER_PASSPHRASE/, 'a start without the passphrase stops');
    await t.rejects(startSealDaemon(t, dataDir, [], { DEW_MASTER_PASSPHRASE: 'wrong passphrase' }), /wrong passphrase/);
    await t.rejects(startSealDaemon(t, dataDir, ['--seal', 'shamir'], { DEW_MASTER_PASSPHRASE: PASS }), /--seal shamir: this database's master key is in passphrase mode; .*dew operator rekey --to shamir/, 'a contradicting --seal stops the start');
    d = await startSealDaemon(outer, dataDir, [], { DEW_MASTER_PASSPHRASE: PASS });
    t.match(d.logs.join('\n'), /master key sealed by passphrase/);
    await stillWorks(t, d, 'after a restart');
  });

  let shares: string[] = [];
  await t.test('to shamir: nothing changes until K new shares come back', async (t) => {
    const c = d.client();
    await expectCode(t, c.request('POST', '/v1/sys/rekey', { to: 'shamir', shares: 3, threshold: 1 }), 400, 'DEW.1001', 'K = 1', /threshold: at least 2/);
    const start = (await c.request('POST', '/v1/sys/rekey', { to: 'shamir', shares: 3, threshold: 2 })).body as any;
    t.match(start, { mode: 'shamir', complete: false, threshold: 2, verification_required: true });
    shares = start.shares;
    t.equal(shares.length, 3);
    t.match((await c.request('GET', '/v1/sys/rekey')).body, { pending: true, threshold: 2, shares: 3, progress: 0 });
    t.equal((await meta(dataDir)).master_key_mode, 'passphrase', 'not committed yet');
    await expectCode(t, c.request('POST', '/v1/sys/rekey/verify', { nonce: 'nope', share: shares[0] }), 404, 'DEW.1009', 'a wrong nonce');
    t.match((await c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: shares[2] })).body, { complete: false, progress: 1 });
    await expectCode(t, c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: shares[2] }), 400, 'DEW.1003', 'the same share twice');
    const done = (await c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: shares[0] })).body;
    t.same(done, { mode: 'shamir', complete: true, threshold: 2, shares: 3 });
    t.match((await c.request('GET', '/v1/sys/rekey')).body, { pending: false });
    const m = await meta(dataDir);
    t.equal(m.master_key_mode, 'shamir');
    t.notOk(m.master_key_sealed, 'the passphrase blob is gone');
    t.match((await d.call('GET', '/v1/sys/seal-status')).body, { mode: 'shamir', sealed: false, threshold: 2, shares: 3 });
    await stillWorks(t, d, 'live');
    // A seal now needs the new shares.
    await c.request('POST', '/v1/sys/seal', {});
    // The seal finishes once in-flight requests drain: wait for it however long a loaded machine takes (tap's timeout bounds a hang).
    while ((await d.call('GET', '/v1/sys/seal-status')).body.state !== 'sealed') await new Promise((r) => setTimeout(r, 20));
    await d.call('POST', '/v1/sys/unseal', { share: shares[1] });
    t.match((await d.call('POST', '/v1/sys/unseal', { share: shares[2] })).body, { sealed: false });
    await d.stop();
    d = await startSealDaemon(outer, dataDir, [], { DEW_MASTER_PASSPHRASE: PASS });
    t.match((await d.call('GET', '/v1/sys/seal-status')).body, { mode: 'shamir', sealed: true }, 'a restart is sealed');
    await d.call('POST', '/v1/sys/unseal', { share: shares[0] });
    await d.call('POST', '/v1/sys/unseal', { share: shares[1] });
    await stillWorks(t, d, 'after a restart and an unseal');
  });

  await t.test('a pending shamir rekey: a wrong share resets it, cancel drops it', async (t) => {
    const c = d.client();
    const start = (await c.request('POST', '/v1/sys/rekey', { to: 'shamir', shares: 2, threshold: 2 })).body as any;
    await c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: start.shares[0] });
    await expectCode(t, c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: shares[1] }), 400, 'DEW.1004', 'an old share is of another split');
    t.match((await c.request('DELETE', '/v1/sys/rekey')).body, { pending: false });
    await expectCode(t, c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: start.shares[1] }), 404, 'DEW.1009', 'cancelled');
    t.equal((await meta(dataDir)).master_key_shares, JSON.stringify(JSON.parse((await meta(dataDir)).master_key_shares as string)), 'unchanged');
  });

  await t.test('to dev', async (t) => {
    const c = d.client();
    t.same((await c.request('POST', '/v1/sys/rekey', { to: 'dev' })).body, { mode: 'dev', complete: true });
    t.ok(existsSync(join(dataDir, 'master.key')), 'a new key file');
    t.notOk(existsSync(join(dataDir, 'master.key.next')), 'renamed into place');
    t.equal(readFileSync(join(dataDir, 'master.key'), 'utf8').trim().length, 64);
    const m = await meta(dataDir);
    t.equal(m.master_key_mode, 'dev');
    t.notOk(m.master_key_shares, 'the share scheme is gone');
    await d.stop();
    d = await startSealDaemon(outer, dataDir, [], { DEW_MASTER_PASSPHRASE: PASS });
    t.match(d.logs.join('\n'), /master key from data dir \(dev mode\)/, 'a recorded dev mode ignores a passphrase in the environment');
    await stillWorks(t, d, 'after a restart in dev mode');
    t.same((await meta(dataDir)).master_key_sealed, undefined, 'and does not adopt it');
  });
});

t.test('a dev rekey killed between its commit and the rename: the start finishes it', async (t) => {
  const dataDir = tempDir(t);
  let d = await startSealDaemon(t, dataDir);
  const c = d.client();
  const ct = ((await c.kms('encrypt-data', { key_id: ((await c.kms('create-key', { key_alias: 'k' })) as any).key_info.key_id, plain_text: 'x' })) as any).cipher_text;
  const oldKey = readFileSync(join(dataDir, 'master.key'));
  await c.request('POST', '/v1/sys/rekey', { to: 'dev' });
  await d.stop();
  // Put the state of a kill after the commit back: the old file in place, the new one beside it.
  copyFileSync(join(dataDir, 'master.key'), join(dataDir, 'master.key.next'));
  writeFileSync(join(dataDir, 'master.key'), oldKey, { mode: 0o600 });
  d = await startSealDaemon(t, dataDir);
  t.notOk(existsSync(join(dataDir, 'master.key.next')), 'the new key file is renamed into place');
  t.equal(((await d.client().kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'x');
  await d.stop();
  // And a kill before the commit: a stray new key file that the database never took is removed.
  writeFileSync(join(dataDir, 'master.key.next'), generateMasterKey().toString('hex') + '\n', { mode: 0o600 });
  d = await startSealDaemon(t, dataDir);
  t.notOk(existsSync(join(dataDir, 'master.key.next')), 'a stale next key is removed');
  t.equal(((await d.client().kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'x');
});

t.test('a rekey that races another change commits nothing', async (t) => {
  const dataDir = tempDir(t);
  const d = await startSealDaemon(t, dataDir);
  const before = await meta(dataDir);
  const rootsBefore = await roots(dataDir);
  // Another daemon's partition appears between the read of the roots and the commit.
  const { MasterKeyRepo } = await import('../../daemon/store/master-key-repo.js');
  const db = createClient({ url: `file:${join(dataDir, 'dew.db')}` });
  t.teardown(() => db.close());
  const repo = new MasterKeyRepo(db);
  const read = await repo.loadRoots();
  await db.execute({ sql: 'INSERT INTO partitions (partition_id, root_wrapped, created_at) VALUES (?, ?, ?)', args: ['late', Buffer.alloc(60), Date.now()] });
  await t.rejects(
    repo.switchMaster({ fromCheck: before.master_key_check as string, toCheck: keyCheckValue(generateMasterKey()), mode: 'dev', derivedBaseSealed: Buffer.alloc(60), roots: read }),
    { name: 'RekeyConflictError' },
  );
  t.same(await meta(dataDir), before, 'the meta unchanged');
  t.same((await roots(dataDir)).filter((r) => r.partition_id !== 'late'), rootsBefore, 'the roots unchanged');
  await db.execute("DELETE FROM partitions WHERE partition_id = 'late'");
  await t.rejects(
    repo.switchMaster({ fromCheck: 'not-the-check-value', toCheck: 'x', mode: 'dev', derivedBaseSealed: Buffer.alloc(60), roots: read }),
    { name: 'RekeyConflictError' },
    'a check value changed by another rekey',
  );
  t.same(await meta(dataDir), before);
  void d;
  void startDaemon;
  void parseDaemonArgs;
});

t.test('two daemons on one database: after a rekey on one, the other seals no new partition root under the old master key', async (t) => {
  const dataDir = tempDir(t);
  const a = await startSealDaemon(t, dataDir);
  const b = await startSealDaemon(t, dataDir);
  t.same((await a.client().request('POST', '/v1/sys/rekey', { to: 'passphrase', passphrase: PASS })).body, { mode: 'passphrase', complete: true });
  // A software HSM instance is a new partition, its root made at first open: b still holds the old master key.
  const hb = hsmApi(b.client());
  const made = await hb.req('POST', HSMS, { name: 'late', specification: 'software' });
  await hb.job(made.job_id);
  t.match(b.logs.join('\n'), /partition not opened.*replaced by a rekey in another process.*restart this daemon/, 'b does not open it, and says why and what to do');
  await a.stop();
  await b.stop();
  // Had b sealed the root under the old master key, the instance would not open now.
  const again = await startSealDaemon(t, dataDir, [], { DEW_MASTER_PASSPHRASE: PASS });
  const h = hsmApi(again.client());
  t.equal((await h.req('GET', `${HSMS}/${made.hsm_id}`)).hsm.status, 'RUNNING');
  t.notMatch(again.logs.join('\n'), /partition not opened/, 'after a restart in the new mode its partition opens');
  await h.req('POST', KS, { keystore_alias: 'late-ks', keystore_type: 'DHSM', hsm_cluster_id: made.hsm_id });
  const ks = ((await h.req('GET', KS)).keystores as any[]).find((k) => k.keystore_alias === 'late-ks');
  const key = (await h.kms('create-key', { key_alias: 'late-key', keystore_id: ks.keystore_id })).key_info.key_id;
  t.ok((await h.kms('encrypt-data', { key_id: key, plain_text: 'x' })).cipher_text, 'and a key in it encrypts');
});
