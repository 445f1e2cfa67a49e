/**
 * The KMS behaviour suite, run unchanged against an embedded file database and a sqld server, in
 * process, and against `dew daemon --workers 2` as a real process (each call on a fresh connection,
 * so successive calls land on both workers: every write must be seen by the next call).
 */
import type { Test } from 'tap';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { statSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startTestDaemon, databaseFor, apiError, type Backend, type DaemonOptions } from '../helpers/daemon.js';
import { startDaemonProcess } from '../helpers/daemon-process.js';
import { DewClient } from '../../provider/client/dew-client.js';
import { readKeyMaterial } from '../helpers/key-material.js';
import { openssl } from '../hsm-asym/fixtures/openssl.js';
import { smCrypto } from './asym-helpers.js';

type Any = Record<string, any>;

/** What the suite needs of a daemon, in process or a cluster of processes. */
interface SuiteDaemon {
  url: string;
  credentials: { access_key: string; secret_key: string; project_id: string; domain_id: string };
  client: DewClient;
  dataDir: string;
  log(): string;
  stop(): Promise<void>;
}

/** A fetch that opens a fresh connection for every request (no keep-alive), so node:cluster hands successive calls to the workers in turn. */
const freshFetch = ((url: string, init: { method: string; headers: Record<string, string>; body?: string }) =>
  new Promise<Response>((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = Object.entries(res.headers).filter((e): e is [string, string] => typeof e[1] === 'string');
        resolve(new Response(chunks.length ? Buffer.concat(chunks) : null, { status: res.statusCode, headers }));
      });
    });
    req.on('error', reject);
    req.end(init.body);
  })) as unknown as typeof fetch;

function starter(t: Test, workers: number | undefined): (o: DaemonOptions) => Promise<SuiteDaemon> {
  if (workers === undefined) {
    return async (o) => {
      const d = await startTestDaemon(t, o);
      return { url: d.daemon.url, credentials: d.daemon.credentials, client: d.client, dataDir: d.dataDir, log: () => d.logs.join('\n'), stop: d.stop };
    };
  }
  return async (o) => {
    const args = ['--workers', String(workers), ...(o.dbUrl ? ['--db', o.dbUrl] : []), ...(o.args ?? [])];
    // The data dir outlives a stop (the restart case starts again on it); the test's teardown removes it.
    let dataDir = o.dataDir;
    if (!dataDir) {
      const made = mkdtempSync(join(tmpdir(), 'dew-suite-'));
      t.teardown(() => rmSync(made, { recursive: true, force: true }));
      dataDir = made;
    }
    const p = await startDaemonProcess(t, args, o.env ?? {}, { dataDir });
    const c = p.credentials;
    const client = new DewClient({ endpoint: p.url, projectId: c.project_id, accessKey: c.access_key, secretKey: c.secret_key, fetch: freshFetch });
    return { url: p.url, credentials: c, client, dataDir: p.dataDir, log: p.log, stop: p.stop };
  };
}

