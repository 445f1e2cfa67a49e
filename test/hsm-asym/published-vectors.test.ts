/** Published ECDSA vectors (RFC 6979 §A.2.5) verified through the handle API in RAW and DIGEST modes. */
import t from 'tap';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { loadPrivateKey, loadPublicKey, sign, verify } from '../../daemon/hsm/asym/asymmetric.js';
import { derEncodeSignature } from '../../daemon/hsm/asym/der.js';
import type { SigningAlgorithm } from '../../daemon/hsm/asym/key-specs.js';
import { loadVectors } from './fixtures/openssl.js';

interface Vectors {
  source: string; privateKey: string; publicKeyX: string; publicKeyY: string;
  signatures: { algorithm: SigningAlgorithm; messageUtf8: string; r: string; s: string }[];
}
const v = loadVectors<Vectors>('ecdsa-p256.json');
const b64u = (h: string) => Buffer.from(h, 'hex').toString('base64url');
const jwk = { kty: 'EC', crv: 'P-256', x: b64u(v.publicKeyX), y: b64u(v.publicKeyY) };
const spki = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
const pkcs8 = createPrivateKey({ key: { ...jwk, d: b64u(v.privateKey) }, format: 'jwk' }).export({ type: 'pkcs8', format: 'der' });

t.test('RFC 6979 A.2.5 P-256 signatures verify', async (t) => {
  const pub = loadPublicKey('EC_P256', spki);
  for (const row of v.signatures) {
    const sig = derEncodeSignature(BigInt('0x' + row.r), BigInt('0x' + row.s));
    const msg = Buffer.from(row.messageUtf8);
    const digest = createHash(row.algorithm === 'ECDSA_SHA_256' ? 'sha256' : 'sha512').update(msg).digest();
    t.ok(verify('EC_P256', pub, row.algorithm, msg, 'RAW', sig), `${row.algorithm} "${row.messageUtf8}" RAW`);
    t.ok(verify('EC_P256', pub, row.algorithm, digest, 'DIGEST', sig), `${row.algorithm} "${row.messageUtf8}" DIGEST`);
    t.notOk(verify('EC_P256', pub, row.algorithm, Buffer.from(row.messageUtf8 + '!'), 'RAW', sig), 'other message refused');
  }
});

t.test('RFC 6979 A.2.5 key signs DIGESTs the published public key verifies', async (t) => {
  const priv = loadPrivateKey('EC_P256', pkcs8);
  const pub = loadPublicKey('EC_P256', spki);
  const digest = createHash('sha512').update('sample').digest();
  t.ok(verify('EC_P256', pub, 'ECDSA_SHA_512', digest, 'DIGEST', sign('EC_P256', priv, 'ECDSA_SHA_512', digest, 'DIGEST')));
});
