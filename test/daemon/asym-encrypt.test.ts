/** RSAES_OAEP_SHA_256 and SM2_ENCRYPT through encrypt-data/decrypt-data: round trips, limits, OpenSSL and sm-crypto ciphertexts. */
import t from 'tap';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { openssl, tempDir } from '../hsm-asym/fixtures/openssl.js';
import { sm2PublicHex, smCrypto } from './asym-helpers.js';

type Any = Record<string, any>;

t.test('asymmetric encryption on a file database', async (t) => {
  const dbUrl = await databaseFor(t, 'file');
  const d = await startTestDaemon(t, { dbUrl });
  const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
  const tmp = tempDir('dew-asym-enc-');
  t.teardown(tmp.cleanup);
  const rsa = (await kms('create-key', { key_alias: 'enc-rsa', key_spec: 'RSA_2048', key_usage: 'ENCRYPT_DECRYPT' })).key_info.key_id;
  const sm2 = (await kms('create-key', { key_alias: 'enc-sm2', key_spec: 'SM2', key_usage: 'ENCRYPT_DECRYPT' })).key_info.key_id;
  const aes = (await kms('create-key', { key_alias: 'enc-aes' })).key_info.key_id;

  await t.test('RSAES_OAEP_SHA_256: round trip, k-66 limit, OpenSSL pkeyutl ciphertext decrypts', async (t) => {
    const max = 'x'.repeat(190);
    const ct = await kms('encrypt-data', { key_id: rsa, plain_text: max, encryption_algorithm: 'RSAES_OAEP_SHA_256' });
    t.equal(ct.key_id, rsa);
    t.equal(Buffer.from(ct.cipher_text, 'base64').length, 256, 'one RSA-2048 block');
    const pt = await kms('decrypt-data', { key_id: rsa, cipher_text: ct.cipher_text, encryption_algorithm: 'RSAES_OAEP_SHA_256' });
    t.equal(pt.plain_text, max);
    t.equal(pt.plain_text_base64, Buffer.from(max).toString('base64'));
    const inferred = await kms('decrypt-data', { key_id: 'enc-rsa', cipher_text: ct.cipher_text });
    t.equal(inferred.plain_text, max, 'encryption_algorithm may be omitted when key_id names an RSA key');
    t.equal((await apiError(kms('encrypt-data', { key_id: rsa, plain_text: 'x'.repeat(191), encryption_algorithm: 'RSAES_OAEP_SHA_256' }))).code, 'KMS.2101', '191 bytes refused');

    const pem = tmp.write('rsa.pem', (await kms('get-publickey', { key_id: rsa })).public_key);
    const input = tmp.write('in.txt', 'encrypted by openssl');
    const theirs = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pem, '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256', '-in', input]);
    const back = await kms('decrypt-data', { key_id: rsa, cipher_text: theirs.toString('base64'), encryption_algorithm: 'RSAES_OAEP_SHA_256' });
    t.equal(back.plain_text, 'encrypted by openssl');
  });

  await t.test('SM2_ENCRYPT: round trip, sm-crypto ciphertext (C1C3C2) decrypts', async (t) => {
    const ct = await kms('encrypt-data', { key_id: sm2, plain_text: 'sm2 secret', encryption_algorithm: 'SM2_ENCRYPT' });
    t.equal(Buffer.from(ct.cipher_text, 'base64').length, 65 + 32 + 10, 'C1 (65) + C3 (32) + C2 (n)');
    t.equal((await kms('decrypt-data', { key_id: sm2, cipher_text: ct.cipher_text, encryption_algorithm: 'SM2_ENCRYPT' })).plain_text, 'sm2 secret');
    const big = 'y'.repeat(4096);
    const bigCt = await kms('encrypt-data', { key_id: sm2, plain_text: big, encryption_algorithm: 'SM2_ENCRYPT' });
    t.equal((await kms('decrypt-data', { key_id: sm2, cipher_text: bigCt.cipher_text, encryption_algorithm: 'SM2_ENCRYPT' })).plain_text, big, '4096 bytes');
    const pub = sm2PublicHex((await kms('get-publickey', { key_id: sm2 })).public_key);
    const theirs = Buffer.from('04' + smCrypto.sm2.doEncrypt(Array.from(Buffer.from('from sm-crypto')), pub, 1), 'hex');
    t.equal((await kms('decrypt-data', { key_id: sm2, cipher_text: theirs.toString('base64'), encryption_algorithm: 'SM2_ENCRYPT' })).plain_text, 'from sm-crypto');
  });

  await t.test('hostile decrypt/encrypt input', async (t) => {
    const ct = (await kms('encrypt-data', { key_id: rsa, plain_text: 'hello', encryption_algorithm: 'RSAES_OAEP_SHA_256' })).cipher_text as string;
    const tampered = Buffer.from(ct, 'base64');
    tampered[10]! ^= 1;
    const other = (await kms('create-key', { key_alias: 'enc-rsa-2', key_spec: 'RSA_2048', key_usage: 'ENCRYPT_DECRYPT' })).key_info.key_id;
    const cases: [string, string, Any, string][] = [
      ['asymmetric ciphertext without key_id', 'decrypt-data', { cipher_text: ct, encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.0204'],
      ['the wrong key', 'decrypt-data', { key_id: other, cipher_text: ct, encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.2201'],
      ['tampered ciphertext', 'decrypt-data', { key_id: rsa, cipher_text: tampered.toString('base64'), encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.2201'],
      ['truncated ciphertext', 'decrypt-data', { key_id: rsa, cipher_text: Buffer.from(ct, 'base64').subarray(0, 200).toString('base64'), encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.2201'],
      ['malformed Base64 ciphertext', 'decrypt-data', { key_id: rsa, cipher_text: 'A'.repeat(130) + '=A', encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.2201'],
      ['SM2_ENCRYPT on an RSA key', 'encrypt-data', { key_id: rsa, plain_text: 'x', encryption_algorithm: 'SM2_ENCRYPT' }, 'KMS.0308'],
      ['RSAES_OAEP_SHA_256 on an SM2 key', 'decrypt-data', { key_id: sm2, cipher_text: ct, encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.0308'],
      ['RSAES_OAEP_SHA_256 on an AES key', 'encrypt-data', { key_id: aes, plain_text: 'x', encryption_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.0308'],
      ['SYMMETRIC_DEFAULT on an RSA key', 'encrypt-data', { key_id: rsa, plain_text: 'x' }, 'KMS.0308'],
      ['sign with an ENCRYPT_DECRYPT key', 'sign', { key_id: rsa, signing_algorithm: 'RSASSA_PSS_SHA_256', message: Buffer.alloc(32).toString('base64') }, 'KMS.0308'],
    ];
    for (const [what, op, body, code] of cases) {
      const e = await apiError(kms(op, body));
      t.equal(e.code, code, `${what}: ${code} (${e.message})`);
      t.equal(e.status, 400, `${what}: 400`);
    }
  });
});