export function kmsSuite(t: Test, backend: Backend, opts: { workers?: number } = {}): Promise<void> {
  const on = opts.workers ? `${backend}, ${opts.workers} workers` : backend;
  return t.test(`KMS symmetric half on ${on}`, async (t) => {
    const start = starter(t, opts.workers);
    const dbUrl = await databaseFor(t, backend);
    const env: Record<string, string> = backend === 'sqld' ? { DEW_MASTER_PASSPHRASE: 'suite passphrase' } : {};
    const d = await start({ dbUrl, args: ['--key-quota', '5'], env });
    const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;

    await t.test('healthz and bootstrap credentials', async (t) => {
      const r = await fetch(`${d.url}/healthz`);
      t.equal(r.status, 200);
      const path = join(d.dataDir, 'credentials.json');
      t.equal(statSync(path).mode & 0o777, 0o600, 'credentials.json is mode 0600');
      const creds = JSON.parse(readFileSync(path, 'utf8'));
      for (const f of ['endpoint', 'project_id', 'domain_id', 'user_id', 'access_key', 'secret_key']) t.type(creds[f], 'string', f);
      t.match(creds.project_id, /^[0-9a-f]{32}$/);
      t.equal(creds.endpoint, d.url);
      t.notOk(d.log().includes(creds.secret_key), 'the secret key is never logged');
    });

    await t.test('create, describe by id and alias, list with paging and filters', async (t) => {
      const a = await kms('create-key', { key_alias: 'suite-a', key_description: 'first' });
      t.match(a.key_info.key_id, /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/);
      t.equal(a.key_info.domain_id, d.credentials.domain_id);
      const byAlias = await kms('describe-key', { key_id: 'suite-a' });
      const byId = await kms('describe-key', { key_id: a.key_info.key_id });
      t.same(byAlias, byId);
      t.equal(byId.key_info.key_spec, 'AES_256');
      t.equal(byId.key_info.key_usage, 'ENCRYPT_DECRYPT');
      t.equal(byId.key_info.key_state, '2');
      t.equal(byId.key_info.default_key_flag, '0');
      t.match(byId.key_info.creation_date, /^\d{13}$/);
      await kms('create-key', { key_alias: 'suite-b', key_spec: 'SM4' });
      await kms('create-key', { key_alias: 'suite-mac', key_spec: 'HMAC_256' });
      const page1 = await kms('list-keys', { limit: '1', key_spec: 'ALL' });
      t.equal(page1.keys.length, 1);
      t.equal(page1.truncated, 'true');
      t.equal(page1.total, 3);
      const page2 = await kms('list-keys', { limit: '5', marker: page1.next_marker, key_spec: 'ALL' });
      t.equal(page2.keys.length, 2);
      t.equal(page2.truncated, 'false');
      t.equal(page2.next_marker, '');
      t.notOk(page2.keys.includes(page1.keys[0]), 'pages do not overlap');
      const sm4 = await kms('list-keys', { key_spec: 'SM4' });
      t.same(sm4.key_details.map((k: Any) => k.key_alias), ['suite-b']);
      const aesDefault = await kms('list-keys', {});
      t.same(aesDefault.key_details.map((k: Any) => k.key_alias), ['suite-a'], 'key_spec defaults to AES_256 as the reference');
    });

    await t.test('alias rules and quota', async (t) => {
      let e = await apiError(kms('create-key', { key_alias: 'suite-a' }));
      t.equal(e.code, 'KMS.1104');
      e = await apiError(kms('create-key', { key_alias: 'x/default' }));
      t.equal(e.code, 'KMS.1101');
      e = await apiError(kms('create-key', { key_alias: 'bad alias!' }));
      t.equal(e.code, 'KMS.1101');
      e = await apiError(kms('update-key-alias', { key_id: 'suite-b', key_alias: 'suite-a' }));
      t.equal(e.code, 'KMS.1104');
      await kms('create-key', { key_alias: 'suite-q4' });
      await kms('create-key', { key_alias: 'suite-q5' });
      e = await apiError(kms('create-key', { key_alias: 'suite-q6' }));
      t.equal(e.status, 400);
      t.equal(e.code, 'KMS.1105');
      const all = await kms('list-keys', { key_spec: 'ALL' });
      t.notOk(all.key_details.some((k: Any) => k.key_alias === 'suite-q6'), 'nothing created over quota');
      const quotas = (await d.client.request('GET', '/v1.0/{project_id}/kms/user-quotas')).body as Any;
      t.same(quotas.quotas.resources[0], { type: 'CMK', used: 5, quota: 5 });
      // Default keys are created on first use and do not count.
      const ct = await kms('encrypt-data', { key_id: 'csms/default', plain_text: 'default key' });
      const dk = await kms('describe-key', { key_id: 'csms/default' });
      t.equal(dk.key_info.default_key_flag, '1');
      t.equal(ct.key_id, dk.key_info.key_id);
      e = await apiError(kms('disable-key', { key_id: 'csms/default' }));
      t.equal(e.code, 'KMS.0211');
      e = await apiError(kms('schedule-key-deletion', { key_id: 'csms/default', pending_days: '7' }));
      t.equal(e.code, 'KMS.0211');
      const instances = (await d.client.request('GET', '/v1.0/{project_id}/kms/user-instances')).body as Any;
      t.equal(instances.instance_num, 5);
      await kms('update-key-alias', { key_id: 'suite-q5', key_alias: 'suite-renamed' });
      t.equal((await kms('describe-key', { key_id: 'suite-renamed' })).key_info.key_alias, 'suite-renamed');
      await kms('update-key-description', { key_id: 'suite-renamed', key_description: 'now described' });
      t.equal((await kms('describe-key', { key_id: 'suite-renamed' })).key_info.key_description, 'now described');
    });

    await t.test('state rules: disable, enable, schedule and cancel deletion', async (t) => {
      await kms('disable-key', { key_id: 'suite-q4' });
      let e = await apiError(kms('encrypt-data', { key_id: 'suite-q4', plain_text: 'x' }));
      t.equal(e.code, 'KMS.0209');
      e = await apiError(kms('disable-key', { key_id: 'suite-q4' }));
      t.equal(e.code, 'KMS.1301');
      t.same(await kms('enable-key', { key_id: 'suite-q4' }), { key_info: { key_id: (await kms('describe-key', { key_id: 'suite-q4' })).key_info.key_id, key_state: '2' } });
      e = await apiError(kms('enable-key', { key_id: 'suite-q4' }));
      t.equal(e.code, 'KMS.1201');
      for (const days of ['6', '1097', 'x']) {
        e = await apiError(kms('schedule-key-deletion', { key_id: 'suite-q4', pending_days: days }));
        t.equal(e.code, 'KMS.1401', `pending_days ${days}`);
      }
      const s = await kms('schedule-key-deletion', { key_id: 'suite-q4', pending_days: '7' });
      t.equal(s.key_state, '4');
      const desc = await kms('describe-key', { key_id: 'suite-q4' });
      t.ok(Number(desc.key_info.scheduled_deletion_date) > Date.now() + 6.9 * 86_400_000);
      e = await apiError(kms('encrypt-data', { key_id: 'suite-q4', plain_text: 'x' }));
      t.equal(e.code, 'KMS.0210');
      e = await apiError(kms('schedule-key-deletion', { key_id: 'suite-q4', pending_days: '7' }));
      t.equal(e.code, 'KMS.1402');
      const c = await kms('cancel-key-deletion', { key_id: 'suite-q4' });
      t.equal(c.key_state, '3');
      e = await apiError(kms('cancel-key-deletion', { key_id: 'suite-q4' }));
      t.equal(e.code, 'KMS.1501');
      e = await apiError(kms('describe-key', { key_id: '00000000-0000-0000-0000-000000000000' }));
      t.equal(e.status, 404);
      t.equal(e.code, 'KMS.0207');
    });

    await t.test('encrypt-data / decrypt-data: sizes, AAD, SM4, tampering', async (t) => {
      for (const alias of ['suite-a', 'suite-b']) {
        for (const n of [1, 4, 15, 16, 17, 100, 4096]) {
          const pt = 'p'.repeat(n);
          const e = await kms('encrypt-data', { key_id: alias, plain_text: pt });
          const raw = Buffer.from(e.cipher_text, 'base64');
          t.equal(raw.length, 124 + Math.ceil(n / 16) * 16, `${alias}: ${n} bytes → ${raw.length}`);
          const dec = await kms('decrypt-data', { cipher_text: e.cipher_text });
          t.equal(dec.plain_text, pt);
          t.equal(dec.plain_text_base64, Buffer.from(pt).toString('base64'));
          t.equal(dec.key_id, e.key_id);
        }
      }
      const four = await kms('encrypt-data', { key_id: 'suite-a', plain_text: 'abcd' });
      t.equal(four.cipher_text.length, 188, '4 bytes → 188 Base64 characters');
      const withAad = await kms('encrypt-data', { key_id: 'suite-b', plain_text: 'secret', additional_authenticated_data: 'ctx-1' });
      t.equal((await kms('decrypt-data', { cipher_text: withAad.cipher_text, additional_authenticated_data: 'ctx-1' })).plain_text, 'secret');
      let e = await apiError(kms('decrypt-data', { cipher_text: withAad.cipher_text, additional_authenticated_data: 'ctx-2' }));
      t.equal(e.code, 'KMS.2201');
      t.notMatch(e.message, /secret|tag|auth/i, 'no detail leaked');
      e = await apiError(kms('decrypt-data', { cipher_text: withAad.cipher_text }));
      t.equal(e.code, 'KMS.2201');
      for (const at of [0, 5, 30, 50, 70, 95, 130]) {
        const raw = Buffer.from(four.cipher_text, 'base64');
        raw[at] ^= 1;
        e = await apiError(kms('decrypt-data', { cipher_text: raw.toString('base64') }));
        t.equal(e.status, 400, `flip at byte ${at}`);
      }
      e = await apiError(kms('decrypt-data', { cipher_text: four.cipher_text, key_id: 'suite-b' }));
      t.equal(e.code, 'KMS.2201', 'a key_id that is not the ciphertext key is refused');
      e = await apiError(kms('encrypt-data', { key_id: 'suite-mac', plain_text: 'x' }));
      t.equal(e.code, 'KMS.0308', 'an HMAC key cannot encrypt');
      e = await apiError(kms('encrypt-data', { key_id: 'suite-a', plain_text: 'x'.repeat(4097) }));
      t.equal(e.code, 'KMS.2101');
      e = await apiError(kms('encrypt-data', { key_id: 'suite-a', plain_text: 'é'.repeat(2049) }));
      t.equal(e.code, 'KMS.2101', '4096 bytes, not characters');
    });

    await t.test('data keys', async (t) => {
      const dk = await kms('create-datakey', { key_id: 'suite-a' });
      t.match(dk.plain_text, /^[0-9a-f]{64}$/, 'default 256 bits');
      t.equal(dk.cipher_text.length, 2 * (124 + 32));
      const d512 = await kms('create-datakey', { key_id: 'suite-a', datakey_length: '512' });
      t.equal(d512.plain_text.length, 128);
      t.equal(d512.cipher_text.length, 188 * 2, 'the reference blob size for a 64-byte DEK');
      const spec = await kms('create-datakey', { key_id: 'suite-a', key_spec: 'AES_128' });
      t.equal(spec.plain_text.length, 32);
      const both = await kms('create-datakey', { key_id: 'suite-a', key_spec: 'AES_128', datakey_length: '64' });
      t.equal(both.plain_text.length, 16, 'datakey_length wins over key_spec');
      const np = await kms('create-datakey-without-plaintext', { key_id: 'suite-a', additional_authenticated_data: 'aad' });
      t.notOk('plain_text' in np);
      const back = await kms('decrypt-datakey', { key_id: 'suite-a', cipher_text: np.cipher_text, datakey_cipher_length: '32', additional_authenticated_data: 'aad' });
      t.match(back.data_key, /^[0-9a-f]{64}$/);
      t.equal(back.datakey_dgst, createHash('sha256').update(Buffer.from(back.data_key, 'hex')).digest('hex'));
      const dec = await kms('decrypt-datakey', { key_id: 'suite-a', cipher_text: dk.cipher_text, datakey_cipher_length: '32' });
      t.equal(dec.data_key, dk.plain_text);
      t.equal(dec.datakey_length, '32');
      let e = await apiError(kms('decrypt-datakey', { key_id: 'suite-a', cipher_text: dk.cipher_text, datakey_cipher_length: '16' }));
      t.equal(e.code, 'KMS.2202');
      e = await apiError(kms('decrypt-datakey', { key_id: 'suite-b', cipher_text: dk.cipher_text, datakey_cipher_length: '32' }));
      t.equal(e.code, 'KMS.2201');
      for (const [alias, hash] of [['suite-a', 'sha256'], ['suite-b', 'sm3']]) {
        const dek = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
        const good = Buffer.concat([dek, createHash(hash).update(dek).digest()]).toString('hex');
        const enc = await kms('encrypt-datakey', { key_id: alias, plain_text: good, datakey_plain_length: '32' });
        t.equal(enc.datakey_length, '32');
        const out = await kms('decrypt-datakey', { key_id: alias, cipher_text: enc.cipher_text, datakey_cipher_length: '32' });
        t.equal(out.data_key, dek.toString('hex'), `${alias} round trip`);
        t.equal(out.datakey_dgst, createHash(hash).update(dek).digest('hex'), `${alias} digest is ${hash}`);
        const bad = Buffer.concat([dek, createHash(hash === 'sha256' ? 'sm3' : 'sha256').update(dek).digest()]).toString('hex');
        e = await apiError(kms('encrypt-datakey', { key_id: alias, plain_text: bad, datakey_plain_length: '32' }));
        t.equal(e.code, 'KMS.2103', `${alias} digest mismatch refused`);
      }
      e = await apiError(kms('encrypt-datakey', { key_id: 'suite-a', plain_text: 'abcd', datakey_plain_length: '32' }));
      t.equal(e.code, 'KMS.2102');
    });

    await t.test('gen-random and MACs', async (t) => {
      const r = await kms('gen-random', { random_data_length: '512' });
      t.match(r.random_data, /^[0-9a-f]{128}$/);
      t.equal((await kms('gen-random', { random_data_length: 8 })).random_data.length, 2);
      t.equal((await kms('gen-random', { random_data_length: '8192' })).random_data.length, 2048);
      for (const bad of ['0', '7', '12', '8200', '-8']) {
        const e = await apiError(kms('gen-random', { random_data_length: bad }));
        t.equal(e.code, 'KMS.1801', `random_data_length ${bad}`);
      }
      const message = Buffer.from('message to authenticate').toString('base64');
      const m = await kms('generate-mac', { key_id: 'suite-mac', mac_algorithm: 'HMAC_SHA_256', message });
      t.equal(Buffer.from(m.mac, 'base64').length, 32);
      t.equal((await kms('verify-mac', { key_id: 'suite-mac', mac_algorithm: 'HMAC_SHA_256', message, mac: m.mac })).mac_valid, true);
      const flipped = Buffer.from(m.mac, 'base64');
      flipped[0] ^= 1;
      t.equal((await kms('verify-mac', { key_id: 'suite-mac', mac_algorithm: 'HMAC_SHA_256', message, mac: flipped.toString('base64') })).mac_valid, false);
      let e = await apiError(kms('generate-mac', { key_id: 'suite-mac', mac_algorithm: 'HMAC_SHA_512', message }));
      t.equal(e.code, 'KMS.0308');
      e = await apiError(kms('generate-mac', { key_id: 'suite-a', mac_algorithm: 'HMAC_SHA_256', message }));
      t.equal(e.code, 'KMS.0308', 'an AES key cannot MAC');
      const material = await readKeyMaterial({ dbUrl, dataDir: d.dataDir, passphrase: env.DEW_MASTER_PASSPHRASE, keyId: m.key_id });
      t.equal(m.mac, createHmac('sha256', material).update('message to authenticate').digest('base64'), 'the HMAC-SHA-256 node:crypto computes');
    });

    await t.test('HMAC_384, HMAC_512 and HMAC_SM3 keys: MACs match independent implementations', async (t) => {
      // The suite's daemon has used its quota of 5: these keys live on a daemon of their own.
      const macUrl = await databaseFor(t, backend);
      const md = await start({ dbUrl: macUrl, env });
      const mkms = (op: string, body: object = {}) => md.client.kms(op, body) as Promise<Any>;
      const specs = [
        ['HMAC_384', 'HMAC_SHA_384', 'sha384', 48],
        ['HMAC_512', 'HMAC_SHA_512', 'sha512', 64],
        ['HMAC_SM3', 'HMAC_SM3', 'sm3', 32],
      ] as const;
      const messages = [Buffer.from('m'), Buffer.from('message to authenticate'), randomBytes(4096)];
      for (const [spec, algorithm, digest, bytes] of specs) {
        const created = await mkms('create-key', { key_alias: `mac-${spec.toLowerCase()}`, key_spec: spec });
        const keyId = created.key_info.key_id as string;
        const info = (await mkms('describe-key', { key_id: keyId })).key_info;
        t.equal(info.key_spec, spec);
        t.equal(info.key_usage, 'GENERATE_VERIFY_MAC');
        const material = await readKeyMaterial({ dbUrl: macUrl, dataDir: md.dataDir, passphrase: env.DEW_MASTER_PASSPHRASE, keyId });
        t.equal(material.length, bytes, `${spec}: ${bytes} bytes of material`);
        for (const msg of messages) {
          const message = msg.toString('base64');
          const r = await mkms('generate-mac', { key_id: keyId, mac_algorithm: algorithm, message });
          t.equal(r.key_id, keyId);
          t.equal(r.mac_algorithm, algorithm);
          const mac = Buffer.from(r.mac, 'base64');
          t.equal(mac.toString('hex'), createHmac(digest, material).update(msg).digest('hex'), `${spec}, ${msg.length} B: node:crypto agrees`);
          if (spec === 'HMAC_SM3') {
            t.equal(mac.toString('hex'), smCrypto.sm3(Array.from(msg), { key: material.toString('hex') }), `${msg.length} B: sm-crypto's HMAC-SM3 agrees`);
            const out = openssl(['mac', '-digest', 'SM3', '-macopt', `hexkey:${material.toString('hex')}`, 'HMAC'], msg).toString().trim();
            t.equal(mac.toString('hex'), out.toLowerCase(), `${msg.length} B: openssl mac HMAC SM3 agrees`);
          }
          const v = await mkms('verify-mac', { key_id: keyId, mac_algorithm: algorithm, message, mac: r.mac });
          t.same(v, { key_id: keyId, mac_algorithm: algorithm, mac_valid: true });
          const flipped = Buffer.from(mac);
          flipped[mac.length - 1] ^= 0x80;
          t.equal((await mkms('verify-mac', { key_id: keyId, mac_algorithm: algorithm, message, mac: flipped.toString('base64') })).mac_valid, false, `${spec}: a flipped bit fails`);
          const other = (msg.length > 1 ? msg.subarray(1) : Buffer.from('n')).toString('base64');
          t.equal((await mkms('verify-mac', { key_id: keyId, mac_algorithm: algorithm, message: other, mac: r.mac })).mac_valid, false, `${spec}: another message fails`);
        }
        for (const wrong of ['HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512', 'HMAC_SM3'].filter((a) => a !== algorithm)) {
          const e = await apiError(mkms('generate-mac', { key_id: keyId, mac_algorithm: wrong, message: 'bQ==' }));
          t.equal(e.code, 'KMS.0308', `${spec} refuses ${wrong}`);
        }
        const e = await apiError(mkms('encrypt-data', { key_id: keyId, plain_text: 'x' }));
        t.equal(e.code, 'KMS.0308', `${spec} cannot encrypt`);
      }
    });

    await t.test('tags', async (t) => {
      const keyId = (await kms('describe-key', { key_id: 'suite-a' })).key_info.key_id;
      const base = `/v1.0/{project_id}/kms/${keyId}/tags`;
      let r = await d.client.request('POST', base, { tag: { key: 'env', value: 'prod' } });
      t.equal(r.status, 204);
      r = await d.client.request('POST', `${base}/action`, { action: 'create', tags: [{ key: 'team', value: 'pay' }, { key: 'tier', value: '1' }] });
      t.equal(r.status, 204);
      r = await d.client.request('GET', base);
      t.same((r.body as Any).tags.sort((a: Any, b: Any) => (a.key < b.key ? -1 : 1)), [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'pay' },
        { key: 'tier', value: '1' },
      ]);
      t.equal((r.body as Any).existTagsNum, 3);
      r = await d.client.request('DELETE', `${base}/tier`);
      t.equal(r.status, 204);
      const project = (await d.client.request('GET', '/v1.0/{project_id}/kms/tags')).body as Any;
      t.same(project.tags, [{ key: 'env', values: ['prod'] }, { key: 'team', values: ['pay'] }]);
      const filter = (await d.client.request('POST', '/v1.0/{project_id}/kms/resource_instances/action', { action: 'filter', tags: [{ key: 'env', values: ['prod'] }] })).body as Any;
      t.equal(filter.total_count, 1);
      t.equal(filter.resources[0].resource_id, keyId);
      t.equal(filter.resources[0].resource_name, 'suite-a');
      const count = (await d.client.request('POST', '/v1.0/{project_id}/kms/resource_instances/action', { action: 'count', matches: [{ key: 'resource_name', value: 'suite' }] })).body as Any;
      t.ok(count.total_count >= 4);
      const many = Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
      const e = await apiError(d.client.request('POST', `${base}/action`, { action: 'create', tags: many }));
      t.equal(e.code, 'KMS.0409', 'at most 10 tags a key');
      for (const [tag, code] of [[{ key: 'a=b', value: 'v' }, 'KMS.0406'], [{ key: 'ok', value: 'x'.repeat(44) }, 'KMS.0405'], [{ key: 'k'.repeat(37), value: '' }, 'KMS.0406']] as const) {
        const err = await apiError(d.client.request('POST', base, { tag }));
        t.equal(err.code, code, JSON.stringify(tag));
      }
    });

    await t.test('revisions bump on every change', async (t) => {
      const before = (await kms('describe-key', { key_id: 'suite-renamed' })).key_info.revision;
      await kms('update-key-description', { key_id: 'suite-renamed', key_description: 'again' });
      const after = (await kms('describe-key', { key_id: 'suite-renamed' })).key_info.revision;
      t.equal(after, before + 1);
    });

    await t.test('a restart keeps every key and every ciphertext decrypting', async (t) => {
      const e1 = await kms('encrypt-data', { key_id: 'suite-b', plain_text: 'survives restart' });
      const dk = await kms('create-datakey', { key_id: 'suite-a' });
      const macBefore = await kms('generate-mac', { key_id: 'suite-mac', mac_algorithm: 'HMAC_SHA_256', message: Buffer.from('survives restart').toString('base64') });
      await d.stop();
      const again = await start({ dbUrl, dataDir: d.dataDir, args: ['--key-quota', '5'], env });
      t.equal(again.credentials.access_key, d.credentials.access_key, 'the same admin credentials');
      t.equal(((await again.client.kms('decrypt-data', { cipher_text: e1.cipher_text })) as Any).plain_text, 'survives restart');
      const dec = (await again.client.kms('decrypt-datakey', { key_id: 'suite-a', cipher_text: dk.cipher_text, datakey_cipher_length: '32' })) as Any;
      t.equal(dec.data_key, dk.plain_text);
      const message = Buffer.from('survives restart').toString('base64');
      const mac = (await again.client.kms('generate-mac', { key_id: 'suite-mac', mac_algorithm: 'HMAC_SHA_256', message })) as Any;
      t.equal(mac.mac, macBefore.mac, 'the HMAC key gives the same MAC after the restart');
    });
  }).then(() => undefined);
}
