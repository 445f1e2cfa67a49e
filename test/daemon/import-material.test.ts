/**
 * BYOK on a real daemon: the stock OpenSSL 3 commands of the README (pkeyutl OAEP-SHA-256, enc
 * -id-aes256-wrap-pad), `dew kms import-material` for PEM keys and SM2_ENCRYPT/SM4 wrapping, re-import
 * rules, deletion, expiry, and every kind of hostile import as a 4xx with its reference code.
 */
import t from 'tap';
import { constants, createHash, publicEncrypt, randomBytes, createCipheriv, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startTestDaemon, databaseFor, apiError } from '../helpers/daemon.js';
import { openssl, tempDir } from '../hsm-asym/fixtures/openssl.js';
import { kmsCommand } from '../../provider/commands/kms.js';
import { b64, opensslSign, opensslVerifies, sm2PublicHex, smCrypto } from './asym-helpers.js';

type Any = Record<string, any>;

t.test('imported key material on a file database', async (t) => {
  let offset = 0;
  const dbUrl = await databaseFor(t, 'file');
  const d = await startTestDaemon(t, { dbUrl, args: ['--key-quota', '50'], now: () => Date.now() + offset });
  const kms = (op: string, body: object = {}) => d.client.kms(op, body) as Promise<Any>;
  const tmp = tempDir('dew-import-');
  t.teardown(tmp.cleanup);
  const credentials = join(d.dataDir, 'credentials.json');
  const external = async (alias: string, spec: string, usage?: string) =>
    (await kms('create-key', { key_alias: alias, key_spec: spec, origin: 'external', ...(usage ? { key_usage: usage } : {}) })).key_info.key_id as string;
  /** get-parameters-for-import, with the wrapping key written as wrapping.der and wrapping.pem the README way. */
  const parameters = async (keyId: string, wrapping = 'RSAES_OAEP_SHA_256', dir = tmp) => {
    const p = await kms('get-parameters-for-import', { key_id: keyId, wrapping_algorithm: wrapping });
    const der = dir.write('wrapping.der', Buffer.from(p.public_key, 'base64'));
    if (wrapping !== 'SM2_ENCRYPT') openssl(['pkey', '-pubin', '-inform', 'DER', '-in', der, '-out', dir.path('wrapping.pem')]);
    return p;
  };
  const dew = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await kmsCommand({
      argv: ['--credentials', credentials, ...argv], cwd: tmp.dir, env: {}, now: Date.now,
      stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (err += s) },
    });
    return { code, out, err };
  };

  await t.test('AES_256 with the stock OpenSSL 3 commands', async (t) => {
    const keyId = await external('imp-aes', 'AES_256');
    let info = (await kms('describe-key', { key_id: keyId })).key_info;
    t.equal(info.origin, 'external');
    t.equal(info.key_state, '5', 'pending import');
    t.equal(info.expiration_time, '');
    t.equal((await apiError(kms('encrypt-data', { key_id: keyId, plain_text: 'x' }))).status, 400, 'no material: refused');
    const p = await parameters(keyId);
    t.equal(p.key_id, keyId);
    t.type(p.expiration_time, 'number');
    t.ok(p.expiration_time > Date.now() / 1000 + 86_000 && p.expiration_time <= Date.now() / 1000 + 86_400 + 1, 'valid 24 h (seconds)');
    t.ok(p.import_token.length >= 200, 'token length in the reference range');
    t.equal(createPublicKey(readFileSync(tmp.path('wrapping.pem'), 'utf8')).asymmetricKeyDetails?.modulusLength, 3072, 'RSA-3072 wrapping key');
    tmp.write('material.bin', randomBytes(32));
    openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', tmp.path('wrapping.pem'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256', '-in', tmp.path('material.bin'), '-out', tmp.path('material.enc')]);
    const expiry = Math.floor(Date.now() / 1000) + 60;
    const res = await d.client.request('POST', '/v1.0/{project_id}/kms/import-key-material', {
      key_id: keyId, import_token: p.import_token, encrypted_key_material: readFileSync(tmp.path('material.enc')).toString('base64'), expiration_time: expiry,
    });
    t.equal(res.status, 200);
    t.equal(res.body, undefined, 'empty body');
    info = (await kms('describe-key', { key_id: keyId })).key_info;
    t.equal(info.key_state, '2', 'enabled after import');
    t.equal(info.expiration_time, String(expiry * 1000), 'expiration_time (ms, like the other KeyDetails dates)');
    const ct = await kms('encrypt-data', { key_id: keyId, plain_text: 'byok works' });
    t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'byok works');
    t.equal((await apiError(kms('import-key-material', { key_id: keyId, import_token: p.import_token, encrypted_key_material: readFileSync(tmp.path('material.enc')).toString('base64') }))).code, 'KMS.2605', 'a used token is refused');

    // Expiry: enforced on use (the scheduler that deletes expired material comes later).
    offset = 5 * 60_000; // inside the signature clock-skew window
    const late = await apiError(kms('encrypt-data', { key_id: keyId, plain_text: 'late' }));
    t.equal(late.status, 400, `expired material refused (${late.code} ${late.message})`);
    offset = 0;

    // Delete, then re-import: identical material is accepted, different material is KMS.2606.
    const del = await d.client.request('POST', '/v1.0/{project_id}/kms/delete-imported-key-material', { key_id: keyId });
    t.equal(del.status, 200);
    t.equal((await kms('describe-key', { key_id: keyId })).key_info.key_state, '5', 'state 5 after deletion');
    t.equal((await apiError(kms('decrypt-data', { cipher_text: ct.cipher_text }))).status, 400, 'old ciphertext refused while material is deleted');
    t.equal((await apiError(kms('delete-imported-key-material', { key_id: keyId }))).code, 'KMS.2701', 'nothing to delete in state 5');
    const different = await dew('import-material', '--key', keyId, '--file', tmp.write('other.bin', randomBytes(32)));
    t.equal(different.code, 1);
    t.match(different.err, /KMS\.2606/, 'different material refused');
    const same = await dew('import-material', '--key', 'imp-aes', '--file', 'material.bin');
    t.equal(same.code, 0, same.err);
    t.equal(JSON.parse(same.out).key_state, '2');
    t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'byok works', 'identical material decrypts the old ciphertext');
  });

  await t.test('RSA_2048 with openssl enc -id-aes256-wrap-pad and pkeyutl', async (t) => {
    const keyId = await external('imp-rsa', 'RSA_2048');
    await parameters(keyId);
    const p = await parameters(keyId); // a second token: each token has its own wrapping key
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', tmp.path('rsa.pem')]);
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', tmp.path('rsa.pem'), '-outform', 'DER', '-out', tmp.path('key.der')]);
    openssl(['rand', '-out', tmp.path('temp.key'), '32']);
    const hex = readFileSync(tmp.path('temp.key')).toString('hex');
    openssl(['enc', '-id-aes256-wrap-pad', '-K', hex, '-iv', 'A65959A6', '-in', tmp.path('key.der'), '-out', tmp.path('key.wrapped')]);
    openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', tmp.path('wrapping.pem'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256', '-in', tmp.path('temp.key'), '-out', tmp.path('temp.enc')]);
    await kms('import-key-material', {
      key_id: keyId, import_token: p.import_token,
      encrypted_key_material: readFileSync(tmp.path('temp.enc')).toString('base64'),
      encrypted_privatekey: readFileSync(tmp.path('key.wrapped')).toString('base64'),
    });
    const pem = (await kms('get-publickey', { key_id: keyId })).public_key;
    t.equal(pem, openssl(['pkey', '-in', tmp.path('rsa.pem'), '-pubout']).toString(), 'public key is the imported one');
    const msg = tmp.write('rsa-msg', 'signed on both sides');
    for (const algorithm of ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384']) {
      const theirs = opensslSign(algorithm, tmp.path('rsa.pem'), msg);
      const v = await kms('verify', { key_id: keyId, signing_algorithm: algorithm, message: b64('signed on both sides'), message_type: 'RAW', signature: b64(theirs) });
      t.equal(v.signature_valid, 'true', `${algorithm}: OpenSSL's signature verifies through the API`);
      const ours = await kms('sign', { key_id: keyId, signing_algorithm: algorithm, message: b64('signed on both sides'), message_type: 'RAW' });
      t.ok(opensslVerifies(algorithm, tmp.write('rsa-pub.pem', pem), msg, tmp.write('rsa.sig', Buffer.from(ours.signature, 'base64'))), `${algorithm}: OpenSSL verifies ours`);
    }
  });

  await t.test('EC_P256 from an RFC 5915 PEM with dew kms import-material', async (t) => {
    const keyId = await external('imp-ec', 'EC_P256');
    tmp.write('ec.pem', openssl(['ecparam', '-genkey', '-name', 'prime256v1', '-noout']));
    t.match(readFileSync(tmp.path('ec.pem'), 'utf8'), /BEGIN EC PRIVATE KEY/);
    const r = await dew('import-material', '--key', keyId, '--file', 'ec.pem');
    t.equal(r.code, 0, r.err);
    const msg = tmp.write('ec-msg', 'ecdsa both ways');
    const theirs = opensslSign('ECDSA_SHA_256', tmp.path('ec.pem'), msg);
    t.equal((await kms('verify', { key_id: keyId, signing_algorithm: 'ECDSA_SHA_256', message: b64('ecdsa both ways'), message_type: 'RAW', signature: b64(theirs) })).signature_valid, 'true');
    const digest = createHash('sha256').update('ecdsa both ways').digest();
    const ours = await kms('sign', { key_id: keyId, signing_algorithm: 'ECDSA_SHA_256', message: b64(digest) });
    const pub = tmp.write('ec-pub.pem', (await kms('get-publickey', { key_id: keyId })).public_key);
    t.ok(opensslVerifies('ECDSA_SHA_256', pub, msg, tmp.write('ec.sig', Buffer.from(ours.signature, 'base64'))));
  });

  await t.test('SM2 key (SM4 temporary key, SM2_ENCRYPT wrapping) and SM4 material, sm-crypto both ways', async (t) => {
    const keyId = await external('imp-sm2', 'SM2', 'SIGN_VERIFY');
    tmp.write('sm2.pem', openssl(['genpkey', '-algorithm', 'SM2']));
    const r = await dew('import-material', '--key', keyId, '--file', 'sm2.pem', '--wrapping-algorithm', 'SM2_ENCRYPT');
    t.equal(r.code, 0, r.err);
    const pem = (await kms('get-publickey', { key_id: keyId })).public_key;
    t.equal(pem, openssl(['pkey', '-in', tmp.path('sm2.pem'), '-pubout']).toString(), 'SM2 public key with its own curve OID');
    const der = Buffer.from(readFileSync(tmp.path('sm2.pem'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const dHex = der.subarray(der.indexOf(Buffer.from('0420', 'hex')) + 2).subarray(0, 32).toString('hex');
    const msg = Buffer.from('sm2 signed by sm-crypto');
    const theirs = smCrypto.sm2.doSignature(Array.from(msg), dHex, { der: true, hash: true, publicKey: sm2PublicHex(pem) });
    t.equal((await kms('verify', { key_id: keyId, signing_algorithm: 'SM2DSA_SM3', message: b64(msg), message_type: 'RAW', signature: b64(Buffer.from(theirs, 'hex')) })).signature_valid, 'true', 'sm-crypto signs, the API verifies');
    const ours = await kms('sign', { key_id: keyId, signing_algorithm: 'SM2DSA_SM3', message: b64(msg), message_type: 'RAW' });
    t.ok(smCrypto.sm2.doVerifySignature(Array.from(msg), Buffer.from(ours.signature, 'base64').toString('hex'), sm2PublicHex(pem), { der: true, hash: true }), 'the API signs, sm-crypto verifies');
    t.ok(opensslVerifies('SM2DSA_SM3', tmp.write('sm2-pub.pem', pem), tmp.write('sm2-msg', msg), tmp.write('sm2.sig', Buffer.from(ours.signature, 'base64'))), 'OpenSSL verifies');

    const sm4 = await external('imp-sm4', 'SM4');
    const s = await dew('import-material', '--key', sm4, '--file', tmp.write('sm4.bin', randomBytes(16)), '--wrapping-algorithm', 'SM2_ENCRYPT');
    t.equal(s.code, 0, s.err);
    const ct = await kms('encrypt-data', { key_id: sm4, plain_text: 'sm4 byok' });
    t.equal((await kms('decrypt-data', { cipher_text: ct.cipher_text })).plain_text, 'sm4 byok');
  });

  await t.test('hostile imports: each a 4xx with a reference code', async (t) => {
    const rsaKey = await external('imp-bad-rsa', 'RSA_2048');
    const ecKey = await external('imp-bad-ec', 'EC_P256');
    const aesKey = await external('imp-bad-aes', 'AES_256');
    const kmsKey = (await kms('create-key', { key_alias: 'imp-kms' })).key_info.key_id;
    const wrapRsa = (spki: string, data: Buffer) =>
      publicEncrypt({ key: createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data).toString('base64');
    const kwp = (kek: Buffer, data: Buffer) => {
      const c = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('A65959A6', 'hex'));
      return Buffer.concat([c.update(data), c.final()]).toString('base64');
    };
    const pAes = await kms('get-parameters-for-import', { key_id: aesKey, wrapping_algorithm: 'RSAES_OAEP_SHA_256' });
    const pEc = await kms('get-parameters-for-import', { key_id: ecKey, wrapping_algorithm: 'RSAES_OAEP_SHA_256' });
    const pRsa = await kms('get-parameters-for-import', { key_id: rsaKey, wrapping_algorithm: 'RSAES_OAEP_SHA_256' });
    const temp = randomBytes(32);
    const ecPem = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).toString();
    const ecDer = Buffer.from(ecPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const p384Der = Buffer.from(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']).toString().replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const ecSpki = openssl(['pkey', '-in', tmp.write('hostile-ec.pem', ecPem), '-pubout', '-outform', 'DER']);
    const tampered = Buffer.from(pAes.import_token, 'base64');
    tampered[40]! ^= 1;
    const cases: [string, string, Any, string][] = [
      ['token bound to another key', 'import-key-material', { key_id: ecKey, import_token: pAes.import_token, encrypted_key_material: wrapRsa(pAes.public_key, randomBytes(32)) }, 'KMS.2603'],
      ['tampered token', 'import-key-material', { key_id: aesKey, import_token: tampered.toString('base64'), encrypted_key_material: wrapRsa(pAes.public_key, randomBytes(32)) }, 'KMS.2601'],
      ['token that is not Base64 of a token', 'import-key-material', { key_id: aesKey, import_token: 'A'.repeat(232), encrypted_key_material: wrapRsa(pAes.public_key, randomBytes(32)) }, 'KMS.2601'],
      ['symmetric material of the wrong length', 'import-key-material', { key_id: aesKey, import_token: pAes.import_token, encrypted_key_material: wrapRsa(pAes.public_key, randomBytes(31)) }, 'KMS.2604'],
      ['wrapped blob of the wrong size', 'import-key-material', { key_id: aesKey, import_token: pAes.import_token, encrypted_key_material: randomBytes(256).toString('base64') }, 'KMS.0308'],
      ['wrapped with another wrapping key', 'import-key-material', { key_id: aesKey, import_token: pAes.import_token, encrypted_key_material: wrapRsa(pEc.public_key, randomBytes(32)) }, 'KMS.0308'],
      ['expiration_time in the past', 'import-key-material', { key_id: aesKey, import_token: pAes.import_token, encrypted_key_material: wrapRsa(pAes.public_key, randomBytes(32)), expiration_time: 1000 }, 'KMS.2602'],
      ['malformed Base64 material', 'import-key-material', { key_id: aesKey, import_token: pAes.import_token, encrypted_key_material: 'QUJD=' + 'A'.repeat(20) }, 'KMS.0308'],
      ['private key missing for an EC key', 'import-key-material', { key_id: ecKey, import_token: pEc.import_token, encrypted_key_material: wrapRsa(pEc.public_key, temp) }, 'KMS.0204'],
      ['a public key where a private key is expected', 'import-key-material', { key_id: ecKey, import_token: pEc.import_token, encrypted_key_material: wrapRsa(pEc.public_key, temp), encrypted_privatekey: kwp(temp, ecSpki) }, 'KMS.2604'],
      ['a P-384 key for an EC_P256 key', 'import-key-material', { key_id: ecKey, import_token: pEc.import_token, encrypted_key_material: wrapRsa(pEc.public_key, temp), encrypted_privatekey: kwp(temp, p384Der) }, 'KMS.2604'],
      ['an EC key for an RSA_2048 key', 'import-key-material', { key_id: rsaKey, import_token: pRsa.import_token, encrypted_key_material: wrapRsa(pRsa.public_key, temp), encrypted_privatekey: kwp(temp, ecDer) }, 'KMS.2604'],
      ['private key wrapped under another temporary key', 'import-key-material', { key_id: ecKey, import_token: pEc.import_token, encrypted_key_material: wrapRsa(pEc.public_key, temp), encrypted_privatekey: kwp(randomBytes(32), ecDer) }, 'KMS.0308'],
      ['temporary key of a bad size', 'import-key-material', { key_id: ecKey, import_token: pEc.import_token, encrypted_key_material: wrapRsa(pEc.public_key, randomBytes(24)), encrypted_privatekey: kwp(temp, ecDer) }, 'KMS.2604'],
      ['parameters for a kms-origin key', 'get-parameters-for-import', { key_id: kmsKey, wrapping_algorithm: 'RSAES_OAEP_SHA_256' }, 'KMS.0309'],
      ['delete material of a kms-origin key', 'delete-imported-key-material', { key_id: kmsKey }, 'KMS.0309'],
      ['delete material never imported', 'delete-imported-key-material', { key_id: aesKey }, 'KMS.2701'],
      ['unknown wrapping algorithm', 'get-parameters-for-import', { key_id: aesKey, wrapping_algorithm: 'RSAES_PKCS1_V1_5' }, 'KMS.0308'],
      ['external HMAC key', 'create-key', { key_alias: 'imp-hmac', key_spec: 'HMAC_256', origin: 'external' }, 'KMS.0308'],
    ];
    for (const [what, op, body, code] of cases) {
      const e = await apiError(kms(op, body));
      t.equal(e.code, code, `${what}: ${code} (${e.message})`);
      t.ok(e.status >= 400 && e.status < 500, `${what}: 4xx`);
    }
    // The EC token survived the failed attempts; a correct import with it works, then it is used up.
    await kms('import-key-material', { key_id: ecKey, import_token: pEc.import_token, encrypted_key_material: wrapRsa(pEc.public_key, temp), encrypted_privatekey: kwp(temp, ecDer) });
    t.equal((await kms('describe-key', { key_id: ecKey })).key_info.key_state, '2');
    t.equal((await apiError(kms('get-parameters-for-import', { key_id: ecKey, wrapping_algorithm: 'RSAES_OAEP_SHA_256' }))).code, 'KMS.0310', 'not pending import any more');
    const sha1 = await kms('get-parameters-for-import', { key_id: aesKey, wrapping_algorithm: 'RSAES_OAEP_SHA_1' });
    t.match(sha1.warning, /insecure/, 'RSAES_OAEP_SHA_1 is flagged insecure');
    t.ok(d.logs.some((l) => l.includes('RSAES_OAEP_SHA_1')), 'and logged');

    // Two concurrent imports with one token: exactly one wins, the other changes nothing.
    const race = await external('imp-race', 'AES_256');
    const pr = await kms('get-parameters-for-import', { key_id: race, wrapping_algorithm: 'RSAES_OAEP_SHA_256' });
    const attempts = await Promise.allSettled([0, 1, 2].map(() => kms('import-key-material', { key_id: race, import_token: pr.import_token, encrypted_key_material: wrapRsa(pr.public_key, randomBytes(32)) })));
    t.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1, 'one concurrent import wins');
    for (const a of attempts) if (a.status === 'rejected') t.match((a.reason as { code: string }).code, /^KMS\.(2605|0310)$/, 'the others are refused');

    // A token from another daemon (another master key) is refused.
    const other = await startTestDaemon(t, { dbUrl: await databaseFor(t, 'file') });
    const otherKey = (await other.client.kms('create-key', { key_alias: 'x', origin: 'external' }) as Any).key_info.key_id;
    const foreign = (await other.client.kms('get-parameters-for-import', { key_id: otherKey, wrapping_algorithm: 'RSAES_OAEP_SHA_256' })) as Any;
    t.equal((await apiError(kms('import-key-material', { key_id: aesKey, import_token: foreign.import_token, encrypted_key_material: wrapRsa(foreign.public_key, randomBytes(32)) }))).code, 'KMS.2601', 'foreign token');
  });
});
