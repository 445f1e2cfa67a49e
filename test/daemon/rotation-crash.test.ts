/**
 * Kill the daemon (SIGKILL) in the middle of a rotate-on-demand storm: after restart the key has the
 * old or the new version set, never half of one, and every ciphertext the daemon returned decrypts.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DewClient } from '../../provider/client/dew-client.js';
import { sqlOn, type Any } from './scheduler-helpers.js';

const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

function startDaemon(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--schedule', 'off'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${log}`)), 15_000);
    child.stderr?.on('data', (c) => {
      log += c;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited ${code}: ${log}`));
    });
  });
}

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
}

function clientOf(dataDir: string, url: string): DewClient {
  const c = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
  return new DewClient({ endpoint: url, projectId: c.project_id, accessKey: c.access_key, secretKey: c.secret_key, timeoutMs: 5000 });
}

t.test('SIGKILL during a rotation storm loses nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const dbUrl = `file:${join(dataDir, 'dew.db')}`;
  let d = await startDaemon(dataDir);
  t.teardown(() => {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
  });
  let client = clientOf(dataDir, d.url);
  const kms = (op: string, body: object = {}) => client.kms(op, body) as Promise<Any>;
  await kms('create-key', { key_alias: 'storm' });
  await kms('create-key', { key_alias: 'storm-sm4', key_spec: 'SM4' });

  const acked: { ct: string; pt: string }[] = [];
  let rotations = 0;
  let stop = false;
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const alias = w % 2 ? 'storm' : 'storm-sm4';
      try {
        if (w < 3) {
          await kms('rotate-on-demand', { key_id: alias });
          rotations++;
        } else {
          const pt = `w${w}-${i}`;
          acked.push({ pt, ct: (await kms('encrypt-data', { key_id: alias, plain_text: pt })).cipher_text });
        }
      } catch {
        return; // the daemon died under us
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  // Kill once the storm is going (some rotations and encryptions acknowledged), at a random moment.
  const deadline = Date.now() + 8000;
  while ((rotations < 3 || acked.length < 5) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
  const gone = exited(d.child);
  d.child.kill('SIGKILL');
  stop = true;
  await Promise.all(workers);
  await gone;
  t.ok(rotations >= 3, `${rotations} rotations were acknowledged before the kill`);
  t.ok(acked.length >= 5, `${acked.length} ciphertexts were acknowledged`);

  d = await startDaemon(dataDir);
  client = clientOf(dataDir, d.url);
  for (const alias of ['storm', 'storm-sm4']) {
    const [k] = await sqlOn(dbUrl, 'SELECT key_id, current_version, number_of_rotations FROM keys WHERE key_alias = ?', [alias]);
    const versions = (await sqlOn(dbUrl, 'SELECT version FROM key_versions WHERE key_id = ? ORDER BY version', [String(k.key_id)])).map((r) => Number(r.version));
    t.same(versions, Array.from({ length: Number(k.current_version) }, (_, i) => i + 1), `${alias}: versions 1…${k.current_version}, every one with material, none beyond`);
    t.equal(Number(k.number_of_rotations), Number(k.current_version) - 1, `${alias}: the rotation count matches`);
    const st = await kms('get-key-rotation-status', { key_id: alias });
    t.equal(st.number_of_rotations, Number(k.number_of_rotations));
    const ct = (await kms('encrypt-data', { key_id: alias, plain_text: 'after restart' })).cipher_text;
    t.equal(Buffer.from(ct, 'base64').readUInt32BE(8), Number(k.current_version), `${alias}: new encryptions use the newest version`);
  }
  let decrypted = 0;
  for (const { ct, pt } of acked) if ((await kms('decrypt-data', { cipher_text: ct })).plain_text === pt) decrypted++;
  t.equal(decrypted, acked.length, 'every acknowledged ciphertext decrypts after the restart');
  const stopped = exited(d.child);
  d.child.kill('SIGTERM');
  await stopped;
  const v = spawnSync(process.execPath, [cli, 'audit', 'verify', '--db', dbUrl], { encoding: 'utf8' });
  t.equal(v.status, 0, `the audit trail is intact after the crash: ${v.stdout}${v.stderr}`);
});
