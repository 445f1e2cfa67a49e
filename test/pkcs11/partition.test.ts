/**
 * Pkcs11Partition on a real SoftHSM2 token: every key spec generated in the token as a sensitive,
 * non-extractable object (cross-checked with pkcs11-tool), stored references that hold no key bytes,
 * dew's blob format and rules, signatures checked by node:crypto, dew's software verifier and openssl,
 * MACs, RSA-OAEP, and the refusals (unsupported specs naming the mechanism, import, OAEP hashes).
 */
import t from 'tap';
import { constants, createHash, createHmac, createPublicKey, publicEncrypt, randomBytes, verify as nodeVerify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listObjects, openssl, readObject, useSoftHsm } from '../helpers/softhsm.js';
import { Pkcs11Library } from '../../daemon/hsm/pkcs11/library.js';
import { provisionToken } from '../../daemon/hsm/pkcs11/provision.js';
import { Pkcs11Partition } from '../../daemon/hsm/pkcs11/pkcs11-partition.js';
import { checkKeySpec, supportedKeySpecs, type MechanismSource } from '../../daemon/hsm/pkcs11/mechanisms.js';
import { Pkcs11ImportRefusedError, Pkcs11MechanismError } from '../../daemon/hsm/pkcs11/errors.js';
import { blobLength, parseBlob, HEADER_LEN, NONCE_OFFSET, TAG_LEN } from '../../daemon/hsm/ciphertext-blob.js';
import { DecryptError, aesCipher, decryptBlob, encryptBlob } from '../../daemon/hsm/symmetric.js';
import { encodeObjectRef, objectLabel } from '../../daemon/hsm/pkcs11/objects.js';
import { KeyMaterialMissingError } from '../../daemon/hsm/errors.js';
import { CryptoInputError } from '../../daemon/hsm/asym/errors.js';
import { loadPublicKey, verify as softwareVerify } from '../../daemon/hsm/asym/asymmetric.js';
import { SIGNING_ALGORITHMS_BY_SPEC, SIGNING_DIGEST, type AsymmetricKeySpec } from '../../daemon/hsm/asym/key-specs.js';
import type { KeyRef, MaterialStore } from '../../daemon/hsm/partition.js';

