/**
 * The real `terraform` (1.11) reading the dew_kms_data_key and dew_kms_public_key data sources against a real
 * daemon: a data key's plain_text is sensitive ((sensitive value) in show, marked in the state) and
 * decrypt-datakey of its cipher_text gives the same bytes; the public key of an EC_P256 and an RSA_2048
 * signing key is a PEM that node:crypto and openssl verify a signature made by the daemon with. A second
 * plan after apply has no changes; a key that does not exist is an error naming it.
 */
import t from 'tap';
import { createHash, verify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TERRAFORM } from '../helpers/terraform.js';
import { PROVIDER, ok, sensitiveInState, tfWorld, whereInState } from './e2e-setup.js';

const b64 = (v: string | Buffer): string => Buffer.from(v).toString('base64');

const CONFIG = (extra = '') => `${PROVIDER}
resource "dew_kms_key" "aes" {
  key_alias = "tf-data"
}

resource "dew_kms_key" "ec" {
  key_alias     = "tf-ec"
  key_algorithm = "EC_P256"
  key_usage     = "SIGN_VERIFY"
}

resource "dew_kms_key" "rsa" {
  key_alias     = "tf-rsa"
  key_algorithm = "RSA_2048"
  key_usage     = "SIGN_VERIFY"
}

data "dew_kms_data_key" "dk" {
  key_id             = dew_kms_key.aes.key_id
  datakey_length     = "256"
  additional_authenticated_data = "app=orders"
}

data "dew_kms_public_key" "ec" {
  key_id = dew_kms_key.ec.key_id
}

data "dew_kms_public_key" "rsa" {
  key_id = dew_kms_key.rsa.key_alias
}

output "ec_pem" {
  value = data.dew_kms_public_key.ec.public_key
}

output "rsa_pem" {
  value = data.dew_kms_public_key.rsa.public_key
}

output "ec_usage" {
  value = "\${data.dew_kms_public_key.ec.key_algorithm}/\${data.dew_kms_public_key.ec.key_usage}"
}
${extra}`;

