/**
 * The pkcs11 seal mode over SoftHSM2 (a temp SOFTHSM2_CONF, tokens made with softhsm2-util as an
 * operator would): the master key wrapped by an AES key made inside the token (sensitive, never
 * extractable, cross-checked with pkcs11-tool), unsealed at every start; a wrong PIN, a missing
 * token or a start without the token's settings stop the daemon with one line and exit code 2; a
 * running dev installation rekeys to a token and back to shamir. The PIN is in no log line.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { useSoftHsm, listObjects, readObject, SOFTHSM_MODULE } from '../helpers/softhsm.js';
import { startSealDaemon, tempDir } from './seal-helpers.js';
import { runDaemon } from '../../daemon/main.js';
import { cli } from '../helpers/daemon-process.js';
import { createClient } from '@libsql/client';
import { join } from 'node:path';

const hsm = useSoftHsm(t);
const PIN = '461029';
const OTHER_PIN = '872301';

function initToken(label: string, pin: string): string {
  const r = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '55' + pin], { env: { ...process.env, SOFTHSM2_CONF: hsm.conf }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`softhsm2-util failed: ${r.stderr}`);
  const show = spawnSync('softhsm2-util', ['--show-slots'], { env: { ...process.env, SOFTHSM2_CONF: hsm.conf }, encoding: 'utf8' }).stdout;
  let serial = '';
  for (const line of show.split('\n')) {
    const m = /^\s*(Serial number|Label):\s*(\S*)/.exec(line);
    if (m?.[1] === 'Serial number') serial = m[2]!;
    else if (m?.[1] === 'Label' && m[2] === label) return serial;
  }
  throw new Error(`softhsm2-util does not show token ${label}`);
}

const opsSerial = initToken('dew-ops', PIN);
const laterSerial = initToken('dew-later', OTHER_PIN);
const pkcs11Args = (token: string) => ['--seal', 'pkcs11', '--pkcs11-library', SOFTHSM_MODULE, '--pkcs11-token', token];

/** `dew daemon` as the executable runs it (runDaemon), for the start-up failures: exit code and what it printed. */
async function startFails(dataDir: string, args: string[], env: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runDaemon(['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], env, dataDir, { log: (l) => lines.push(l) });
  return { code, lines };
}

t.test('a new database in pkcs11 mode, restarts, and the refusals at start', async (t) => {
  const dataDir = tempDir(t);
  let d = await startSealDaemon(t, dataDir, pkcs11Args('dew-ops'), { DEW_PKCS11_PIN: PIN });
  t.match(d.logs.join('\n'), /master key unwrapped by the PKCS#11 token/);
  t.match((await d.call('GET', '/v1/sys/seal-status')).body, { mode: 'pkcs11', sealed: false });
  const c = d.client();
  const ct = ((await c.kms('encrypt-data', { key_id: ((await c.kms('create-key', { key_alias: 'k' })) as any).key_info.key_id, plain_text: 'in a token' })) as any).cipher_text;
  await d.stop();

  const objects = listObjects(hsm, opsSerial, PIN).filter((o) => o.label.startsWith('dew-master-'));
  t.equal(objects.length, 1, 'one wrapping key in the token');
  t.match(objects[0], { kind: 'secret', heading: /AES length 32/ });
  t.ok(objects[0]!.access.includes('sensitive') && objects[0]!.access.includes('never extractable'), `sensitive and never extractable (${objects[0]!.access.join(', ')})`);
  t.notOk(readObject(hsm, opsSerial, PIN, 'secrkey', objects[0]!.label).ok, 'pkcs11-tool cannot read its value');
  const db = createClient({ url: `file:${join(dataDir, 'dew.db')}` });
  const rec = JSON.parse(String((await db.execute("SELECT value FROM meta WHERE name = 'master_key_pkcs11'")).rows[0]!.value));
  db.close();
  t.match(rec, { v: 1, token: 'dew-ops', key_label: objects[0]!.label, wrapped: /^[A-Za-z0-9+/=]{80,}$/ }, 'the database holds the wrapped key and the key label only');

  d = await startSealDaemon(t, dataDir, pkcs11Args('dew-ops'), { DEW_PKCS11_PIN: PIN });
  t.equal(((await d.client().kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'in a token', 'unsealed automatically at a restart');
  d = await (async () => {
    await d.stop();
    return startSealDaemon(t, dataDir, ['--pkcs11-library', SOFTHSM_MODULE, '--pkcs11-token', 'dew-ops'], { DEW_PKCS11_PIN: PIN });
  })();
  t.match((await d.call('GET', '/v1/sys/seal-status')).body, { mode: 'pkcs11', sealed: false }, 'a restart without --seal takes the mode from the database');
  t.equal(((await d.client().kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'in a token', 'and unwraps the same master key');
  await d.stop();

  const wrongPin = await startFails(dataDir, pkcs11Args('dew-ops'), { DEW_PKCS11_PIN: '000000' });
  t.equal(wrongPin.code, 2, 'a wrong PIN: exit code 2');
  t.equal(wrongPin.lines.length, 1, 'one line');
  t.match(wrongPin.lines[0], /^dew daemon: the PIN was refused by the PKCS#11 token \(label "dew-ops", serial "\w+"\): CKR_PIN_INCORRECT$/);
  const noToken = await startFails(dataDir, pkcs11Args('not-there'), { DEW_PKCS11_PIN: PIN });
  t.equal(noToken.code, 2);
  t.match(noToken.lines, [/^dew daemon: this database's master key is wrapped by a key in token "dew-ops", not "not-there": start with --pkcs11-token "dew-ops"$/]);
  const noSettings = await startFails(dataDir, [], {});
  t.equal(noSettings.code, 2);
  t.match(noSettings.lines, [/^dew daemon: --seal pkcs11 needs --pkcs11-library PATH \(DEW_PKCS11_LIBRARY\), --pkcs11-token LABEL \(DEW_PKCS11_TOKEN\) and the PIN in DEW_PKCS11_PIN$/]);
  const fresh = await startFails(tempDir(t), pkcs11Args('missing-token'), { DEW_PKCS11_PIN: PIN });
  t.equal(fresh.code, 2, 'a new database and a missing token');
  t.match(fresh.lines, [/^dew daemon: no PKCS#11 token \(label "missing-token"\) in the library \/usr\/lib\/softhsm\/libsofthsm2\.so$/]);
  for (const l of [...wrongPin.lines, ...noToken.lines, ...fresh.lines, ...d.logs]) t.notOk(l.includes(PIN), 'no PIN in any line');

  // The executable itself: one line on stderr, exit code 2, no stack trace.
  const exe = spawnSync(process.execPath, [cli, 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...pkcs11Args('dew-ops')], { env: { ...process.env, DEW_PKCS11_PIN: '123123' }, encoding: 'utf8' });
  t.equal(exe.status, 2, 'dew daemon with a wrong PIN exits 2');
  t.match(exe.stderr, /^dew daemon: the PIN was refused by the PKCS#11 token \(label "dew-ops", serial "\w+"\): CKR_PIN_INCORRECT\n$/, 'one line, no stack trace');
});

t.test('dev → pkcs11 → shamir by rekey, on a running daemon', async (t) => {
  const dataDir = tempDir(t);
  let d = await startSealDaemon(t, dataDir, ['--pkcs11-library', SOFTHSM_MODULE]);
  const c = d.client();
  const ct = ((await c.kms('encrypt-data', { key_id: ((await c.kms('create-key', { key_alias: 'k' })) as any).key_info.key_id, plain_text: 'moved' })) as any).cipher_text;
  const bad = await c.request('POST', '/v1/sys/rekey', { to: 'pkcs11', pkcs11_token: 'dew-later', pkcs11_pin: '999999' }).catch((e) => e);
  t.match(bad, { status: 400, code: 'DEW.1011', message: /the PIN was refused by the PKCS#11 token .*CKR_PIN_INCORRECT; nothing was changed/ });
  t.notOk(JSON.stringify(bad).includes('999999'), 'the PIN is not echoed');
  t.same((await c.request('POST', '/v1/sys/rekey', { to: 'pkcs11', pkcs11_token: 'dew-later', pkcs11_pin: OTHER_PIN })).body, { mode: 'pkcs11', complete: true });
  t.equal(((await c.kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'moved');
  await d.stop();
  d = await startSealDaemon(t, dataDir, pkcs11Args('dew-later'), { DEW_PKCS11_PIN: OTHER_PIN });
  t.equal(((await d.client().kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'moved', 'a start with the new token');
  const start = (await d.client().request('POST', '/v1/sys/rekey', { to: 'shamir', shares: 2, threshold: 2 })).body as any;
  for (const s of start.shares) await d.client().request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: s });
  await d.stop();
  d = await startSealDaemon(t, dataDir);
  for (const s of start.shares) await d.call('POST', '/v1/sys/unseal', { share: s });
  t.equal(((await d.client().kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'moved', 'and from the token to shares');
  t.notOk(d.logs.join('\n').includes(OTHER_PIN));
});

t.test('a rekey to pkcs11 needs the daemon to have a PKCS#11 library', async (t) => {
  const d = await startSealDaemon(t, tempDir(t));
  const e = await d.client().request('POST', '/v1/sys/rekey', { to: 'pkcs11', pkcs11_token: 'dew-later', pkcs11_pin: OTHER_PIN }).catch((x) => x);
  t.match(e, { status: 400, code: 'DEW.1011', message: /start it with --pkcs11-library PATH/ });
  void laterSerial;
});
