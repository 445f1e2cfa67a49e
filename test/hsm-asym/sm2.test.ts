/** SM2: GM/T 0003.5 examples, sm-crypto both ways, OpenSSL 3 CLI both ways. */
import t from 'tap';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import {
  sm2Decrypt, sm2Encrypt, sm2GenerateKeyPair, sm2MessageDigest, sm2PrivateKeyFromPkcs8Der, sm2PrivateKeyToPkcs8Der,
  sm2PublicFromPrivate, sm2PublicKeyFromSpkiDer, sm2PublicKeyToPem, sm2PublicKeyToSpkiDer, sm2SignDigest,
  sm2VerifyDigest, sm2ZA,
} from '../../daemon/hsm/asym/sm2.js';
import { CryptoInputError } from '../../daemon/hsm/asym/errors.js';
import { hex, loadVectors, openssl, opensslOk, pemToDer, tempDir } from './fixtures/openssl.js';

interface SmCryptoSm2 {
  doSignature(msg: string | number[], privateKeyHex: string, opts: { der?: boolean; hash?: boolean; publicKey?: string; userId?: string }): string;
  doVerifySignature(msg: string | number[], sigHex: string, publicKeyHex: string, opts: { der?: boolean; hash?: boolean; userId?: string }): boolean;
  doEncrypt(msg: string | number[], publicKeyHex: string, cipherMode: 0 | 1): string;
  doDecrypt(ct: string, privateKeyHex: string, cipherMode: 0 | 1, opts: { output: 'array' }): number[];
}
const smCrypto = createRequire(import.meta.url)('sm-crypto') as { sm2: SmCryptoSm2 };

interface SignVector { privateKey: string; publicKey: string; userId: string; messageUtf8: string; za: string; digest: string; k: string; r: string; s: string }
interface EncVector { privateKey: string; publicKey: string; messageUtf8: string; k: string; ciphertextC1C3C2: string }
const vectors = loadVectors<{ source: string; signature: SignVector[]; encryption: EncVector[] }>('sm2.json');

const fixed = (k: string) => () => hex(k);

t.test('GM/T 0003.5 Annex A signature example', async (t) => {
  for (const v of vectors.signature) {
    const d = hex(v.privateKey);
    const pub = hex(v.publicKey);
    t.equal(sm2PublicFromPrivate(d).toString('hex'), v.publicKey.toLowerCase(), 'public key from private');
    t.equal(sm2ZA(pub, v.userId).toString('hex'), v.za.toLowerCase(), 'Z_A');
    const e = sm2MessageDigest(pub, Buffer.from(v.messageUtf8), v.userId);
    t.equal(e.toString('hex'), v.digest.toLowerCase(), 'e = SM3(Z_A || M)');
    const sig = sm2SignDigest(d, e, { random: fixed(v.k) });
    const tmp = tempDir('sm2-');
    t.teardown(tmp.cleanup);
    const conf = tmp.write('sig.cnf', `asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x${v.r}\ns=INTEGER:0x${v.s}\n`);
    openssl(['asn1parse', '-genconf', conf, '-out', tmp.path('sig.der'), '-noout']);
    t.equal(sig.toString('hex'), readFileSync(tmp.path('sig.der')).toString('hex'), 'deterministic signature with the example k (DER built by openssl)');
    t.ok(sm2VerifyDigest(pub, e, sig), 'verifies');
    const tampered = Buffer.from(e);
    tampered[0]! ^= 1;
    t.notOk(sm2VerifyDigest(pub, tampered, sig), 'wrong digest refused');
  }
});

t.test('GM/T 0003.5 Annex A encryption example (C1C3C2)', async (t) => {
  for (const v of vectors.encryption) {
    const ct = sm2Encrypt(hex(v.publicKey), Buffer.from(v.messageUtf8), { random: fixed(v.k) });
    t.equal(ct.toString('hex'), v.ciphertextC1C3C2.toLowerCase(), 'ciphertext');
    t.equal(sm2Decrypt(hex(v.privateKey), hex(v.ciphertextC1C3C2)).toString(), v.messageUtf8, 'decrypts');
  }
});

t.test('sm-crypto interop: signatures both ways', async (t) => {
  for (let i = 0; i < 5; i++) {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    const msg = Buffer.from(`interop message ${i} ✓`);
    const theirs = smCrypto.sm2.doSignature(Array.from(msg), privateKey.toString('hex'), { der: true, hash: true, publicKey: publicKey.toString('hex') });
    t.ok(sm2VerifyDigest(publicKey, sm2MessageDigest(publicKey, msg), hex(theirs)), 'sm-crypto signs, we verify');
    const ours = sm2SignDigest(privateKey, sm2MessageDigest(publicKey, msg));
    t.ok(smCrypto.sm2.doVerifySignature(Array.from(msg), ours.toString('hex'), publicKey.toString('hex'), { der: true, hash: true }), 'we sign, sm-crypto verifies');
    t.notOk(smCrypto.sm2.doVerifySignature(Array.from(Buffer.from('other')), ours.toString('hex'), publicKey.toString('hex'), { der: true, hash: true }), 'sm-crypto refuses another message');
  }
});

t.test('sm-crypto interop: encryption C1C3C2 both ways', async (t) => {
  for (const len of [1, 31, 32, 33, 100]) {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    const pt = Buffer.alloc(len, 0x5a);
    pt[0] = len;
    const theirs = smCrypto.sm2.doEncrypt(Array.from(pt), publicKey.toString('hex'), 1);
    t.same(sm2Decrypt(privateKey, hex('04' + theirs)), pt, `sm-crypto encrypts ${len} B, we decrypt`);
    const ours = sm2Encrypt(publicKey, pt);
    t.equal(ours.length, 65 + 32 + len);
    t.same(Buffer.from(smCrypto.sm2.doDecrypt(ours.subarray(1).toString('hex'), privateKey.toString('hex'), 1, { output: 'array' })), pt, 'we encrypt, sm-crypto decrypts');
  }
});