const hsm = useSoftHsm(t);
const lib = Pkcs11Library.open(hsm.module);
t.teardown(() => lib.close());
const work = mkdtempSync(join(tmpdir(), 'dew-p11-sig-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const KEY = (n: number) => `0d0466b0-e727-4d9c-b35d-${String(n).padStart(12, '0')}`;
const material = new Map<string, Buffer>();
const store: MaterialStore = { loadMaterial: async (id, v) => material.get(`${id}#${v}`) };

let token: Awaited<ReturnType<typeof provisionToken>>;
let partition: Pkcs11Partition;
const PID = 'hsm-0d0466b0';

t.before(async () => {
  token = await provisionToken(lib, { label: 'dew-partition-test' });
  partition = await Pkcs11Partition.open(lib, { id: PID, token: { serial: token.tokenSerial }, pin: token.userPin, store });
});
t.teardown(() => partition?.close());

let n = 0;
async function makeKey(keySpec: string, partitionId = PID): Promise<KeyRef> {
  const ref = { keyId: KEY(++n), version: 1, keySpec, partitionId };
  const symmetric = !/^(RSA|EC|SECP|ED)/.test(keySpec);
  const stored = symmetric ? await partition.generateSymmetric(ref) : await partition.generateAsymmetric(ref);
  material.set(`${ref.keyId}#1`, stored);
  return ref;
}

const labelOf = (ref: KeyRef) => `dew:${ref.partitionId}:${ref.keyId}:v${ref.version}`;

t.test('every key spec is generated inside the token, sensitive and never extractable; the stored reference is only its label', async (t) => {
  const specs = ['AES_256', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P256', 'EC_P384', 'SECP256K1', 'ED25519'];
  const refs = new Map<string, KeyRef>();
  for (const spec of specs) {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const ref = await makeKey(spec).finally(() => clearInterval(timer));
    refs.set(spec, ref);
    const stored = material.get(`${ref.keyId}#1`)!;
    t.equal(stored.toString('latin1'), `p11:v1:${labelOf(ref)}`, `${spec}: the stored reference is the object label`);
    t.ok(stored.length < 100, `${spec}: ${stored.length} bytes stored`);
    if (spec === 'RSA_4096') t.ok(ticks > 0, `the event loop ran during RSA-4096 generation (${ticks} ticks)`);
  }
  const objects = listObjects(hsm, token.tokenSerial, token.userPin);
  for (const [spec, ref] of refs) {
    const mine = objects.filter((o) => o.label === labelOf(ref));
    const secretOrPrivate = mine.filter((o) => o.kind === 'secret' || o.kind === 'private');
    t.equal(secretOrPrivate.length, 1, `${spec}: one secret/private object`);
    const o = secretOrPrivate[0]!;
    t.ok(o.access.includes('sensitive'), `${spec}: CKA_SENSITIVE (${o.access.join(', ')})`);
    t.ok(o.access.includes('never extractable'), `${spec}: CKA_NEVER_EXTRACTABLE (never was extractable)`);
    t.notOk(o.access.includes('extractable'), `${spec}: CKA_EXTRACTABLE false (pkcs11-tool prints "extractable" otherwise)`);
    t.ok(o.access.includes('local'), `${spec}: generated in the token (CKA_LOCAL)`);
    const symmetric = /^(AES|HMAC)/.test(spec);
    t.equal(mine.length, symmetric ? 1 : 2, `${spec}: ${symmetric ? 'a secret key' : 'a private and a public key'}`);
    t.notOk(readObject(hsm, token.tokenSerial, token.userPin, symmetric ? 'secrkey' : 'privkey', labelOf(ref)).ok, `${spec}: pkcs11-tool cannot read the value`);
    if (spec === 'AES_256') t.match(o.heading, /AES length 32/);
    if (spec === 'HMAC_384') t.match(o.heading, /GENERIC_SECRET length 48|length 48/);
    if (spec === 'RSA_3072') t.match(mine.find((x) => x.kind === 'public')!.heading, /RSA 3072 bits/);
  }
  const ec = refs.get('EC_P256')!;
  t.ok(readObject(hsm, token.tokenSerial, token.userPin, 'pubkey', labelOf(ec)).ok, 'the same tool reads a public key (so the refusals above are the sensitivity)');
});

t.test('AES_256: dew blob format and length rule, tamper and AAD binding, the cached hot path', async (t) => {
  const ref = await makeKey('AES_256');
  for (const len of [1, 4, 15, 16, 17, 100, 4096]) {
    const pt = Buffer.alloc(len, len & 0xff);
    const blob = await partition.encrypt(ref, 'data', pt);
    t.equal(blob.length, blobLength(len), `${len} B → ${blob.length} B (124 + ceil(n/16)*16)`);
    t.equal(blob.length, 124 + Math.ceil(len / 16) * 16);
    const h = parseBlob(blob);
    t.match(h, { kind: 'data', algorithm: 1, plaintextLength: len, keyVersion: 1, keyId: ref.keyId });
    t.ok(blob.subarray(NONCE_OFFSET + 12, HEADER_LEN).equals(Buffer.alloc(HEADER_LEN - NONCE_OFFSET - 12)), 'nonce bytes after the 12-byte IV and the reserved bytes are zero');
    t.ok(blob.subarray(blob.length - 16).equals(Buffer.alloc(16)), 'the 16-byte GCM tag is followed by 16 zero bytes');
    t.same(await partition.decrypt(ref, blob, h), pt, `${len} B round trip`);
  }
  const aad = Buffer.from('context');
  const blob = await partition.encrypt(ref, 'datakey', Buffer.from('secret!'), aad);
  const h = parseBlob(blob);
  t.equal(h.kind, 'datakey');
  t.same(await partition.decrypt(ref, blob, h, aad), Buffer.from('secret!'));
  await t.rejects(partition.decrypt(ref, blob, h), DecryptError, 'AAD is bound');
  await t.rejects(partition.decrypt(ref, blob, h, Buffer.from('other')), DecryptError);
  for (const at of [3, 10, NONCE_OFFSET, HEADER_LEN, blob.length - TAG_LEN, blob.length - 1]) {
    const bad = Buffer.from(blob);
    bad[at]! ^= 0x01;
    let header = h;
    try {
      header = parseBlob(bad);
    } catch {
      continue; // the header check refuses it already
    }
    await t.rejects(partition.decrypt(ref, bad, header, aad), DecryptError, `byte ${at} flipped`);
  }
  t.throws(() => partition.decryptCached(ref, Buffer.from(blob).fill(7, HEADER_LEN, HEADER_LEN + 1), h, aad), DecryptError, 'cached path refuses too');

  const cached = partition.encryptCached(ref, 'data', Buffer.from('abcd'));
  t.ok(cached, 'a loaded key encrypts without awaiting');
  t.same(partition.decryptCached(ref, cached!, parseBlob(cached!)), Buffer.from('abcd'));
  const fresh = await makeKey('AES_256');
  t.equal(partition.encryptCached(fresh, 'data', Buffer.from('x')), undefined, 'not loaded yet: undefined');

  // Another key's blob, and another partition's reference, do not open.
  const other = await makeKey('AES_256');
  await t.rejects(partition.decrypt(other, blob, h, aad), DecryptError, "another key's objects do not open it");
  await t.rejects(partition.encrypt({ ...ref, partitionId: 'other-partition' }, 'data', Buffer.from('x')), KeyMaterialMissingError, "the stored reference names this partition's label only");
  await t.rejects(partition.encrypt({ ...ref, version: 2 }, 'data', Buffer.from('x')), KeyMaterialMissingError);

  // An async-only partition on the same token opens the same blobs (network-HSM mode).
  const asyncPartition = await Pkcs11Partition.open(lib, { id: PID, token: { serial: token.tokenSerial }, pin: token.userPin, store, syncOperations: false });
  t.teardown(() => asyncPartition.close());
  t.same(await asyncPartition.decrypt(ref, blob, h, aad), Buffer.from('secret!'));
  const b2 = await asyncPartition.encrypt(ref, 'data', Buffer.from('from the pool'));
  t.same(await partition.decrypt(ref, b2, parseBlob(b2)), Buffer.from('from the pool'));
  t.equal(asyncPartition.encryptCached(ref, 'data', Buffer.from('x')), undefined, 'no synchronous path in async mode');
  await t.rejects(asyncPartition.decrypt(ref, b2, parseBlob(b2), Buffer.from('aad')), DecryptError);

  // Destroyed objects: the key is gone.
  partition.destroyKey(fresh);
  await t.rejects(partition.encrypt(fresh, 'data', Buffer.from('x')), KeyMaterialMissingError);
  t.equal(listObjects(hsm, token.tokenSerial, token.userPin).filter((o) => o.label === labelOf(fresh)).length, 0, 'its objects are gone from the token');
});

t.test('byte compatibility: with a known key value put in the token, the software cipher and HMAC agree with the token both ways', async (t) => {
  // Test only: a key whose value the test knows, created (not generated) in the token under dew's label.
  const admin = await lib.openToken({ serial: token.tokenSerial }, token.userPin);
  t.teardown(() => admin.close());
  const put = (ref: KeyRef, keyType: number, value: Buffer, usage: pkcs11js.Template) => {
    admin.api.C_CreateObject(admin.session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
      { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_PRIVATE, value: true }, { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false }, { type: pkcs11js.CKA_LABEL, value: objectLabel(ref) }, { type: pkcs11js.CKA_VALUE, value }, ...usage,
    ]);
    material.set(`${ref.keyId}#${ref.version}`, encodeObjectRef(ref));
  };
  const aesKey = randomBytes(32);
  const aesRef = { keyId: KEY(500), version: 3, keySpec: 'AES_256', partitionId: PID };
  put(aesRef, pkcs11js.CKK_AES, aesKey, [{ type: pkcs11js.CKA_ENCRYPT, value: true }, { type: pkcs11js.CKA_DECRYPT, value: true }]);
  const software = aesCipher(aesKey);
  for (const len of [1, 4, 16, 33]) {
    const pt = randomBytes(len);
    const aad = len % 2 ? Buffer.from('aad') : undefined;
    const fromToken = await partition.encrypt(aesRef, 'data', pt, aad);
    t.same(decryptBlob(software, fromToken, parseBlob(fromToken), aad), pt, `${len} B: the software cipher opens the token's blob`);
    const fromSoftware = encryptBlob(software, { keyId: aesRef.keyId, keyVersion: 3, kind: 'datakey' }, pt, aad);
    t.equal(fromSoftware.length, fromToken.length, 'same length');
    t.same(fromSoftware.subarray(0, NONCE_OFFSET).subarray(4), fromToken.subarray(0, NONCE_OFFSET).subarray(4), 'same header after the kind byte');
    t.same(await partition.decrypt(aesRef, fromSoftware, parseBlob(fromSoftware), aad), pt, `${len} B: the token opens the software blob`);
  }
  for (const [spec, digest, bytes] of [['HMAC_256', 'sha256', 32], ['HMAC_512', 'sha512', 64]] as const) {
    const key = randomBytes(bytes);
    const ref = { keyId: KEY(510 + bytes), version: 1, keySpec: spec, partitionId: PID };
    put(ref, pkcs11js.CKK_GENERIC_SECRET, key, [{ type: pkcs11js.CKA_SIGN, value: true }, { type: pkcs11js.CKA_VERIFY, value: true }]);
    const msg = randomBytes(77);
    t.same(await partition.mac(ref, msg), createHmac(digest, key).update(msg).digest(), `${spec}: the token's MAC is HMAC-${digest} (RFC 2104)`);
  }
});

t.test('HMAC keys: MACs computed and verified in the token', async (t) => {
  for (const [spec, bytes] of [['HMAC_256', 32], ['HMAC_384', 48], ['HMAC_512', 64]] as const) {
    const ref = await makeKey(spec);
    const msg = Buffer.from('message to authenticate');
    const mac = await partition.mac(ref, msg);
    t.equal(mac.length, bytes, `${spec}: ${bytes}-byte MAC`);
    t.same(await partition.mac(ref, msg), mac, 'deterministic');
    t.ok(await partition.verifyMac(ref, msg, mac), 'verifies');
    const bad = Buffer.from(mac);
    bad[0]! ^= 1;
    t.notOk(await partition.verifyMac(ref, msg, bad), 'a changed MAC fails');
    t.notOk(await partition.verifyMac(ref, Buffer.from('other message'), mac), 'another message fails');
    t.notOk(await partition.verifyMac(ref, msg, mac.subarray(1)), 'a short MAC fails');
    const other = await makeKey(spec);
    t.not((await partition.mac(other, msg)).toString('hex'), mac.toString('hex'), 'another key gives another MAC');
  }
  const aes = await makeKey('AES_256');
  await t.rejects(partition.mac(aes, Buffer.from('x')), TypeError);
});

function opensslVerify(spec: AsymmetricKeySpec, algorithm: string, pem: string, message: Buffer, signature: Buffer): boolean {
  const pub = join(work, 'pub.pem');
  const sig = join(work, 'sig.bin');
  const msg = join(work, 'msg.bin');
  writeFileSync(pub, pem);
  writeFileSync(sig, signature);
  writeFileSync(msg, message);
  if (spec === 'ED25519') return openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', msg, '-sigfile', sig]).status === 0;
  const digest = SIGNING_DIGEST[algorithm as keyof typeof SIGNING_DIGEST]!.name;
  const pss = algorithm.startsWith('RSASSA_PSS') ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
  return openssl(['dgst', `-${digest}`, '-verify', pub, ...pss, '-signature', sig, msg]).status === 0;
}

t.test('signatures: every algorithm of each spec, RAW and DIGEST, verified by the token, node:crypto, the software verifier and openssl', async (t) => {
  for (const spec of ['RSA_2048', 'EC_P256', 'EC_P384', 'SECP256K1', 'ED25519'] as AsymmetricKeySpec[]) {
    const ref = await makeKey(spec);
    const pem = await partition.publicKeyPem(ref);
    t.match(pem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/, `${spec}: PEM SubjectPublicKeyInfo`);
    const pub = createPublicKey(pem);
    const details = pub.asymmetricKeyDetails!;
    if (spec === 'RSA_2048') t.match(details, { modulusLength: 2048, publicExponent: 65537n });
    if (spec === 'EC_P256') t.equal(details.namedCurve, 'prime256v1');
    if (spec === 'EC_P384') t.equal(details.namedCurve, 'secp384r1');
    if (spec === 'SECP256K1') t.equal(details.namedCurve, 'secp256k1');
    if (spec === 'ED25519') t.equal(pub.asymmetricKeyType, 'ed25519');
    const softwareHandle = loadPublicKey(spec, pub.export({ type: 'spki', format: 'der' }));
    const message = Buffer.from(`a message signed by ${spec}`);
    for (const algorithm of SIGNING_ALGORITHMS_BY_SPEC[spec]) {
      const d = SIGNING_DIGEST[algorithm];
      for (const messageType of d ? (['RAW', 'DIGEST'] as const) : (['RAW'] as const)) {
        const input = messageType === 'RAW' ? message : createHash(d!.name).update(message).digest();
        const sig = await partition.sign(ref, algorithm, input, messageType);
        const what = `${spec} ${algorithm} ${messageType}`;
        if (spec.startsWith('RSA')) t.equal(sig.length, 256, `${what}: k-byte signature`);
        if (spec.startsWith('EC') || spec === 'SECP256K1') t.equal(sig[0], 0x30, `${what}: DER Ecdsa-Sig-Value`);
        if (spec === 'ED25519') t.equal(sig.length, 64);
        t.ok(await partition.verify(ref, algorithm, input, messageType, sig), `${what}: the token verifies it`);
        const nodeOpts = algorithm.startsWith('RSASSA_PSS')
          ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: d!.length }
          : algorithm.startsWith('RSASSA_PKCS1') ? { key: pub, padding: constants.RSA_PKCS1_PADDING } : pub;
        t.ok(nodeVerify(d ? d.name : null, message, nodeOpts, sig), `${what}: node:crypto verifies it`);
        t.ok(softwareVerify(spec, softwareHandle, algorithm, input, messageType, sig), `${what}: dew's software verifier accepts it`);
        if (messageType === 'RAW') t.ok(opensslVerify(spec, algorithm, pem, message, sig), `${what}: openssl verifies it`);
        const bad = Buffer.from(sig);
        bad[bad.length - 3]! ^= 0x01;
        t.notOk(await partition.verify(ref, algorithm, input, messageType, bad), `${what}: a changed signature fails`);
        if (messageType === 'RAW') t.notOk(await partition.verify(ref, algorithm, Buffer.from('other'), messageType, sig), `${what}: another message fails`);
      }
    }
    t.notOk(await partition.verify(ref, SIGNING_ALGORITHMS_BY_SPEC[spec][0]!, message, 'RAW', Buffer.from('junk')), `${spec}: a malformed signature is false, not an error`);
  }
  const rsa = await makeKey('RSA_3072');
  await t.rejects(partition.sign(rsa, 'ECDSA_SHA_256', Buffer.alloc(32), 'DIGEST'), { name: 'CryptoInputError', code: 'ALGORITHM_MISMATCH' });
  await t.rejects(partition.sign(rsa, 'RSASSA_PSS_SHA_256', Buffer.alloc(31), 'DIGEST'), { name: 'CryptoInputError', code: 'DIGEST_LENGTH' });
  const sig = await partition.sign(rsa, 'RSASSA_PSS_SHA_512', Buffer.from('x'), 'RAW');
  t.equal(sig.length, 384);
  t.ok(nodeVerify('sha512', Buffer.from('x'), { key: createPublicKey(await partition.publicKeyPem(rsa)), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }, sig), 'RSA-3072 PSS-SHA-512');
  const ed = await makeKey('ED25519');
  await t.rejects(partition.sign(ed, 'ED25519_SHA_512', Buffer.alloc(64), 'DIGEST'), { name: 'CryptoInputError', code: 'MESSAGE_TYPE' });
});

t.test('RSA-OAEP in the token: SHA-1 round trips with node:crypto; SHA-256 is refused naming the mechanism on SoftHSM2', async (t) => {
  const ref = await makeKey('RSA_2048');
  const pub = createPublicKey(await partition.publicKeyPem(ref));
  const pt = Buffer.from('data key bytes 0123456789abcdef');
  const ct = await partition.asymmetricEncrypt(ref, 'RSAES_OAEP_SHA_1', pt);
  t.equal(ct.length, 256);
  t.same(await partition.asymmetricDecrypt(ref, 'RSAES_OAEP_SHA_1', ct), pt, 'token round trip');
  const byNode = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, pt);
  t.same(await partition.asymmetricDecrypt(ref, 'RSAES_OAEP_SHA_1', byNode), pt, 'decrypts what node:crypto encrypted');
  const bad = Buffer.from(ct);
  bad[10]! ^= 1;
  await t.rejects(partition.asymmetricDecrypt(ref, 'RSAES_OAEP_SHA_1', bad), { name: 'CryptoInputError', code: 'BAD_CIPHERTEXT' });
  await t.rejects(partition.asymmetricDecrypt(ref, 'RSAES_OAEP_SHA_1', ct.subarray(1)), { name: 'CryptoInputError', code: 'BAD_CIPHERTEXT' });
  await t.rejects(partition.asymmetricEncrypt(ref, 'RSAES_OAEP_SHA_1', Buffer.alloc(215)), { name: 'CryptoInputError', code: 'PLAINTEXT_TOO_LONG' });
  t.ok(await partition.asymmetricEncrypt(ref, 'RSAES_OAEP_SHA_1', Buffer.alloc(214)), '214 bytes is the SHA-1 limit for RSA-2048');
  // A token either serves OAEP with SHA-256 correctly (checked against node:crypto) or refuses it by name; nothing else.
  const ct256 = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, pt);
  const outcomes = [
    await partition.asymmetricEncrypt(ref, 'RSAES_OAEP_SHA_256', pt).then(async (c) => partition.asymmetricDecrypt(ref, 'RSAES_OAEP_SHA_256', c), (e: unknown) => e),
    await partition.asymmetricDecrypt(ref, 'RSAES_OAEP_SHA_256', ct256).then((p) => p, (e: unknown) => e),
  ];
  for (const outcome of outcomes) {
    if (Buffer.isBuffer(outcome)) {
      t.same(outcome, pt, 'the token serves OAEP with SHA-256 and round-trips');
      continue;
    }
    t.type(outcome, Pkcs11MechanismError);
    t.match(outcome, { mechanism: 'CKM_RSA_PKCS_OAEP', subject: 'RSAES_OAEP_SHA_256', message: /CKM_RSA_PKCS_OAEP mechanism does not take SHA-256/ });
  }
  const ec = await makeKey('EC_P256');
  await t.rejects(partition.asymmetricEncrypt(ec, 'RSAES_OAEP_SHA_1', pt), CryptoInputError, 'EC keys do not encrypt');
});

