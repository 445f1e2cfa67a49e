/** Asymmetric sign/verify/encrypt/decrypt for every spec, cross-checked with the openssl 3 CLI both ways. */
import t from 'tap';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  assertPrivateKeyMatchesSpec, decrypt, encrypt, generateAsymmetricKey, loadPrivateKey, loadPublicKey,
  publicKeyPem, publicKeySpkiDer, sign, verify,
} from '../../daemon/hsm/asym/asymmetric.js';
import type { AsymmetricKeyHandle } from '../../daemon/hsm/asym/asymmetric.js';
import {
  ASYMMETRIC_KEY_SPECS, ENCRYPTION_ALGORITHMS_BY_SPEC, SIGNING_ALGORITHMS_BY_SPEC, SIGNING_DIGEST,
} from '../../daemon/hsm/asym/key-specs.js';
import type { AsymmetricKeySpec, SigningAlgorithm } from '../../daemon/hsm/asym/key-specs.js';
import { openssl, opensslOk, tempDir } from './fixtures/openssl.js';

const tmp = tempDir('asym-');
t.teardown(tmp.cleanup);

function privatePem(spec: AsymmetricKeySpec, der: Buffer): string {
  if (spec !== 'SM2') return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

interface Loaded { der: Buffer; handle: AsymmetricKeyHandle; keyFile: string; pubFile: string }
const keys = new Map<AsymmetricKeySpec, Loaded>();

t.before(async () => {
  await Promise.all(ASYMMETRIC_KEY_SPECS.map(async (spec) => {
    const { privateKeyDer, publicKeySpkiDer: spki } = await generateAsymmetricKey(spec);
    const handle = loadPrivateKey(spec, privateKeyDer);
    t.same(publicKeySpkiDer(handle), spki);
    keys.set(spec, {
      der: privateKeyDer,
      handle,
      keyFile: tmp.write(`${spec}.key.pem`, privatePem(spec, privateKeyDer)),
      pubFile: tmp.write(`${spec}.pub.pem`, publicKeyPem(spec, handle)),
    });
  }));
});

const message = Buffer.from('the quick brown fox signs over the lazy dog '.repeat(5));
const msgFile = tmp.write('msg.bin', message);

function opensslSigOpts(algorithm: SigningAlgorithm): string[] {
  return algorithm.startsWith('RSASSA_PSS') ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
}

// openssl verification of a signature over the RAW message, whichever way we produced it.
function opensslVerifies(spec: AsymmetricKeySpec, algorithm: SigningAlgorithm, sigFile: string): boolean {
  const { pubFile } = keys.get(spec)!;
  if (algorithm === 'ED25519_SHA_512') return opensslOk(['pkeyutl', '-verify', '-pubin', '-inkey', pubFile, '-rawin', '-in', msgFile, '-sigfile', sigFile]);
  if (algorithm === 'SM2DSA_SM3') {
    return opensslOk(['pkeyutl', '-verify', '-pubin', '-inkey', pubFile, '-rawin', '-in', msgFile, '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-sigfile', sigFile]);
  }
  return opensslOk(['dgst', `-${SIGNING_DIGEST[algorithm]!.name}`, '-verify', pubFile, ...opensslSigOpts(algorithm), '-signature', sigFile, msgFile]);
}

function opensslSigns(spec: AsymmetricKeySpec, algorithm: SigningAlgorithm): Buffer {
  const { keyFile } = keys.get(spec)!;
  if (algorithm === 'ED25519_SHA_512') return openssl(['pkeyutl', '-sign', '-inkey', keyFile, '-rawin', '-in', msgFile]);
  if (algorithm === 'SM2DSA_SM3') return openssl(['pkeyutl', '-sign', '-inkey', keyFile, '-rawin', '-in', msgFile, '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678']);
  return openssl(['dgst', `-${SIGNING_DIGEST[algorithm]!.name}`, '-sign', keyFile, ...opensslSigOpts(algorithm), msgFile]);
}

function digestOf(spec: AsymmetricKeySpec, algorithm: SigningAlgorithm): Buffer {
  if (algorithm === 'SM2DSA_SM3') {
    const pub = publicKeySpkiDer(keys.get(spec)!.handle).subarray(-65);
    const h = createHash('sm3');
    const entl = Buffer.from([0x00, 0x80]);
    const curve = Buffer.from('fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e9332c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0', 'hex');
    const za = h.update(entl).update('1234567812345678').update(curve).update(pub.subarray(1)).digest();
    return createHash('sm3').update(za).update(message).digest();
  }
  return createHash(SIGNING_DIGEST[algorithm]!.name).update(message).digest();
}

for (const spec of ASYMMETRIC_KEY_SPECS) {
  t.test(`${spec}: signatures interoperate with openssl`, async (t) => {
    const { handle } = keys.get(spec)!;
    for (const algorithm of SIGNING_ALGORITHMS_BY_SPEC[spec]) {
      const modes = SIGNING_DIGEST[algorithm] === null ? (['RAW'] as const) : (['RAW', 'DIGEST'] as const);
      for (const mode of modes) {
        const input = mode === 'RAW' ? message : digestOf(spec, algorithm);
        const sig = sign(spec, handle, algorithm, input, mode);
        t.ok(opensslVerifies(spec, algorithm, tmp.write(`${spec}-${algorithm}-${mode}.sig`, sig)), `${algorithm} ${mode}: openssl verifies ours`);
        t.ok(verify(spec, handle, algorithm, input, mode, sig), `${algorithm} ${mode}: we verify ours`);
      }
      const theirs = opensslSigns(spec, algorithm);
      for (const mode of modes) {
        const input = mode === 'RAW' ? message : digestOf(spec, algorithm);
        t.ok(verify(spec, handle, algorithm, input, mode, theirs), `${algorithm} ${mode}: we verify openssl's`);
        const wrong = Buffer.from(input);
        wrong[0]! ^= 1;
        t.notOk(verify(spec, handle, algorithm, wrong, mode, theirs), `${algorithm} ${mode}: altered input refused`);
      }
      const pub = loadPublicKey(spec, publicKeySpkiDer(handle));
      t.ok(verify(spec, pub, algorithm, message, 'RAW', theirs), `${algorithm}: public-only handle verifies`);
    }
  });

  t.test(`${spec}: malformed signatures give false, not exceptions`, async (t) => {
    const { handle } = keys.get(spec)!;
    for (const algorithm of SIGNING_ALGORITHMS_BY_SPEC[spec]) {
      const mode = SIGNING_DIGEST[algorithm] === null ? 'RAW' : 'DIGEST';
      const input = mode === 'RAW' ? message : digestOf(spec, algorithm);
      const good = sign(spec, handle, algorithm, input, mode);
      const flipped = Buffer.from(good);
      flipped[flipped.length >> 1]! ^= 0x10;
      for (const bad of [Buffer.alloc(0), Buffer.from([0x30, 0x00]), good.subarray(1), Buffer.concat([good, Buffer.from([0])]), flipped, randomBytes(good.length), Buffer.alloc(good.length, 0xff)]) {
        t.equal(verify(spec, handle, algorithm, input, mode, bad), false, `${algorithm}: ${bad.length}-byte bad signature`);
      }
    }
  });
}

t.test('digest length, algorithm and message type are enforced', async (t) => {
  const rsa = keys.get('RSA_2048')!.handle;
  t.throws(() => sign('RSA_2048', rsa, 'RSASSA_PSS_SHA_256', Buffer.alloc(48), 'DIGEST'), { code: 'DIGEST_LENGTH' });
  t.throws(() => verify('RSA_2048', rsa, 'RSASSA_PKCS1_V1_5_SHA_512', Buffer.alloc(32), 'DIGEST', Buffer.alloc(256)), { code: 'DIGEST_LENGTH' });
  t.throws(() => sign('EC_P256', keys.get('EC_P256')!.handle, 'ECDSA_SHA_384', Buffer.alloc(32), 'DIGEST'), { code: 'DIGEST_LENGTH' });
  t.throws(() => sign('SM2', keys.get('SM2')!.handle, 'SM2DSA_SM3', Buffer.alloc(33), 'DIGEST'), { code: 'DIGEST_LENGTH' });
  t.throws(() => sign('RSA_2048', rsa, 'ECDSA_SHA_256', message, 'RAW'), { code: 'ALGORITHM_MISMATCH' });
  t.throws(() => sign('SECP256K1', keys.get('SECP256K1')!.handle, 'ECDSA_SHA_384', message, 'RAW'), { code: 'ALGORITHM_MISMATCH' });
  t.throws(() => sign('SM2', keys.get('SM2')!.handle, 'ECDSA_SHA_256', message, 'RAW'), { code: 'ALGORITHM_MISMATCH' });
  t.throws(() => sign('ED25519', keys.get('ED25519')!.handle, 'ED25519_SHA_512', Buffer.alloc(64), 'DIGEST'), { code: 'MESSAGE_TYPE' });
  t.throws(() => sign('RSA_3072', rsa, 'RSASSA_PSS_SHA_256', message, 'RAW'), { code: 'KEY_SPEC_MISMATCH' });
  t.throws(() => sign('RSA_2048', loadPublicKey('RSA_2048', publicKeySpkiDer(rsa)), 'RSASSA_PSS_SHA_256', message, 'RAW'), { code: 'NOT_PRIVATE_KEY' });
  t.throws(() => encrypt('EC_P256', keys.get('EC_P256')!.handle, 'RSAES_OAEP_SHA_256', message), { code: 'ALGORITHM_MISMATCH' });
  t.ok(Object.isFrozen(SIGNING_ALGORITHMS_BY_SPEC) && Object.isFrozen(SIGNING_ALGORITHMS_BY_SPEC.RSA_2048), 'table frozen');
});

t.test('RSAES-OAEP-SHA-256 and SHA-1 interoperate with openssl pkeyutl; k-66 limit', async (t) => {
  for (const [spec, limit] of [['RSA_2048', 190], ['RSA_3072', 318], ['RSA_4096', 446]] as const) {
    const { handle, keyFile, pubFile } = keys.get(spec)!;
    for (const [algorithm, md] of [['RSAES_OAEP_SHA_256', 'sha256'], ['RSAES_OAEP_SHA_1', 'sha1']] as const) {
      const opts = ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${md}`, '-pkeyopt', `rsa_mgf1_md:${md}`];
      const pt = randomBytes(algorithm === 'RSAES_OAEP_SHA_256' ? limit : 32);
      const ours = tmp.write(`${spec}-${md}.oaep`, encrypt(spec, handle, algorithm, pt));
      t.same(openssl(['pkeyutl', '-decrypt', '-inkey', keyFile, ...opts, '-in', ours]), pt, `${spec} ${algorithm}: openssl decrypts ours`);
      const ptFile = tmp.write(`${spec}-${md}.pt`, pt);
      const theirs = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pubFile, ...opts, '-in', ptFile]);
      t.same(decrypt(spec, handle, algorithm, theirs), pt, `${spec} ${algorithm}: we decrypt openssl's`);
    }
    t.throws(() => encrypt(spec, handle, 'RSAES_OAEP_SHA_256', Buffer.alloc(limit + 1)), { code: 'PLAINTEXT_TOO_LONG' }, `${spec}: ${limit + 1} bytes refused`);
    const ct = encrypt(spec, handle, 'RSAES_OAEP_SHA_256', Buffer.from('x'));
    ct[5]! ^= 1;
    t.throws(() => decrypt(spec, handle, 'RSAES_OAEP_SHA_256', ct), { code: 'BAD_CIPHERTEXT' }, 'tampered ciphertext');
    t.throws(() => decrypt(spec, handle, 'RSAES_OAEP_SHA_256', ct.subarray(1)), { code: 'BAD_CIPHERTEXT' }, 'short ciphertext');
  }
});

t.test('SM2_ENCRYPT round trip through the handle', async (t) => {
  const { handle } = keys.get('SM2')!;
  t.same(ENCRYPTION_ALGORITHMS_BY_SPEC.SM2, ['SM2_ENCRYPT']);
  const ct = encrypt('SM2', handle, 'SM2_ENCRYPT', Buffer.from('datakey'));
  t.same(decrypt('SM2', handle, 'SM2_ENCRYPT', ct), Buffer.from('datakey'));
  ct[ct.length - 1]! ^= 1;
  t.throws(() => decrypt('SM2', handle, 'SM2_ENCRYPT', ct), { code: 'BAD_CIPHERTEXT' });
});

t.test('assertPrivateKeyMatchesSpec refuses the wrong key', async (t) => {
  const der = (spec: AsymmetricKeySpec) => keys.get(spec)!.der;
  const spki = (spec: AsymmetricKeySpec) => publicKeySpkiDer(keys.get(spec)!.handle);
  for (const spec of ASYMMETRIC_KEY_SPECS) t.doesNotThrow(() => assertPrivateKeyMatchesSpec(spec, der(spec)), `${spec} accepts its own key`);
  const cases: [AsymmetricKeySpec, Buffer, string, string][] = [
    ['RSA_2048', der('RSA_3072'), 'KEY_SPEC_MISMATCH', 'RSA-3072 for RSA_2048'],
    ['RSA_4096', der('RSA_2048'), 'KEY_SPEC_MISMATCH', 'RSA-2048 for RSA_4096'],
    ['EC_P256', der('EC_P384'), 'KEY_SPEC_MISMATCH', 'P-384 for EC_P256'],
    ['EC_P256', der('SECP256K1'), 'KEY_SPEC_MISMATCH', 'secp256k1 for EC_P256'],
    ['EC_P256', der('SM2'), 'KEY_SPEC_MISMATCH', 'SM2 for EC_P256'],
    ['SM2', der('EC_P256'), 'KEY_SPEC_MISMATCH', 'P-256 for SM2'],
    ['SM2', der('RSA_2048'), 'KEY_SPEC_MISMATCH', 'RSA for SM2'],
    ['ED25519', der('EC_P256'), 'KEY_SPEC_MISMATCH', 'P-256 for ED25519'],
    ['RSA_2048', spki('RSA_2048'), 'NOT_PRIVATE_KEY', 'public key for RSA_2048'],
    ['EC_P256', spki('EC_P256'), 'NOT_PRIVATE_KEY', 'public key for EC_P256'],
    ['SM2', spki('SM2'), 'NOT_PRIVATE_KEY', 'public key for SM2'],
    ['RSA_2048', Buffer.from('garbage'), 'INVALID_KEY', 'garbage for RSA_2048'],
    ['SM2', Buffer.from('garbage'), 'INVALID_KEY', 'garbage for SM2'],
    ['EC_P384', der('EC_P384').subarray(0, 40), 'INVALID_KEY', 'truncated'],
  ];
  for (const [spec, key, code, what] of cases) {
    t.throws(() => assertPrivateKeyMatchesSpec(spec, key), { name: 'CryptoInputError', code }, what);
    t.throws(() => loadPrivateKey(spec, key), { code }, `loadPrivateKey: ${what}`);
  }
});

t.test('publicKeyPem matches openssl for every spec', async (t) => {
  for (const spec of ASYMMETRIC_KEY_SPECS) {
    const { keyFile, der } = keys.get(spec)!;
    t.equal(publicKeyPem(spec, der), openssl(['pkey', '-in', keyFile, '-pubout']).toString(), spec);
  }
  t.ok(readFileSync(keys.get('SM2')!.pubFile, 'utf8').startsWith('-----BEGIN PUBLIC KEY-----\n'));
});
