/**
 * The shamir seal mode through a real daemon (in process, real libSQL file): a new database starts
 * uninitialised, init prints the shares once and leaves it sealed, every API call but health,
 * seal status, init and unseal answers 503 DEW.0503 saying what to do and the progress; unseal
 * counts shares, refuses malformed, foreign and repeated ones, resets on a wrong combination,
 * and at K builds the services (credentials.json appears); seal tears them down and a new unseal
 * brings every key back. Shares never reach the logs or the audit trail.
 */
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createClient } from '@libsql/client';
import { startSealDaemon, tempDir } from './seal-helpers.js';
import { expectCode } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';


/** A share whose point is changed (check digits fixed up): decodes, but rebuilds a wrong key. */
function tampered(share: string): string {
  const bytes = Buffer.from(share.slice(5), 'base64url');
  bytes[10] ^= 0x5a;
  createHash('sha256').update(bytes.subarray(0, 41)).digest().subarray(0, 4).copy(bytes, 41);
  return 'dew1-' + bytes.toString('base64url');
}

t.test('init, sealed answers, unseal, seal, unseal again', async (t) => {
  const dataDir = tempDir(t);
  let d = await startSealDaemon(t, dataDir, ['--seal', 'shamir']);
  t.match(d.logs.join('\n'), /listening on http:\/\/127\.0\.0\.1:\d+ .*master key not initialised: run `dew operator init/, 'the daemon listens, uninitialised');
  t.notOk(existsSync(join(dataDir, 'credentials.json')), 'no credentials before the master key exists');
  t.throws(() => d.daemon.credentials, /sealed/, 'RunningDaemon.credentials says why it has none');

  let s = await d.call('GET', '/v1/sys/seal-status');
  t.same(s.body, { mode: 'shamir', initialized: false, sealed: true, state: 'uninitialised' });
  let r = await d.call('POST', '/v1.0/abc/kms/create-key', { key_alias: 'x' });
  t.equal(r.status, 503);
  t.match(r.body, { error: { error_code: 'DEW.0503', error_msg: /^the daemon is sealed: its master key is not initialised: run `dew operator init --shares N --threshold K`/ } });
  t.equal((await d.call('GET', '/healthz')).status, 200, 'health answers');
  t.same((await d.call('GET', '/healthz')).body, { status: 'uninitialised' });
  await t.test('unseal before init is refused', async (t) => {
    const u = await d.call('POST', '/v1/sys/unseal', { share: 'dew1-x' });
    t.equal(u.status, 503);
  });

  const bad = [
    [{ shares: 5, threshold: 1 }, /threshold: at least 2 \(with 1, each share would be the master key itself\)/],
    [{ shares: 3, threshold: 4 }, /at most the number of shares/],
    [{ shares: 17, threshold: 2 }, /from 2 to 16/],
    [{}, /shares/],
  ] as const;
  for (const [body, why] of bad) {
    const i = await d.call('POST', '/v1/sys/init', body);
    t.equal(i.status, 400, JSON.stringify(body));
    t.match(i.body.error, { error_code: 'DEW.1001', error_msg: why });
  }
  t.equal((await d.call('POST', '/v1/sys/init', '{"shares":')).body.error.error_code, 'KMS.0202', 'malformed JSON');

  const init = await d.call('POST', '/v1/sys/init', { shares: 5, threshold: 3 });
  t.equal(init.status, 200);
  const shares: string[] = init.body.shares;
  t.equal(shares.length, 5);
  t.same(Object.keys(init.body).sort(), ['initialized', 'sealed', 'shares', 'threshold']);
  t.match(init.body, { threshold: 3, initialized: true, sealed: true });
  t.match((await d.call('GET', '/v1/sys/seal-status')).body, { state: 'sealed', progress: 0, threshold: 3, shares: 5 });
  t.match((await d.call('POST', '/v1/sys/init', { shares: 5, threshold: 3 })).body.error, { error_code: 'DEW.1006', error_msg: /already initialised/ }, 'init runs once');

  // A restart on a shamir database: sealed, whatever --seal says or not.
  await d.stop();
  d = await startSealDaemon(t, dataDir);
  t.match(d.logs.join('\n'), /master key split into shares: sealed; give 3 of the 5 shares with `dew operator unseal`/);
  s = await d.call('GET', '/v1/sys/seal-status');
  t.same(s.body, { mode: 'shamir', initialized: true, sealed: true, state: 'sealed', threshold: 3, shares: 5, progress: 0 });
  r = await d.call('POST', '/v1.0/abc/kms/list-keys', {});
  t.same(r.body, { error: { error_code: 'DEW.0503', error_msg: 'the daemon is sealed: give 3 key shares with `dew operator unseal` (0 of 3 shares given)' } });
  t.equal(r.headers.get('retry-after'), '5');
  t.equal((await d.call('GET', '/v1.0/abc/kms/keys')).status, 503, 'a GET too');
  t.equal((await d.call('GET', '/openapi.json')).status, 503, 'the discovery document too');

  await t.test('unseal: progress, malformed, repeated, another split, a wrong combination', async (t) => {
    let u = await d.call('POST', '/v1/sys/unseal', { share: shares[0] });
    t.match(u.body, { sealed: true, progress: 1, threshold: 3 });
    t.match((await d.call('POST', '/v1.0/abc/kms/list-keys', {})).body.error.error_msg, /\(1 of 3 shares given\)/, 'the 503 shows the progress');
    u = await d.call('POST', '/v1/sys/unseal', { share: shares[0] });
    t.equal(u.status, 400);
    t.match(u.body.error, { error_code: 'DEW.1003', error_msg: 'Share 1 was already given (1 of 3 shares given); give a different share.' });
    u = await d.call('POST', '/v1/sys/unseal', { share: shares[1].slice(0, 30) });
    t.match(u.body.error, { error_code: 'DEW.1002', error_msg: /^Invalid share: not a dew key share: .*nothing was counted\.$/ });
    t.notOk(JSON.stringify(u.body).includes(shares[1].slice(5, 25)), 'the error does not quote the share');
    u = await d.call('POST', '/v1/sys/unseal', {});
    t.equal(u.body.error.error_code, 'DEW.1002', 'no share at all');
    t.equal((await d.call('GET', '/v1/sys/seal-status')).body.progress, 1, 'refusals count nothing');
    u = await d.call('POST', '/v1/sys/unseal', { share: shares[1] });
    t.match(u.body, { progress: 2 });
    u = await d.call('POST', '/v1/sys/unseal', { share: tampered(shares[2]) });
    t.equal(u.status, 400);
    t.match(u.body.error, { error_code: 'DEW.1005', error_msg: /do not rebuild this database's master key.*nothing was unsealed and the progress is reset/ });
    t.match((await d.call('GET', '/v1/sys/seal-status')).body, { sealed: true, progress: 0 }, 'progress reset, still sealed');
    t.equal((await d.call('POST', '/v1.0/abc/kms/list-keys', {})).status, 503);
  });

  const u1 = await d.call('POST', '/v1/sys/unseal', { share: shares[4] });
  t.match(u1.body, { progress: 1 });
  await d.call('POST', '/v1/sys/unseal', { share: shares[2] });
  const u3 = await d.call('POST', '/v1/sys/unseal', { share: shares[0] });
  t.match(u3.body, { sealed: false, state: 'unsealed', progress: 0 });
  t.ok(existsSync(join(dataDir, 'credentials.json')), 'credentials.json written once unsealed');
  t.match(d.logs.join('\n'), /credentials: .*credentials\.json/);
  t.equal((await d.call('POST', '/v1/sys/unseal', { share: shares[1] })).body.error.error_code, 'DEW.1008', 'unseal of an unsealed daemon');
  t.same((await d.call('GET', '/healthz')).body, { status: 'ok' });

  const c = d.client();
  await t.test('what was asked while sealed (since this start) reaches the audit trail once unsealed', async (t) => {
    const records = ((await c.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1000 })).body as any).records as any[];
    const sealed = records.filter((r) => r.operation === 'unseal' || r.operation === 'init-master-key');
    t.same(
      sealed.map((r) => [r.operation, r.outcome, r.error_code]),
      [
        ['unseal', 'allowed', ''],
        ['unseal', 'refused', 'DEW.1003'],
        ['unseal', 'refused', 'DEW.1002'],
        ['unseal', 'refused', 'DEW.1002'],
        ['unseal', 'allowed', ''],
        ['unseal', 'refused', 'DEW.1005'],
        ['unseal', 'allowed', ''],
        ['unseal', 'allowed', ''],
        ['unseal', 'allowed', ''],
        ['unseal', 'refused', 'DEW.1008'],
      ],
      'every share given or refused, in order; the init was before the restart (its log line says so)',
    );
    const creds = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
    t.ok(sealed.every((r) => /127\.0\.0\.1$/.test(r.source_ip) && r.resource_id === 'master-key' && r.domain_id === creds.domain_id), 'who asked, on what, in the operator account');
    t.ok(sealed.slice(0, -1).every((r, i) => r.at <= sealed[i + 1].at), 'in time order');
  });
  const key = ((await c.kms('create-key', { key_alias: 'sealed-app' })) as any).key_info.key_id;
  const ct = ((await c.kms('encrypt-data', { key_id: key, plain_text: 'kept across seals' })) as any).cipher_text;

  await t.test('only operator administrators seal', async (t) => {
    const user = (await c.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'ops', roles: ['KMS CMKFullAccess'] })).body as any;
    const weak = new DewClient({ endpoint: d.daemon.url, projectId: user.project_id, accessKey: user.access_key, secretKey: user.secret_key });
    await expectCode(t, weak.request('POST', '/v1/sys/seal', {}), 403, 'KMS.0307', 'a full-access user may not seal');
    t.equal((await d.call('POST', '/v1/sys/seal', {})).status, 401, 'an unsigned seal is refused');
    t.equal((await d.call('GET', '/v1/sys/seal-status')).body.sealed, false, 'still unsealed');
  });

  // Seal while a slow-ish request is in flight: it finishes, later ones get 503.
  const inflight = c.kms('create-key', { key_alias: 'during-seal', key_spec: 'RSA_3072' });
  await new Promise((r) => setTimeout(r, 5));
  const sealed = (await c.request('POST', '/v1/sys/seal', {})).body as any;
  t.equal(sealed.sealed, true, 'the seal answer says sealed');
  t.ok(((await inflight) as any).key_info.key_id, 'the request in flight finished');
  while ((await d.call('GET', '/v1/sys/seal-status')).body.state !== 'sealed') await new Promise((r) => setTimeout(r, 20)); // tap's timeout bounds a hang
  t.match((await d.call('GET', '/v1/sys/seal-status')).body, { sealed: true, state: 'sealed', progress: 0 });
  await expectCode(t, c.kms('list-keys', {}), 503, 'DEW.0503', 'sealed again');
  await t.rejects(d.daemon.runJobs(), /sealed/, 'no jobs while sealed');

  for (const sh of [shares[3], shares[1], shares[2]]) await d.call('POST', '/v1/sys/unseal', { share: sh });
  t.equal(((await c.kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'kept across seals', 'the same admin credentials and key after the new unseal');
  t.ok(await d.daemon.runJobs());

  // Nothing of any share in the logs, the audit trail or any file of the data dir.
  await d.stop();
  const logs = d.logs.join('\n');
  const db = createClient({ url: `file:${join(dataDir, 'dew.db')}` });
  const audit = JSON.stringify((await db.execute('SELECT * FROM audit_records')).rows);
  db.close();
  t.match(audit, /seal/, 'the seal call is in the audit trail');
  const files = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)).toString('latin1')).join('\n');
  for (const sh of shares) {
    const core = sh.slice(5, 40);
    t.notOk(logs.includes(core), 'no share in the logs');
    t.notOk(audit.includes(core), 'no share in the audit trail');
    t.notOk(files.includes(core), 'no share in any file');
  }
});

t.test('the unauthenticated seal calls are rate-limited per source, in bounded memory', async (t) => {
  const d = await startSealDaemon(t, tempDir(t), ['--seal', 'shamir']);
  await d.call('POST', '/v1/sys/init', { shares: 2, threshold: 2 });
  let limited: any;
  for (let i = 0; i < 40 && !limited; i++) {
    const u = await d.call('POST', '/v1/sys/unseal', { share: 'dew1-bad' });
    if (u.status === 429) limited = u;
  }
  t.ok(limited, 'a source trying shares in a loop is slowed down');
  t.match(limited.body.error, { error_code: 'DEW.0429', error_msg: /Too many seal API calls from this address: try again in \d+ s/ });
  t.ok(Number(limited.headers.get('retry-after')) >= 1);
  t.equal((await d.call('GET', '/v1/sys/seal-status')).status, 200, 'the status is not limited');
});

t.test('an init and the shares that open it are audited, with no share in the records', async (t) => {
  const d = await startSealDaemon(t, tempDir(t), ['--seal', 'shamir']);
  t.equal((await d.call('POST', '/v1/sys/init', { shares: 3, threshold: 1 })).body.error.error_code, 'DEW.1001');
  const shares: string[] = (await d.call('POST', '/v1/sys/init', { shares: 3, threshold: 2 })).body.shares;
  await d.call('POST', '/v1/sys/unseal', { share: shares[1] });
  t.match((await d.call('POST', '/v1/sys/unseal', { share: shares[0] })).body, { sealed: false });
  const records = ((await d.client().request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 100 })).body as any).records as any[];
  t.same(
    records.filter((r) => r.resource_id === 'master-key').map((r) => [r.operation, r.outcome, r.status, r.error_code]),
    [
      ['init-master-key', 'refused', 400, 'DEW.1001'],
      ['init-master-key', 'allowed', 200, ''],
      ['unseal', 'allowed', 200, ''],
      ['unseal', 'allowed', 200, ''],
    ],
  );
  const text = JSON.stringify(records);
  for (const s of shares) t.notOk(text.includes(s.slice(5, 30)), 'no share in the records');
});