t.test('specs the token cannot serve are refused before anything is made, naming the mechanism', async (t) => {
  const before = listObjects(hsm, token.tokenSerial, token.userPin).length;
  for (const [spec, mechanism] of [['SM4', 'CKM_SM4_KEY_GEN'], ['SM2', 'CKM_SM2_KEY_PAIR_GEN'], ['HMAC_SM3', 'CKM_SM3_HMAC']] as const) {
    t.throws(() => partition.checkKeySpec(spec), { name: 'Pkcs11MechanismError', mechanism, message: `the HSM instance's token has no ${mechanism} mechanism: ${spec} keys cannot be created in it` });
    t.notOk(partition.supportsKeySpec(spec));
    const ref = { keyId: KEY(900), version: 1, keySpec: spec, partitionId: PID };
    await t.rejects(spec === 'SM2' ? partition.generateAsymmetric(ref) : partition.generateSymmetric(ref), Pkcs11MechanismError, `${spec}: generate refuses too`);
  }
  t.equal(listObjects(hsm, token.tokenSerial, token.userPin).length, before, 'no object was made');
  t.same(partition.supportedKeySpecs().sort(), ['AES_256', 'ED25519', 'EC_P256', 'EC_P384', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'SECP256K1'].sort());
  t.throws(() => partition.checkKeySpec('AES_512'), TypeError, 'an unknown spec is a caller bug');

  // A token whose RSA generator stops at 2048 bits, or that lacks GCM (mechanism lists are all checkKeySpec reads).
  const fake = (codes: number[], max = 2048): MechanismSource => ({ mechanisms: () => new Set(codes), mechanismKeySizes: () => ({ min: 1024, max }) });
  const all = [...(partition as unknown as { token: MechanismSource }).token.mechanisms()];
  t.throws(() => checkKeySpec(fake(all), 'RSA_4096'), { name: 'Pkcs11MechanismError', mechanism: 'CKM_RSA_PKCS_KEY_PAIR_GEN', message: /takes key sizes 1024\.\.2048, not 4096: RSA_4096/ });
  t.doesNotThrow(() => checkKeySpec(fake(all), 'RSA_2048'));
  t.throws(() => checkKeySpec(fake(all.filter((c) => c !== 0x1087)), 'AES_256'), { name: 'Pkcs11MechanismError', mechanism: 'CKM_AES_GCM' });
  t.notOk(supportedKeySpecs(fake([])).length, 'an empty token serves nothing');
});

