/**
 * HSM instances and keystores through the API of a real daemon, with `software` instances: the
 * create job and the states, the admin credential (shown once, needed for freeze, unfreeze, delete
 * and token details, never stored or logged), the specification that cannot change, keystores on
 * an instance (one each, enable/disable, delete only when empty naming the count), keys created in
 * a keystore (data path, rotation, grants, scheduled deletion, audit as any key), a disabled
 * keystore and a frozen instance refusing use, the error shapes, and a second daemon on the same
 * database seeing it all.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon, databaseFor, expectCode, eventually, type TestDaemon } from '../helpers/daemon.js';
import type { DewClient } from '../../provider/client/dew-client.js';
import { hsmApi, HSMS, KS } from './hsm-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
function api(c: DewClient) {
  const base = hsmApi(c);
  const createInstance = async (name: string, specification = 'software') => {
    const made = await base.req('POST', HSMS, { name, specification, description: `instance ${name}` });
    const j = await base.job(made.job_id);
    return { ...made, job: j };
  };
  return { ...base, createInstance };
}

t.test('software HSM instances and keystores', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  // A passphrase-sealed master key, so a second daemon on the database can unseal it too.
  const env = { DEW_MASTER_PASSPHRASE: 'hsm instances test passphrase' };
  const args = ['--sync-interval', '50'];
  const d: TestDaemon = await startTestDaemon(t, { dbUrl, env, args });
  const { req, kms, job, createInstance } = api(d.client);

  const a = await createInstance('hsm-a');
  t.match(a.hsm_id, /^[0-9a-f-]{36}$/);
  t.match(a.admin_credential, /^dhsm_[A-Za-z0-9_-]{43}$/, 'the credential is answered once at creation');
  t.match(a.job, { job_type: 'CREATE', status: 'SUCCESS', hsm_id: a.hsm_id, fail_reason: null });

  await t.test('show, list and paging; the credential is never shown again', async (t) => {
    const shown = (await req('GET', `${HSMS}/${a.hsm_id}`)).hsm;
    t.match(shown, { hsm_id: a.hsm_id, name: 'hsm-a', specification: 'software', status: 'RUNNING', keystore_id: '', key_count: 0, description: 'instance hsm-a' });
    t.notOk(JSON.stringify(shown).includes(a.admin_credential));
    const b = await createInstance('hsm-b');
    const all = await req('GET', HSMS);
    t.equal(all.total, 2);
    t.same(all.hsms.map((h: Any) => h.name), ['hsm-a', 'hsm-b']);
    const second = await d.client.request('GET', HSMS, undefined, { limit: 1, offset: 1 });
    t.same((second.body as Any).hsms.map((h: Any) => h.hsm_id), [b.hsm_id]);
    await expectCode(t, d.client.request('GET', HSMS, undefined, { limit: 0 }), 400, 'DHSM.0003', 'limit 0');
    await expectCode(t, req('POST', HSMS, { name: 'hsm-a', specification: 'software' }), 409, 'DHSM.0103', 'a taken name', /hsm-a/);
    await expectCode(t, req('POST', HSMS, { name: 'bad name!', specification: 'software' }), 400, 'DHSM.0003', 'a bad name');
    await expectCode(t, req('POST', HSMS, { name: 'x' }), 400, 'DHSM.0002', 'no specification');
    await expectCode(t, req('POST', HSMS, { name: 'x', specification: 'quantum' }), 400, 'DHSM.0003', 'an unknown specification');
    await expectCode(t, req('POST', HSMS, { name: 'p', specification: 'pkcs11' }), 400, 'DHSM.0108', 'pkcs11 without a library', /--pkcs11-library/);
    await expectCode(t, req('GET', `${HSMS}/00000000-0000-4000-8000-000000000000`), 404, 'DHSM.0101', 'an unknown instance');
    await expectCode(t, req('GET', `${HSMS}/jobs/nope`), 404, 'DHSM.0102', 'an unknown job');
    const raw = await d.client.request('POST', HSMS, undefined).catch((e) => e);
    t.equal(raw.code, 'DHSM.0002', 'no body: the DHSM shape and code');
    t.equal(raw.body?.error_code ?? raw.code, 'DHSM.0002', 'top-level error_code (flat shape)');
  });

  await t.test('the specification cannot change; the name and description can', async (t) => {
    await expectCode(t, req('PUT', `${HSMS}/${a.hsm_id}`, { specification: 'pkcs11' }), 400, 'DHSM.0106', 'a new specification', /cannot change/);
    const same = (await req('PUT', `${HSMS}/${a.hsm_id}`, { specification: 'software', description: 'renamed' })).hsm;
    t.equal(same.description, 'renamed', 'its own specification is accepted');
    await expectCode(t, req('PUT', `${HSMS}/${a.hsm_id}`, { name: 'hsm-b' }), 409, 'DHSM.0103', 'a rename onto a taken name');
  });

  await t.test('privileged operations need the instance credential', async (t) => {
    await expectCode(t, req('POST', `${HSMS}/${a.hsm_id}/freeze`), 403, 'DHSM.0104', 'no credential', /missing/);
    const other = await createInstance('hsm-c');
    await expectCode(t, req('POST', `${HSMS}/${a.hsm_id}/freeze`, undefined, other.admin_credential), 403, 'DHSM.0104', "another instance's credential");
    await expectCode(t, req('POST', `${HSMS}/${a.hsm_id}/freeze`, undefined, 'dhsm_short'), 403, 'DHSM.0104', 'a malformed credential');
    await expectCode(t, req('GET', `${HSMS}/${a.hsm_id}/token`, undefined, a.admin_credential), 400, 'DHSM.0003', 'a software instance has no token', /software/);
    const del = await req('DELETE', `${HSMS}/${other.hsm_id}`, undefined, other.admin_credential);
    t.match(await job(del.job_id), { job_type: 'DELETE', status: 'SUCCESS' });
    await expectCode(t, req('GET', `${HSMS}/${other.hsm_id}`), 404, 'DHSM.0101', 'a deleted instance is gone');
  });

  let ksId = '';
  await t.test('keystores on an instance', async (t) => {
    await expectCode(t, req('POST', KS, { keystore_alias: 'ks-x', hsm_cluster_id: '00000000-0000-4000-8000-000000000000' }), 400, 'KMS.4603', 'an unknown instance', /does not exist/);
    await expectCode(t, req('POST', KS, { keystore_alias: 'ks-x', keystore_type: 'CDMS', hsm_cluster_id: a.hsm_id }), 400, 'KMS.0308', 'a CDMS keystore', /DHSM/);
    await expectCode(t, req('POST', KS, { keystore_alias: 'bad alias', hsm_cluster_id: a.hsm_id }), 400, 'KMS.0308', 'a bad alias');
    await expectCode(t, req('POST', KS, { keystore_alias: 'ks-x' }), 400, 'KMS.0204', 'no instance');
    const made = (await req('POST', KS, { keystore_alias: 'ks-a', keystore_type: 'DHSM', hsm_cluster_id: a.hsm_id })).keystore;
    ksId = made.keystore_id;
    t.match(made, { keystore_id: /^[0-9a-f-]{36}$/, domain_id: d.daemon.credentials.domain_id });
    await expectCode(t, req('POST', KS, { keystore_alias: 'ks-a2', hsm_cluster_id: a.hsm_id }), 400, 'KMS.4603', 'a second keystore on the instance', /already has keystore/);
    const b = (await req('GET', HSMS)).hsms.find((h: Any) => h.name === 'hsm-b');
    await expectCode(t, req('POST', KS, { keystore_alias: 'ks-a', hsm_cluster_id: b.hsm_id }), 400, 'KMS.4602', 'a taken alias');
    const shown = (await req('GET', `${KS}/${ksId}`)).keystore;
    t.match(shown, { keystore_id: ksId, keystore_alias: 'ks-a', keystore_type: 'DHSM', hsm_cluster_id: a.hsm_id, cluster_id: a.hsm_id, keystore_state: 'ENABLED', key_count: 0 });
    const list = await req('GET', KS);
    t.equal(list.total, 1);
    t.equal((await req('GET', `${HSMS}/${a.hsm_id}`)).hsm.keystore_id, ksId, 'the instance names its keystore');
    await expectCode(t, req('GET', `${KS}/0`), 400, 'KMS.4610', 'the default keystore is not one of these');
    await expectCode(t, req('GET', `${KS}/00000000-0000-4000-8000-000000000000`), 404, 'KMS.4601', 'an unknown keystore');
    await expectCode(t, req('DELETE', `${HSMS}/${a.hsm_id}`, undefined, a.admin_credential), 409, 'DHSM.0105', 'an instance with a keystore is not deleted', new RegExp(ksId));
  });

  await t.test('keys in the keystore work as any key', async (t) => {
    const k = (await kms('create-key', { key_alias: 'in-hsm', keystore_id: ksId })).key_info;
    const details = (await kms('describe-key', { key_id: k.key_id })).key_info;
    t.equal(details.keystore_id, ksId);
    const ct = await kms('encrypt-data', { key_id: k.key_id, plain_text: 'hello' });
    t.equal(Buffer.from(ct.cipher_text, 'base64').length, 124 + 16, 'the same ciphertext length rule');
    t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'hello');
    const dk = await kms('create-datakey', { key_id: k.key_id, datakey_length: '256' });
    t.equal((await kms('decrypt-datakey', { key_id: k.key_id, cipher_text: dk.cipher_text, datakey_cipher_length: '32' })).data_key, dk.plain_text);
    const sig = (await kms('create-key', { key_alias: 'in-hsm-ec', key_spec: 'EC_P256', key_usage: 'SIGN_VERIFY', keystore_id: ksId })).key_info;
    const s = await kms('sign', { key_id: sig.key_id, message: Buffer.from('m').toString('base64'), signing_algorithm: 'ECDSA_SHA_256', message_type: 'RAW' });
    t.equal((await kms('verify', { key_id: sig.key_id, message: Buffer.from('m').toString('base64'), signature: s.signature, signing_algorithm: 'ECDSA_SHA_256', message_type: 'RAW' })).signature_valid, 'true');
    const mac = (await kms('create-key', { key_alias: 'in-hsm-mac', key_spec: 'HMAC_256', key_usage: 'GENERATE_VERIFY_MAC', keystore_id: ksId })).key_info;
    const m = await kms('generate-mac', { key_id: mac.key_id, mac_algorithm: 'HMAC_SHA_256', message: Buffer.from('m').toString('base64') });
    t.ok(m.mac);
    // Rotation makes version 2 in the instance's partition; old ciphertext still decrypts.
    await kms('rotate-on-demand', { key_id: k.key_id });
    const ct2 = await kms('encrypt-data', { key_id: k.key_id, plain_text: 'after' });
    t.equal((await kms('decrypt-data', { cipher_text: ct2.cipher_text })).plain_text, 'after');
    t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'hello', 'version 1 still decrypts');
    t.equal((await req('GET', `${KS}/${ksId}`)).keystore.key_count, 3);
    t.equal((await req('GET', `${HSMS}/${a.hsm_id}`)).hsm.key_count, 3);

    await t.test('a disabled keystore refuses use of its keys', async (t) => {
      t.same((await req('POST', `${KS}/${ksId}/disable`)).keystore, { keystore_id: ksId, keystore_state: 'DISABLED' });
      await expectCode(t, kms('encrypt-data', { key_id: k.key_id, plain_text: 'x' }), 400, 'KMS.4606', 'encrypt', /disabled/);
      await expectCode(t, kms('decrypt-data', { cipher_text: ct.cipher_text }), 400, 'KMS.4606', 'decrypt');
      await expectCode(t, kms('sign', { key_id: sig.key_id, message: 'bQ==', signing_algorithm: 'ECDSA_SHA_256', message_type: 'RAW' }), 400, 'KMS.4606', 'sign');
      await expectCode(t, kms('create-key', { key_alias: 'late', keystore_id: ksId }), 400, 'KMS.4606', 'create-key in it');
      t.equal((await kms('describe-key', { key_id: k.key_id })).key_info.key_id, k.key_id, 'the key can still be described');
      await req('POST', `${KS}/${ksId}/enable`);
      t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'hello', 'enabled again: usable');
    });

    await t.test('a frozen instance refuses use of its keys until unfrozen', async (t) => {
      const f = await req('POST', `${HSMS}/${a.hsm_id}/freeze`, undefined, a.admin_credential);
      t.match(await job(f.job_id), { job_type: 'FREEZE', status: 'SUCCESS' });
      t.equal((await req('GET', `${HSMS}/${a.hsm_id}`)).hsm.status, 'FROZEN');
      await expectCode(t, kms('encrypt-data', { key_id: k.key_id, plain_text: 'x' }), 400, 'KMS.4607', 'encrypt on a frozen instance', /frozen/);
      await expectCode(t, req('POST', `${HSMS}/${a.hsm_id}/freeze`, undefined, a.admin_credential), 409, 'DHSM.0105', 'freezing twice');
      t.equal((await kms('encrypt-data', { key_id: (await kms('create-key', { key_alias: 'plain' })).key_info.key_id, plain_text: 'x' })).key_id.length, 36, 'default keystore keys are not affected');
      await req('POST', `${HSMS}/${a.hsm_id}/unfreeze`, undefined, a.admin_credential);
      t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'hello');
    });

    await t.test('a keystore holding keys is not deleted; its count is named', async (t) => {
      await expectCode(t, req('DELETE', `${KS}/${ksId}`), 400, 'KMS.4605', 'a keystore with keys', /3 keys/);
      for (const id of [k.key_id, sig.key_id, mac.key_id]) await kms('schedule-key-deletion', { key_id: id, pending_days: '7' });
      await expectCode(t, req('DELETE', `${KS}/${ksId}`), 400, 'KMS.4605', 'keys pending deletion still count', /3 keys/);
    });
  });

  await t.test('audit records name the instance and keystore, never the credential', async (t) => {
    const records: Any[] = [];
    for (let marker: string | undefined; ; ) {
      const page = (await d.client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1000, ...(marker ? { marker } : {}) })).body as Any;
      records.push(...page.records);
      if (!page.next_marker || page.records.length === 0) break;
      marker = page.next_marker;
    }
    const ops = (op: string) => records.filter((r) => r.operation === op && r.outcome === 'allowed');
    t.ok(ops('create-hsm').some((r) => r.resource_id === a.hsm_id), 'the instance creation is recorded under its id');
    t.ok(ops('freeze-hsm').some((r) => r.resource_id === a.hsm_id), 'so is its freeze');
    t.ok(ops('create-keystore').some((r) => r.resource_id === ksId), 'the keystore creation is recorded under its id');
    t.ok(records.some((r) => r.operation === 'delete-keystore' && r.outcome !== 'allowed'), 'the refused keystore delete is recorded too');
    const text = JSON.stringify(records) + d.logs.join('\n');
    t.notOk(text.includes(a.admin_credential), 'not in the audit trail or logs');
    const files = readdirSync(d.dataDir).filter((f) => !f.endsWith('.key'));
    const dbFile = dbUrl.slice('file:'.length);
    for (const f of [...files.map((f) => join(d.dataDir, f)), dbFile]) {
      try {
        t.notOk(readFileSync(f).includes(a.admin_credential), `not in ${f}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
      }
    }
  });

  await t.test('a second daemon on the database serves the keystore keys and sees a freeze', async (t) => {
    const d2 = await startTestDaemon(t, { dbUrl, env, args });
    const b = (await req('GET', HSMS)).hsms.find((h: Any) => h.name === 'hsm-b');
    const { req: req2, kms: kms2 } = api(d2.client);
    const ks = (await req2('POST', KS, { keystore_alias: 'ks-b', hsm_cluster_id: b.hsm_id })).keystore;
    const k = (await kms2('create-key', { key_alias: 'on-two', keystore_id: ks.keystore_id })).key_info;
    const ct = await kms2('encrypt-data', { key_id: k.key_id, plain_text: 'shared' });
    t.ok(await eventually(async () => (await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text === 'shared'), 'the first daemon decrypts a key made on the second');
    await req2('POST', `${KS}/${ks.keystore_id}/disable`);
    t.ok(
      await eventually(async () => {
        try {
          await kms('encrypt-data', { key_id: k.key_id, plain_text: 'x' });
          return false;
        } catch (err) {
          return (err as Any).code === 'KMS.4606';
        }
      }),
      'a keystore disabled through one daemon is refused by the other',
    );
  });
});
