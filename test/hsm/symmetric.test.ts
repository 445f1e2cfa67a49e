/** Symmetric ciphers and the blob format, checked against published vectors and sm-crypto. */
import t from 'tap';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { aesCipher, sm4Cipher, encryptBlob, decryptBlob, DecryptError } from '../../daemon/hsm/symmetric.js';
import { parseBlob, blobLength, BlobFormatError, HEADER_LEN } from '../../daemon/hsm/ciphertext-blob.js';

const require = createRequire(import.meta.url);
const smCrypto = require('sm-crypto') as {
  sm3: (msg: string | number[], opts?: { key: string | number[] }) => string;
  sm4: { encrypt: (data: number[] | string, key: string, opts?: { mode?: string; padding?: string; output?: string }) => number[] | string };
};
const V = JSON.parse(readFileSync(new URL('../vectors/symmetric.json', import.meta.url), 'utf8'));
const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('node primitives match the published vectors (the engine under the HSM)', async (t) => {
  const sm4 = createCipheriv('sm4-ecb', Buffer.from(V.sm4.key, 'hex'), null).setAutoPadding(false);
  t.equal(hex(sm4.update(Buffer.from(V.sm4.plaintext, 'hex'))), V.sm4.ciphertext, V.sm4.source);
  for (const r of V.sm3.rows) t.equal(createHash('sm3').update(Buffer.from(r.message, 'hex')).digest('hex'), r.digest, V.sm3.source);
  for (const r of V.hmac.rows) {
    for (const h of ['sha256', 'sha384', 'sha512']) {
      t.equal(createHmac(h, Buffer.from(r.key, 'hex')).update(Buffer.from(r.data, 'hex')).digest('hex'), r[h], `${V.hmac.source} ${h}`);
    }
  }
  const g = V.aes256gcm;
  const c = createCipheriv('aes-256-gcm', Buffer.from(g.key, 'hex'), Buffer.from(g.iv, 'hex'));
  t.equal(hex(c.update(Buffer.from(g.plaintext, 'hex'))), g.ciphertext, g.source);
  c.final();
  t.equal(hex(c.getAuthTag()), g.tag);
});

t.test('blob length is exactly 124 + ceil(n/16)*16 and the header names the key', async (t) => {
  const c = aesCipher(randomBytes(32));
  for (const n of [1, 15, 16, 17, 31, 32, 4096, 1024]) {
    const blob = encryptBlob(c, { keyId: KEY_ID, keyVersion: 3, kind: 'data' }, randomBytes(n));
    t.equal(blob.length, blobLength(n));
    t.equal(blob.length, 124 + Math.ceil(n / 16) * 16);
    t.same(parseBlob(blob), { kind: 'data', algorithm: 1, plaintextLength: n, keyVersion: 3, keyId: KEY_ID });
  }
  t.equal(Buffer.from(encryptBlob(c, { keyId: KEY_ID, keyVersion: 1, kind: 'data' }, Buffer.from('abcd'))).toString('base64').length, 188);
});

t.test('AES-256-GCM blobs: round trip, AAD binding, tamper detection everywhere', async (t) => {
  const c = aesCipher(randomBytes(32));
  const pt = Buffer.from('the quick brown fox');
  const blob = encryptBlob(c, { keyId: KEY_ID, keyVersion: 1, kind: 'data' }, pt, Buffer.from('aad'));
  t.same(decryptBlob(c, blob, parseBlob(blob), Buffer.from('aad')), pt);
  t.throws(() => decryptBlob(c, blob, parseBlob(blob), Buffer.from('aae')), DecryptError);
  t.throws(() => decryptBlob(c, blob, parseBlob(blob)), DecryptError);
  t.throws(() => decryptBlob(aesCipher(randomBytes(32)), blob, parseBlob(blob), Buffer.from('aad')), DecryptError, 'another key');
  for (let i = 0; i < blob.length; i++) {
    const bad = Buffer.from(blob);
    bad[i] ^= 0x80;
    let header;
    try {
      header = parseBlob(bad);
    } catch (err) {
      t.type(err, BlobFormatError);
      continue;
    }
    t.throws(() => decryptBlob(c, bad, header, Buffer.from('aad')), DecryptError, `byte ${i}`);
  }
});

t.test('SM4 blobs are SM4-CTR then HMAC-SM3, reproducible with sm-crypto', async (t) => {
  const material = randomBytes(16);
  const c = sm4Cipher(material);
  const pt = Buffer.from('SM4 protected message, 37 bytes long');
  const aad = Buffer.from('context');
  const blob = encryptBlob(c, { keyId: KEY_ID, keyVersion: 2, kind: 'datakey' }, pt, aad);
  t.same(decryptBlob(c, blob, parseBlob(blob), aad), pt);
  t.equal(parseBlob(blob).algorithm, 2);

  // Independent re-derivation: HKDF (RFC 5869) with sm-crypto's HMAC-SM3, salt empty.
  const hmac = (key: Buffer, msg: Buffer) => Buffer.from(smCrypto.sm3([...msg], { key: key.toString('hex') }), 'hex');
  const prk = hmac(Buffer.alloc(32), material);
  const info = Buffer.from('dew/sm4-ctr-hmac-sm3/v1');
  const t1 = hmac(prk, Buffer.concat([info, Buffer.from([1])]));
  const t2 = hmac(prk, Buffer.concat([t1, info, Buffer.from([2])]));
  const okm = Buffer.concat([t1, t2]);
  const encKey = okm.subarray(0, 16);
  const macKey = okm.subarray(16, 48);
  // CTR keystream from sm-crypto's SM4-ECB over the big-endian counter blocks.
  const iv = blob.subarray(48, 64);
  const body = blob.subarray(HEADER_LEN, blob.length - 32);
  const out = Buffer.alloc(body.length);
  let counter = BigInt('0x' + iv.toString('hex'));
  for (let off = 0; off < body.length; off += 16) {
    const block = Buffer.from(counter.toString(16).padStart(32, '0'), 'hex');
    const ks = Buffer.from(smCrypto.sm4.encrypt([...block], encKey.toString('hex'), { padding: 'none', output: 'array' }) as number[]);
    for (let i = 0; i < 16; i++) out[off + i] = body[off + i] ^ ks[i];
    counter = (counter + 1n) % (1n << 128n);
  }
  t.same(out.subarray(0, pt.length), pt, 'sm-crypto decrypts the body');
  t.same(out.subarray(pt.length), Buffer.alloc(out.length - pt.length), 'zero padding');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(aad.length);
  const tag = hmac(macKey, Buffer.concat([blob.subarray(0, HEADER_LEN), len, aad, body]));
  t.same(blob.subarray(blob.length - 32), tag, 'sm-crypto recomputes the HMAC-SM3 tag');
  const bad = Buffer.from(blob);
  bad[HEADER_LEN] ^= 1;
  t.throws(() => decryptBlob(c, bad, parseBlob(bad), aad), DecryptError);
});

t.test('malformed blobs are format errors, not crashes', async (t) => {
  for (const b of [Buffer.alloc(0), Buffer.alloc(139), Buffer.alloc(140), Buffer.alloc(141), randomBytes(300)]) {
    t.throws(() => parseBlob(b), BlobFormatError);
  }
});
