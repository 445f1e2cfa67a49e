/** RFC 3394 / RFC 5649 key wrap: RFC vectors, node's id-aes256-wrap-pad, the openssl CLI, and the SM4 variant. */
import t from 'tap';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  aesKeyUnwrap, aesKeyUnwrapPad, aesKeyWrap, aesKeyWrapPad, sm4KeyUnwrapPad, sm4KeyWrapPad,
} from '../../daemon/hsm/asym/key-wrap.js';
import { hex, loadVectors, openssl } from './fixtures/openssl.js';

interface Row { section: string; kek: string; key: string; wrapped: string }
const vectors = loadVectors<{ source: string; rfc3394: Row[]; rfc5649: Row[] }>('key-wrap.json');
const AIV = Buffer.from('a65959a6', 'hex');
const unwrapFailed = { name: 'CryptoInputError', code: 'UNWRAP_FAILED' };

t.test('RFC 3394 vectors', async (t) => {
  for (const v of vectors.rfc3394) {
    t.equal(aesKeyWrap(hex(v.kek), hex(v.key)).toString('hex'), v.wrapped.toLowerCase(), v.section);
    t.equal(aesKeyUnwrap(hex(v.kek), hex(v.wrapped)).toString('hex'), v.key.toLowerCase(), `${v.section} unwrap`);
  }
});

t.test('RFC 5649 §6 vectors (192-bit KEK)', async (t) => {
  for (const v of vectors.rfc5649) {
    t.equal(aesKeyWrapPad(hex(v.kek), hex(v.key)).toString('hex'), v.wrapped, v.section);
    t.equal(aesKeyUnwrapPad(hex(v.kek), hex(v.wrapped)).toString('hex'), v.key, `${v.section} unwrap`);
  }
});

t.test('AES-KWP matches node id-aes{128,192,256}-wrap-pad for 1..70 byte keys', async (t) => {
  for (const kekLen of [16, 24, 32]) {
    const kek = randomBytes(kekLen);
    const alg = `id-aes${kekLen * 8}-wrap-pad`;
    for (let len = 1; len <= 70; len++) {
      const key = randomBytes(len);
      const ours = aesKeyWrapPad(kek, key);
      const c = createCipheriv(alg, kek, AIV);
      const theirs = Buffer.concat([c.update(key), c.final()]);
      if (!ours.equals(theirs)) t.fail(`${alg} len ${len} differs`);
      const d = createDecipheriv(alg, kek, AIV);
      if (!Buffer.concat([d.update(ours), d.final()]).equals(key)) t.fail(`node cannot unwrap ours, len ${len}`);
      if (!aesKeyUnwrapPad(kek, theirs).equals(key)) t.fail(`we cannot unwrap node's, len ${len}`);
    }
    t.pass(`${alg} agrees both ways`);
  }
});

t.test('AES-256-KWP matches `openssl enc -id-aes256-wrap-pad -iv A65959A6`', async (t) => {
  const kek = randomBytes(32);
  for (const len of [7, 32, 1217]) {
    const key = randomBytes(len);
    const theirs = openssl(['enc', '-id-aes256-wrap-pad', '-K', kek.toString('hex'), '-iv', 'A65959A6'], key);
    t.same(aesKeyWrapPad(kek, key), theirs, `${len} bytes wrapped identically`);
    const back = openssl(['enc', '-d', '-id-aes256-wrap-pad', '-K', kek.toString('hex'), '-iv', 'A65959A6'], aesKeyWrapPad(kek, key));
    t.same(back, key, 'openssl unwraps ours');
  }
});

t.test('integrity failures are detected', async (t) => {
  const kek = randomBytes(32);
  for (const len of [5, 8, 9, 32]) {
    const wrapped = aesKeyWrapPad(kek, randomBytes(len));
    for (let i = 0; i < wrapped.length; i += 7) {
      const bad = Buffer.from(wrapped);
      bad[i]! ^= 0x80;
      t.throws(() => aesKeyUnwrapPad(kek, bad), unwrapFailed, `len ${len} flipped byte ${i}`);
    }
    t.throws(() => aesKeyUnwrapPad(randomBytes(32), wrapped), unwrapFailed, 'wrong KEK');
  }
  t.throws(() => aesKeyUnwrapPad(kek, Buffer.alloc(12)), unwrapFailed, 'bad length');
  // A correctly encrypted block whose MLI claims more bytes than present (RFC 5649 §4.2 length check).
  const forged = createCipheriv('aes-256-ecb', kek, null).setAutoPadding(false).update(Buffer.concat([AIV, hex('00000009'), Buffer.alloc(8)]));
  t.throws(() => aesKeyUnwrapPad(kek, forged), unwrapFailed, 'MLI out of range');
  const nonZeroPad = createCipheriv('aes-256-ecb', kek, null).setAutoPadding(false).update(Buffer.concat([AIV, hex('00000007'), hex('0102030405060708')]));
  t.throws(() => aesKeyUnwrapPad(kek, nonZeroPad), unwrapFailed, 'non-zero padding');
  t.throws(() => aesKeyUnwrap(kek, Buffer.alloc(24)), unwrapFailed, 'RFC 3394 IV check');
  t.throws(() => aesKeyWrapPad(Buffer.alloc(20), Buffer.alloc(8)), /kek/);
  t.throws(() => aesKeyWrapPad(kek, Buffer.alloc(0)), /key/);
});

t.test('SM4-KWP: round trip, integrity, differs from AES', async (t) => {
  const kek = randomBytes(16);
  for (const len of [1, 7, 8, 9, 16, 32, 121, 1217]) {
    const key = randomBytes(len);
    const wrapped = sm4KeyWrapPad(kek, key);
    t.equal(wrapped.length, Math.ceil(len / 8) * 8 + 8, `length for ${len}`);
    t.same(sm4KeyUnwrapPad(kek, wrapped), key, `round trip ${len}`);
    t.notSame(wrapped, aesKeyWrapPad(kek, key), 'differs from AES-128-KWP under the same KEK');
    const bad = Buffer.from(wrapped);
    bad[bad.length - 1]! ^= 1;
    t.throws(() => sm4KeyUnwrapPad(kek, bad), unwrapFailed, 'tamper detected');
    t.throws(() => sm4KeyUnwrapPad(randomBytes(16), wrapped), unwrapFailed, 'wrong KEK detected');
  }
  // Single-block case is exactly SM4-ECB(AIV || P) per RFC 5649 §4.1 step 2.
  const key = hex('466f7250617369');
  const block = createCipheriv('sm4-ecb', kek, null).setAutoPadding(false).update(Buffer.concat([AIV, hex('00000007'), key, Buffer.alloc(1)]));
  t.same(sm4KeyWrapPad(kek, key), block, 'one-block case is SM4-ECB of AIV||P');
  t.throws(() => sm4KeyWrapPad(randomBytes(32), key), /kek/);
});
