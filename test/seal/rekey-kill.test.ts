/**
 * kill -9 during rekeys: a real `dew daemon` process (dist/) runs a loop of rekeys around the modes
 * (passphrase → dev → shamir → passphrase …) and is killed with SIGKILL at a random moment of each;
 * every restart must come up with the old master key or the new one (a sealed shamir daemon
 * unseals with the shares of the split the database took), decrypt a ciphertext made before the
 * first rekey and accept the admin's AK/SK. No test hook: the kill lands where it lands, and the
 * spread of outcomes (old or new mode) is reported.
 */
import t from 'tap';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { DewNetworkError } from '../../provider/client/errors.js';

const PASS = 'kill nine passphrase';
const ROUNDS = Number(process.env.DEW_REKEY_KILL_ROUNDS ?? 12);
const env = { DEW_MASTER_PASSPHRASE: PASS };

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

t.test(`${ROUNDS} rekeys, each killed with SIGKILL at a random moment`, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-rekey-kill-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // One process: SIGKILL must stop the process doing the rekey at that moment (in a cluster it
  // would reach only the primary, and the worker rekeying would drain on).
  let d: DaemonProcess = await startDaemonProcess(t, ['--workers', '1'], env, { dataDir });
  const creds = d.credentials;
  const admin = (url: string) => new DewClient({ endpoint: url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key });
  let c = admin(d.url);
  const keyId = ((await c.kms('create-key', { key_alias: 'survivor' })) as any).key_info.key_id;
  const ct = ((await c.kms('encrypt-data', { key_id: keyId, plain_text: 'still here' })) as any).cipher_text;

  /** The shares of every split proposed so far, newest first: the database holds one of them (or none). */
  const splits: string[][] = [];
  const outcomes: Record<string, number> = {};
  const order = ['dev', 'shamir', 'passphrase'] as const;
  let mode = 'passphrase';
  for (let round = 0; round < ROUNDS; round++) {
    const to = order[round % order.length]!;
    const run = (async () => {
      if (to === 'shamir') {
        const start = (await c.request('POST', '/v1/sys/rekey', { to, shares: 3, threshold: 2 })).body as any;
        splits.unshift(start.shares);
        await c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: start.shares[2] });
        await c.request('POST', '/v1/sys/rekey/verify', { nonce: start.nonce, share: start.shares[0] });
      } else {
        await c.request('POST', '/v1/sys/rekey', to === 'passphrase' ? { to, passphrase: PASS } : { to });
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    // Anywhere from before the request to after the answer (a passphrase rekey spends ~100 ms in scrypt before its commit).
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * (to === 'passphrase' ? 160 : 40))));
    d.child.kill('SIGKILL');
    await new Promise<void>((r) => (d.child.exitCode !== null || d.child.signalCode !== null ? r() : d.child.once('exit', () => r())));
    // The daemon dies under the rekey on purpose: it either answered in time or the connection broke; never an error answer.
    const failure = await run;
    if (failure !== undefined) t.type(failure, DewNetworkError, `round ${round}: the rekey was cut off, not refused (${(failure as Error).message})`);

    d = await startDaemonProcess(t, ['--workers', '1'], env, { dataDir });
    const status = (await call(d.url, 'GET', '/v1/sys/seal-status')).body;
    if (status.sealed) {
      t.equal(status.mode, 'shamir', `round ${round}: only a shamir database starts sealed`);
      let opened = false;
      for (const split of splits) {
        const first = await call(d.url, 'POST', '/v1/sys/unseal', { share: split[1] });
        if (first.status !== 200) continue;
        const second = await call(d.url, 'POST', '/v1/sys/unseal', { share: split[2] });
        if (second.status === 200 && second.body.sealed === false) {
          opened = true;
          break;
        }
      }
      t.ok(opened, `round ${round}: the shares of one split unseal it`);
    }
    c = admin(d.url);
    const plain = ((await c.kms('decrypt-data', { cipher_text: ct }).catch((e) => ({ plain_text: `FAILED ${e.message}` }))) as any).plain_text;
    t.equal(plain, 'still here', `round ${round} (${mode} → ${to}): started in ${status.mode} mode, the old ciphertext decrypts`);
    outcomes[status.mode === to ? 'new' : 'old'] = (outcomes[status.mode === to ? 'new' : 'old'] ?? 0) + 1;
    mode = status.mode;
    t.notOk(existsSync(join(dataDir, 'master.key.next')), `round ${round}: no half-done key file left behind`);
  }
  t.comment(`outcomes: ${JSON.stringify(outcomes)}`);
  await d.stop();
});