t.test('BYOK import into a token partition is refused with its own error', async (t) => {
  await t.rejects(partition.createImportWrappingKey('RSAES_OAEP_SHA_256', 'ab'.repeat(32)), Pkcs11ImportRefusedError);
  const ref = { keyId: KEY(901), version: 1, keySpec: 'AES_256', partitionId: PID };
  await t.rejects(partition.importMaterial(ref, { algorithm: 'RSAES_OAEP_SHA_256', sealed: Buffer.alloc(8), tokenId: 'ab'.repeat(32) }, Buffer.alloc(384), undefined), {
    name: 'Pkcs11ImportRefusedError',
    message: /not supported/,
  });
});

t.test('generation never replaces a stored version; objects of an attempt whose reference was never stored are replaced', async (t) => {
  const ref = await makeKey('AES_256');
  const blob = await partition.encrypt(ref, 'data', Buffer.from('before'));
  await t.rejects(partition.generateSymmetric(ref), { name: 'TypeError', message: /already has token objects/ });
  t.same(await partition.decrypt(ref, blob, parseBlob(blob)), Buffer.from('before'), 'the live version is untouched');

  const orphan = { keyId: KEY(950), version: 1, keySpec: 'EC_P256', partitionId: PID };
  await partition.generateAsymmetric(orphan); // its reference is "lost" (never stored)
  const stored = await partition.generateAsymmetric(orphan);
  t.equal(listObjects(hsm, token.tokenSerial, token.userPin).filter((o) => o.label === labelOf(orphan)).length, 2, 'one pair per label');
  material.set(`${orphan.keyId}#1`, stored);
  t.match(await partition.publicKeyPem(orphan), /BEGIN PUBLIC KEY/);
  partition.forget(orphan.keyId, 1);
  t.match(await partition.publicKeyPem(orphan), /BEGIN PUBLIC KEY/, 'reloaded after forget');
  t.throws(() => partition.destroyKey({ ...orphan, partitionId: 'elsewhere' }), TypeError);
});