t.test('terraform reads data keys and public keys from dew', { skip: existsSync(TERRAFORM) ? false : `LOUD SKIP: no terraform binary at ${TERRAFORM}` }, async (t) => {
  const w = await tfWorld(t);
  const tmp = mkdtempSync(join(tmpdir(), 'dew-tf-data-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const tf = (...a: string[]) => w.run(a);
  const kms = async (op: string, body: Record<string, unknown>) => (await w.td.client.kms(op, body)) as Record<string, any>;
  const data = (type: string, name: string): Record<string, any> =>
    w.state().resources.find((r: { mode: string; type: string; name: string }) => r.mode === 'data' && r.type === type && r.name === name).instances[0].attributes;
  const outputs = async (): Promise<Record<string, any>> => {
    const r = await w.ws.run(['output', '-json']);
    t.equal(r.code, 0, r.stderr);
    return Object.fromEntries(Object.entries(JSON.parse(r.stdout)).map(([k, v]) => [k, (v as { value: unknown }).value]));
  };
  w.ws.write('main.tf', CONFIG());

  const a = await tf('apply', '-auto-approve');
  ok(t, a, 'apply');
  t.match(a.stdout, /Apply complete! Resources: 3 added, 0 changed, 0 destroyed\./);
  const p = await tf('plan', '-detailed-exitcode');
  t.equal(p.code, 0, `a second plan has no changes (a data source read again is no change)\n${p.stdout}${p.stderr}`);

  await t.test('dew_kms_data_key: plain_text sensitive, and decrypt-datakey gives the same bytes', async (t) => {
    const dk = data('dew_kms_data_key', 'dk');
    t.match(dk.plain_text, /^[0-9a-f]{64}$/, '256 bits in hex');
    t.match(dk.cipher_text, /^[0-9a-f]+$/);
    const back = await kms('decrypt-datakey', { key_id: dk.key_id, cipher_text: dk.cipher_text, datakey_cipher_length: '32', additional_authenticated_data: 'app=orders' });
    t.equal(back.data_key, dk.plain_text, 'decrypt-datakey of cipher_text gives plain_text');
    await t.rejects(kms('decrypt-datakey', { key_id: dk.key_id, cipher_text: dk.cipher_text, datakey_cipher_length: '32', additional_authenticated_data: 'app=other' }), 'the additional authenticated data is bound');
    const state = w.state();
    t.ok(sensitiveInState(state).includes('data.dew_kms_data_key.dk.plain_text'), 'plain_text is marked sensitive in the state');
    t.same(whereInState(state, dk.plain_text), ['data.dew_kms_data_key.dk.plain_text'], 'the data key is in the state only as the data source\u2019s sensitive plain_text');
    const show = await tf('show');
    t.match(show.stdout, /data "dew_kms_data_key" "dk"[\s\S]*?plain_text\s+= \(sensitive value\)/);
    t.notOk(w.logs.join('\n').includes(dk.plain_text), 'no terraform output shows the data key');
  });

  await t.test('dew_kms_public_key: a PEM that verifies the daemon\u2019s signatures', async (t) => {
    const o = await outputs();
    t.match(o.ec_pem, /^-----BEGIN PUBLIC KEY-----\n/);
    t.match(o.rsa_pem, /^-----BEGIN PUBLIC KEY-----\n/);
    t.equal(o.ec_usage, 'EC_P256/SIGN_VERIFY');
    const msg = 'signed by dew, checked outside';
    const ecKey = data('dew_kms_public_key', 'ec').key_id;
    const ecSig = Buffer.from((await kms('sign', { key_id: ecKey, signing_algorithm: 'ECDSA_SHA_256', message: b64(createHash('sha256').update(msg).digest()) })).signature, 'base64');
    t.ok(verify('sha256', Buffer.from(msg), o.ec_pem, ecSig), 'node:crypto verifies the EC signature with the PEM');
    t.notOk(verify('sha256', Buffer.from(`${msg}!`), o.ec_pem, ecSig), 'and not for another message');
    writeFileSync(join(tmp, 'ec.pem'), o.ec_pem);
    writeFileSync(join(tmp, 'msg'), msg);
    writeFileSync(join(tmp, 'ec.sig'), ecSig);
    t.match(execFileSync('openssl', ['dgst', '-sha256', '-verify', join(tmp, 'ec.pem'), '-signature', join(tmp, 'ec.sig'), join(tmp, 'msg')]).toString(), /Verified OK/, 'openssl verifies it too');
    const rsaSig = Buffer.from((await kms('sign', { key_id: 'tf-rsa', signing_algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', message: b64(msg), message_type: 'RAW' })).signature, 'base64');
    t.ok(verify('sha256', Buffer.from(msg), o.rsa_pem, rsaSig), 'node:crypto verifies the RSA signature with the PEM (key looked up by alias)');
    t.equal(data('dew_kms_public_key', 'rsa').key_usage, 'SIGN_VERIFY');
  });

  await t.test('a key that does not exist is an error naming it', async (t) => {
    w.ws.write('main.tf', CONFIG(`\ndata "dew_kms_public_key" "none" {\n  key_id = "00000000-0000-4000-8000-000000000000"\n}\n`));
    const r = await tf('plan');
    t.equal(r.code, 1);
    t.match(r.stderr.replace(/[\s│]+/g, ' '), /dew_kms_public_key: key "00000000-0000-4000-8000-000000000000" was not found/);
    w.ws.write('main.tf', CONFIG());
  });

  const d = await tf('destroy', '-auto-approve');
  ok(t, d, 'destroy');
  t.match(d.stdout, /Destroy complete! Resources: 3 destroyed\./);
  t.same(whereInState(w.state(), w.secretKey), []);
  t.notOk(w.logs.join('\n').includes(w.secretKey), 'the AK/SK secret is in no output');
});
