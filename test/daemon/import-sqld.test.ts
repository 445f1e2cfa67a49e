/** A subset of the asymmetric and import suites on a real sqld server (the one-transaction import uses SQLite's changes()). */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { tempDir } from '../hsm-asym/fixtures/openssl.js';
import { kmsCommand } from '../../provider/commands/kms.js';
import { b64, digestOf, opensslVerifies } from './asym-helpers.js';

type Any = Record<string, any>;

t.test('asymmetric keys and BYOK on sqld', async (t) => {
  const dbUrl = await databaseFor(t, 'sqld');
  const d = await startTestDaemon(t, { dbUrl, env: { DEW_MASTER_PASSPHRASE: 'asym sqld passphrase' } });
  const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
  const tmp = tempDir('dew-import-sqld-');
  t.teardown(tmp.cleanup);
  const dew = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await kmsCommand({
      argv: ['--credentials', join(d.dataDir, 'credentials.json'), ...argv], cwd: tmp.dir, env: {}, now: Date.now,
      stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (err += s) },
    });
    return { code, out, err };
  };

  const ec = (await kms('create-key', { key_alias: 'sq-ec', key_spec: 'EC_P256' })).key_info.key_id;
  const msg = Buffer.from('sqld-backed signature');
  const sig = await kms('sign', { key_id: ec, signing_algorithm: 'ECDSA_SHA_256', message: b64(digestOf('ECDSA_SHA_256', msg)) });
  const pub = tmp.write('ec.pem', (await kms('get-publickey', { key_id: ec })).public_key);
  t.ok(opensslVerifies('ECDSA_SHA_256', pub, tmp.write('msg', msg), tmp.write('sig', Buffer.from(sig.signature, 'base64'))), 'OpenSSL verifies');

  const aes = (await kms('create-key', { key_alias: 'sq-aes', origin: 'external' })).key_info.key_id;
  tmp.write('material.bin', randomBytes(32));
  const r = await dew('import-material', '--key', aes, '--file', 'material.bin');
  t.equal(r.code, 0, r.err);
  const ct = await kms('encrypt-data', { key_id: aes, plain_text: 'on sqld' });
  await kms('delete-imported-key-material', { key_id: aes });
  t.equal((await kms('describe-key', { key_id: aes })).key_info.key_state, '5');
  const different = await dew('import-material', '--key', aes, '--file', tmp.write('other.bin', randomBytes(32)));
  t.match(different.err, /KMS\.2606/, 'different material refused');
  t.equal((await dew('import-material', '--key', aes, '--file', 'material.bin')).code, 0, 'identical material re-imported');
  t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'on sqld');

  const p = await kms('get-parameters-for-import', { key_id: (await kms('create-key', { key_alias: 'sq-aes-2', origin: 'external' })).key_info.key_id, wrapping_algorithm: 'RSAES_OAEP_SHA_256' });
  t.equal((await apiError(kms('import-key-material', { key_id: aes, import_token: p.import_token, encrypted_key_material: randomBytes(384).toString('base64') }))).code, 'KMS.2603');
});