t.test('concurrent use: many encryptions, RSA signatures on the pool and MACs at once, beyond the session cap', async (t) => {
  const aes = await makeKey('AES_256');
  const rsa = await makeKey('RSA_2048');
  const hmac = await makeKey('HMAC_256');
  const pub = createPublicKey(await partition.publicKeyPem(rsa));
  const jobs: Promise<boolean>[] = [];
  for (let i = 0; i < 80; i++) {
    const msg = Buffer.from(`message ${i}`);
    jobs.push(partition.sign(rsa, 'RSASSA_PSS_SHA_256', msg, 'RAW').then((sig) => nodeVerify('sha256', msg, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)));
    jobs.push(partition.encrypt(aes, 'data', msg).then(async (b) => (await partition.decrypt(aes, b, parseBlob(b))).equals(msg)));
    jobs.push(partition.mac(hmac, msg).then((m) => partition.verifyMac(hmac, msg, m)));
  }
  const results = await Promise.all(jobs);
  t.equal(results.filter(Boolean).length, jobs.length, `${jobs.length} operations, all correct`);
});

t.test('objects destroyed behind dew\'s back are a clear error; a lost login is recovered (last: it logs the process out)', async (t) => {
  const ref = await makeKey('AES_256');
  const blob = await partition.encrypt(ref, 'data', Buffer.from('x'));
  const admin = await lib.openToken({ serial: token.tokenSerial }, token.userPin);
  t.teardown(() => admin.close());
  for (const o of admin.findObjects([{ type: pkcs11js.CKA_LABEL, value: labelOf(ref) }])) admin.api.C_DestroyObject(admin.session, o);
  await t.rejects(partition.encrypt(ref, 'data', Buffer.from('x')), KeyMaterialMissingError, 'a cached handle that is gone');
  await t.rejects(partition.decrypt(ref, blob, parseBlob(blob)), KeyMaterialMissingError, 'and on reload');

  const other = await makeKey('HMAC_256');
  const aes = await makeKey('AES_256');
  const mac = await partition.mac(other, Buffer.from('x'));
  await partition.encrypt(aes, 'data', Buffer.from('x'));
  admin.api.C_Logout(admin.session);
  t.notOk(admin.isLoggedIn(), 'the token has logged the process out');
  t.same(await partition.mac(other, Buffer.from('x')), mac, 'the partition logs in again and retries');
  admin.api.C_Logout(admin.session);
  t.equal(partition.encryptCached(aes, 'data', Buffer.from('x')), undefined, 'the hot path recovers and sends the caller to the async path');
  const blob2 = await partition.encrypt(aes, 'data', Buffer.from('again'));
  t.same(await partition.decrypt(aes, blob2, parseBlob(blob2)), Buffer.from('again'));

  // A login that cannot be recovered (the user PIN changed behind dew's back) stays a clear error.
  admin.api.C_SetPIN(admin.session, token.userPin, 'changed-pin-1234');
  admin.api.C_Logout(admin.session);
  await t.rejects(partition.mac(other, Buffer.from('x')), { name: 'Pkcs11TokenError', message: /logged dew out/ });
  admin.api.C_Login(admin.session, pkcs11js.CKU_USER, 'changed-pin-1234');
  admin.api.C_SetPIN(admin.session, 'changed-pin-1234', token.userPin);
  t.same(await partition.mac(other, Buffer.from('x')), mac, 'works again once logged in');
  admin.api.C_Logout(admin.session);
  await t.rejects(partition.mac(other, Buffer.from('x')), { name: 'Pkcs11TokenError' }, 'a PIN the token refused once is not offered again (no lockout by retries)');
  admin.api.C_Login(admin.session, pkcs11js.CKU_USER, token.userPin);
});