t.test('decrypt refuses tampered or malformed ciphertext with BAD_CIPHERTEXT', async (t) => {
  const { privateKey, publicKey } = sm2GenerateKeyPair();
  const ct = sm2Encrypt(publicKey, Buffer.from('secret'));
  const bad = (c: Buffer, what: string) =>
    t.throws(() => sm2Decrypt(privateKey, c), { name: 'CryptoInputError', code: 'BAD_CIPHERTEXT' }, what);
  for (const at of [70, ct.length - 1]) {
    const c = Buffer.from(ct);
    c[at]! ^= 1;
    bad(c, `flipped byte ${at}`);
  }
  const offCurve = Buffer.from(ct);
  offCurve[10]! ^= 1;
  bad(offCurve, 'C1 off the curve');
  bad(ct.subarray(0, 97), 'no C2');
  bad(Buffer.concat([Buffer.from([2]), ct.subarray(1)]), 'compressed prefix');
  t.throws(() => sm2Encrypt(publicKey, Buffer.alloc(0)), /plaintext/);
});

t.test('verify returns false for malformed signatures, never throws', async (t) => {
  const { privateKey, publicKey } = sm2GenerateKeyPair();
  const e = sm2MessageDigest(publicKey, Buffer.from('m'));
  const sig = sm2SignDigest(privateKey, e);
  const cases: Buffer[] = [Buffer.alloc(0), Buffer.from([0x30]), sig.subarray(0, sig.length - 1), Buffer.concat([sig, Buffer.from([0])]),
    hex('3006020100020100'), hex('30060201ff020101'), Buffer.alloc(64, 1)];
  for (const c of cases) t.equal(sm2VerifyDigest(publicKey, e, c), false, `malformed ${c.toString('hex').slice(0, 20)}`);
  t.throws(() => sm2SignDigest(privateKey, Buffer.alloc(31)), /digest/);
  t.throws(() => sm2SignDigest(Buffer.alloc(32), e), /privateKey/);
});

t.test('OpenSSL 3 CLI: keys and signatures over a raw message with distid 1234567812345678', async (t) => {
  const tmp = tempDir('sm2-');
  t.teardown(tmp.cleanup);
  const keyPem = tmp.path('k.pem');
  openssl(['genpkey', '-algorithm', 'SM2', '-out', keyPem]);
  // genpkey writes PKCS#8 PEM; `openssl pkey -outform DER` would write the RFC 5915 form instead.
  const der = pemToDer(readFileSync(keyPem, 'utf8'));
  const { privateKey, publicKey } = sm2PrivateKeyFromPkcs8Der(der);
  const theirPub = openssl(['pkey', '-in', keyPem, '-pubout', '-outform', 'DER']);
  t.same(sm2PublicKeyToSpkiDer(publicKey), theirPub, 'our SPKI equals OpenSSL\'s');
  t.same(sm2PublicKeyFromSpkiDer(theirPub), publicKey, 'SPKI reader');
  t.same(sm2PrivateKeyToPkcs8Der(privateKey), der, 'our PKCS#8 is byte-identical to OpenSSL\'s');
  const pubPem = tmp.write('pub.pem', sm2PublicKeyToPem(publicKey));
  t.equal(readFileSync(pubPem, 'utf8'), openssl(['pkey', '-in', keyPem, '-pubout']).toString(), 'PEM identical');

  const msg = tmp.write('msg', Buffer.from('raw message signed the GB/T 32918 way'));
  const opts = ['-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678'];
  const ours = tmp.write('ours.sig', sm2SignDigest(privateKey, sm2MessageDigest(publicKey, readFileSync(msg))));
  t.ok(opensslOk(['pkeyutl', '-verify', '-pubin', '-inkey', pubPem, '-in', msg, ...opts, '-sigfile', ours]), 'OpenSSL verifies ours');
  t.notOk(opensslOk(['pkeyutl', '-verify', '-pubin', '-inkey', pubPem, '-in', msg, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:other', '-sigfile', ours]), 'OpenSSL refuses with another ID');
  const theirs = openssl(['pkeyutl', '-sign', '-inkey', keyPem, '-in', msg, ...opts]);
  t.ok(sm2VerifyDigest(publicKey, sm2MessageDigest(publicKey, readFileSync(msg)), theirs), 'we verify OpenSSL\'s');

  // An OpenSSL-written key generated by us round-trips through `openssl pkey`.
  const ourKey = sm2GenerateKeyPair();
  const ourDer = tmp.write('ours.der', sm2PrivateKeyToPkcs8Der(ourKey.privateKey));
  t.same(openssl(['pkey', '-inform', 'DER', '-in', ourDer, '-pubout', '-outform', 'DER']), sm2PublicKeyToSpkiDer(ourKey.publicKey), 'OpenSSL reads our PKCS#8');
});

t.test('PKCS#8 reader refuses other curves, public keys and garbage', async (t) => {
  const tmp = tempDir('sm2-');
  t.teardown(tmp.cleanup);
  const p256 = pemToDer(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).toString());
  t.throws(() => sm2PrivateKeyFromPkcs8Der(p256), { name: 'CryptoInputError', code: 'KEY_SPEC_MISMATCH' });
  t.throws(() => sm2PrivateKeyFromPkcs8Der(Buffer.from('garbage')), { name: 'CryptoInputError', code: 'INVALID_KEY' });
  const spki = sm2PublicKeyToSpkiDer(sm2GenerateKeyPair().publicKey);
  t.throws(() => sm2PrivateKeyFromPkcs8Der(spki), CryptoInputError);
});
