/** The verification pool: SM2 and ECDSA-over-a-digest checks on worker threads give the answers of independent implementations. */
import t from 'tap';
import { createRequire } from 'node:module';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { VerifyPool } from '../../daemon/hsm/asym/verify-pool.js';
import { sm2GenerateKeyPair, sm2MessageDigest } from '../../daemon/hsm/asym/sm2.js';
import { runVerifyCheck } from '../../daemon/hsm/asym/asymmetric.js';

interface SmCryptoSm2 {
  doSignature(msg: number[], privateKeyHex: string, opts: { der?: boolean; hash?: boolean; publicKey?: string }): string;
}
const smCrypto = createRequire(import.meta.url)('sm-crypto') as { sm2: SmCryptoSm2 };

t.test('answers as sm-crypto and OpenSSL signed, on worker threads', async (t) => {
  const pool = VerifyPool.create(2);
  if (!pool) throw new Error('the compiled curve modules (npm run build) were not found');
  t.teardown(() => pool.close());

  const sm2Checks = [];
  for (let i = 0; i < 6; i++) {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    const msg = Buffer.from(`pool message ${i}`);
    const signature = Buffer.from(smCrypto.sm2.doSignature(Array.from(msg), privateKey.toString('hex'), { der: true, hash: true, publicKey: publicKey.toString('hex') }), 'hex');
    const digest = sm2MessageDigest(publicKey, msg);
    sm2Checks.push({ good: { kind: 'sm2' as const, publicKey, digest, signature }, other: { kind: 'sm2' as const, publicKey, digest: sm2MessageDigest(publicKey, Buffer.from('other')), signature } });
  }
  const ecChecks = [];
  for (const [curve, namedCurve, hash] of [['P-256', 'prime256v1', 'sha256'], ['P-384', 'secp384r1', 'sha384'], ['secp256k1', 'secp256k1', 'sha256']] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
    const point = publicKey.export({ format: 'jwk' });
    const raw = Buffer.concat([Buffer.from([4]), Buffer.from(point.x!, 'base64url'), Buffer.from(point.y!, 'base64url')]);
    const msg = Buffer.from(`ecdsa over ${curve}`);
    const signature = nodeSign(hash, msg, privateKey); // OpenSSL, DER
    const digest = createHash(hash).update(msg).digest();
    ecChecks.push({ good: { kind: 'ecdsa' as const, curve, publicKey: raw, digest, signature }, other: { kind: 'ecdsa' as const, curve, publicKey: raw, digest: createHash(hash).update('other').digest(), signature } });
  }
  // All at once: the pool spreads them over its threads and each answer reaches its own check.
  const all = [...sm2Checks, ...ecChecks];
  const goods = await Promise.all(all.map((c) => pool.verify(c.good)));
  const others = await Promise.all(all.map((c) => pool.verify(c.other)));
  t.same(goods, all.map(() => true), 'every good signature verifies');
  t.same(others, all.map(() => false), 'none verifies another digest');
  for (const c of all) t.equal(runVerifyCheck(c.good), true, 'the same check on this thread agrees');
  const broken = { ...sm2Checks[0].good, signature: Buffer.from('3006020101020101', 'hex') };
  t.equal(await pool.verify(broken), false, 'a malformed or out-of-range signature is false, not an error');
  t.equal(await pool.verify({ ...ecChecks[0].good, signature: Buffer.from('not der') }), false);

  await pool.close();
  await t.rejects(pool.verify(sm2Checks[0].good), /closed/, 'a closed pool refuses work');
});
