/** Rotation through the API: settings, status, rotate-on-demand, versions, wrong kinds of keys, default keys. */
import t from 'tap';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';

type Any = Record<string, any>;
const DAY = 86_400_000;

t.test('rotation settings, status and on-demand rotation', async (t) => {
  let clock = Date.UTC(2030, 0, 1);
  const d = await startTestDaemon(t, { dbUrl: await databaseFor(t, 'file'), now: () => clock, args: ['--schedule', 'off'] });
  const c = d.daemon.credentials;
  const client = new DewClient({ endpoint: d.daemon.url, projectId: c.project_id, accessKey: c.access_key, secretKey: c.secret_key, clock: () => clock });
  const kms = (op: string, body: object = {}) => client.kms(op, body) as Promise<Any>;
  const id = (await kms('create-key', { key_alias: 'rot' })).key_info.key_id;

  t.same(await kms('get-key-rotation-status', { key_id: 'rot' }), { key_rotation_enabled: false, rotation_interval: 365, last_rotation_time: '', number_of_rotations: 0 }, 'fresh key: rotation off, 365 days, never rotated');
  t.equal(await kms('enable-key-rotation', { key_id: 'rot' }), undefined, 'enable answers 200 with an empty body');
  t.equal((await kms('describe-key', { key_id: id })).key_info.key_rotation_enabled, 'true');
  await kms('update-key-rotation-interval', { key_id: 'rot', rotation_interval: 30 });
  t.same(await kms('get-key-rotation-status', { key_id: id }), { key_rotation_enabled: true, rotation_interval: 30, last_rotation_time: '', number_of_rotations: 0 });
  for (const bad of [29, 366, 0, -1, 45.5, 'x', '400', true]) {
    const e = await apiError(kms('update-key-rotation-interval', { key_id: 'rot', rotation_interval: bad }));
    t.equal(e.status, 400, `interval ${JSON.stringify(bad)} refused`);
    t.equal(e.code, 'KMS.0308');
  }
  t.match((await apiError(kms('update-key-rotation-interval', { key_id: 'rot', rotation_interval: 10 }))).message, /30 to 365/);
  t.equal((await apiError(kms('update-key-rotation-interval', { key_id: 'rot' }))).code, 'KMS.0204', 'missing interval');
  await kms('update-key-rotation-interval', { key_id: 'rot', rotation_interval: '90' });
  t.equal((await kms('get-key-rotation-status', { key_id: 'rot' })).rotation_interval, 90, 'a string number is accepted, as KMS does elsewhere');

  // Versions: each rotation adds one; new encryptions use the newest; all older ones still decrypt.
  const cts: { ct: string; pt: string }[] = [];
  for (let v = 1; v <= 4; v++) {
    const pt = `secret under version ${v}`;
    cts.push({ pt, ct: (await kms('encrypt-data', { key_id: 'rot', plain_text: pt })).cipher_text });
    const dk = await kms('create-datakey', { key_id: 'rot' });
    cts.push({ pt: dk.plain_text, ct: dk.cipher_text });
    if (v < 4) {
      clock += DAY;
      const r = await kms('rotate-on-demand', { key_id: 'rot' });
      t.equal(r.key_id, id);
      t.equal(r.number_of_rotations, v);
    }
  }
  const st = await kms('get-key-rotation-status', { key_id: 'rot' });
  t.equal(st.number_of_rotations, 3);
  t.equal(st.last_rotation_time, String(clock), 'last_rotation_time is the epoch-ms string of the last rotation');
  const versions = new Set<number>();
  for (const { pt, ct } of cts) {
    if (/^[0-9a-f]+$/.test(ct)) {
      const back = await kms('decrypt-datakey', { key_id: 'rot', cipher_text: ct, datakey_cipher_length: '32' });
      t.equal(back.data_key, pt);
      versions.add(Buffer.from(ct, 'hex').readUInt32BE(8));
    } else {
      t.equal((await kms('decrypt-data', { cipher_text: ct })).plain_text, pt);
      versions.add(Buffer.from(ct, 'base64').readUInt32BE(8));
    }
  }
  t.same([...versions].sort(), [1, 2, 3, 4], 'each ciphertext names the version current when it was made; all of them decrypt');

  await kms('disable-key-rotation', { key_id: 'rot' });
  t.equal((await kms('get-key-rotation-status', { key_id: 'rot' })).key_rotation_enabled, false);

  await t.test('state rules', async (t) => {
    await kms('disable-key', { key_id: 'rot' });
    t.equal((await apiError(kms('rotate-on-demand', { key_id: 'rot' }))).code, 'KMS.0209', 'a disabled key does not rotate');
    await kms('enable-key-rotation', { key_id: 'rot' });
    t.equal((await kms('get-key-rotation-status', { key_id: 'rot' })).key_rotation_enabled, true, 'settings change on a disabled key');
    await kms('schedule-key-deletion', { key_id: 'rot', pending_days: '7' });
    t.equal((await apiError(kms('rotate-on-demand', { key_id: 'rot' }))).code, 'KMS.0210');
    t.equal((await apiError(kms('enable-key-rotation', { key_id: 'rot' }))).code, 'KMS.0210');
    t.equal((await apiError(kms('get-key-rotation-status', { key_id: 'nope' }))).code, 'KMS.0207');
  });

  await t.test('only symmetric KMS keys rotate; others get a clear 400', async (t) => {
    await kms('create-key', { key_alias: 'sm4', key_spec: 'SM4' });
    await kms('rotate-on-demand', { key_id: 'sm4' });
    const ct = (await kms('encrypt-data', { key_id: 'sm4', plain_text: 'sm4 v2' })).cipher_text;
    t.equal((await kms('decrypt-data', { cipher_text: ct })).plain_text, 'sm4 v2', 'SM4 keys rotate');
    await kms('create-key', { key_alias: 'ext', origin: 'external' });
    await kms('create-key', { key_alias: 'rsa', key_spec: 'EC_P256' });
    await kms('create-key', { key_alias: 'mac', key_spec: 'HMAC_256' });
    for (const [alias, re] of [['ext', /origin external/], ['rsa', /EC_P256/], ['mac', /HMAC_256/]] as const) {
      for (const op of ['enable-key-rotation', 'rotate-on-demand', 'update-key-rotation-interval']) {
        const e = await apiError(kms(op, { key_id: alias, ...(op.startsWith('update') ? { rotation_interval: 60 } : {}) }));
        t.equal(e.status, 400, `${op} on ${alias}`);
        t.equal(e.code, 'KMS.0308');
        t.match(e.message, re);
      }
    }
  });

  await t.test('default keys may rotate (only disabling and deletion are forbidden for them)', async (t) => {
    const ct = (await kms('encrypt-data', { key_id: 'obs/default', plain_text: 'before' })).cipher_text;
    await kms('enable-key-rotation', { key_id: 'obs/default' });
    await kms('rotate-on-demand', { key_id: 'obs/default' });
    t.equal((await kms('decrypt-data', { cipher_text: ct })).plain_text, 'before');
    t.equal((await apiError(kms('disable-key', { key_id: 'obs/default' }))).code, 'KMS.0211');
  });
});
