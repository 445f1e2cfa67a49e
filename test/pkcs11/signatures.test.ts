/** The token ↔ node:crypto signature conversions (pure): ECDSA r ‖ s ↔ DER, and the per-algorithm token input. */
import t from 'tap';
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { derToRawSignature, rawToDerSignature, signPlan, assertSignInput } from '../../daemon/hsm/pkcs11/signatures.js';
import { ecPointBytes } from '../../daemon/hsm/pkcs11/public-key.js';
import { encodeObjectRef, parseObjectRef, isObjectRef, objectLabel } from '../../daemon/hsm/pkcs11/objects.js';

t.test('r ‖ s ↔ DER keeps leading zeros and high bits right', async (t) => {
  const cases = [
    ['00'.repeat(31) + '01', 'ff'.repeat(32)],
    ['80' + '00'.repeat(31), '00ff' + '11'.repeat(30)],
    ['7f'.repeat(32), '01'.repeat(32)],
  ];
  for (const [r, s] of cases) {
    const raw = Buffer.from(r! + s!, 'hex');
    const der = rawToDerSignature(raw);
    t.equal(der[0], 0x30);
    t.same(derToRawSignature(der, 32), raw, `${r!.slice(0, 4)}… ${s!.slice(0, 4)}…`);
  }
  const p384 = Buffer.concat([Buffer.alloc(48, 0x42), Buffer.alloc(48, 0x99)]);
  t.same(derToRawSignature(rawToDerSignature(p384), 48), p384);
  t.equal(derToRawSignature(rawToDerSignature(p384), 32), undefined, 'does not fit a smaller field');
  t.equal(derToRawSignature(Buffer.from('3006020100020101', 'hex'), 32), undefined, 'r = 0 refused');
  t.equal(derToRawSignature(Buffer.from('300602010102810101', 'hex'), 32), undefined, 'non-DER refused');
  t.equal(derToRawSignature(Buffer.alloc(0), 32), undefined);
});

t.test('signing plans: what the token is handed', async (t) => {
  const msg = Buffer.from('abc');
  const sha256 = createHash('sha256').update(msg).digest();
  const pkcs1 = signPlan('RSASSA_PKCS1_V1_5_SHA_256', msg, 'RAW');
  t.equal(pkcs1.mechanism.mechanism, pkcs11js.CKM_RSA_PKCS);
  t.same(pkcs1.data, Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), sha256]), 'DigestInfo ‖ SHA-256 (RFC 8017 §9.2)');
  t.same(signPlan('RSASSA_PKCS1_V1_5_SHA_256', sha256, 'DIGEST').data, pkcs1.data, 'DIGEST input is the digest');
  const pss = signPlan('RSASSA_PSS_SHA_384', msg, 'RAW');
  t.match(pss.mechanism, { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: { hashAlg: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384, saltLen: 48 } });
  t.same(signPlan('ECDSA_SHA_512', msg, 'RAW').data, createHash('sha512').update(msg).digest());
  t.same(signPlan('ED25519_SHA_512', msg, 'RAW').data, msg, 'EdDSA signs the message itself');
  t.throws(() => assertSignInput('EC_P256', 'ECDSA_SHA_256', Buffer.alloc(31), 'DIGEST'), { name: 'CryptoInputError', code: 'DIGEST_LENGTH' });
  t.throws(() => assertSignInput('EC_P256', 'RSASSA_PSS_SHA_256', msg, 'RAW'), { name: 'CryptoInputError', code: 'ALGORITHM_MISMATCH' });
});

t.test('CKA_EC_POINT in DER or bare; object references name one key version of one partition', async (t) => {
  const point = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]);
  t.same(ecPointBytes('EC_P256', Buffer.concat([Buffer.from([4, 65]), point])), point);
  t.same(ecPointBytes('EC_P256', point), point);
  t.throws(() => ecPointBytes('EC_P256', point.subarray(1)), TypeError);
  const ref = { partitionId: 'hsm-1', keyId: '0d0466b0-e727-4d9c-b35d-000000000001', version: 2 };
  const stored = encodeObjectRef(ref);
  t.equal(stored.toString(), `p11:v1:${objectLabel(ref)}`);
  t.ok(isObjectRef(stored));
  t.equal(parseObjectRef(stored, ref), 'dew:hsm-1:0d0466b0-e727-4d9c-b35d-000000000001:v2');
  t.equal(parseObjectRef(stored, { ...ref, version: 1 }), undefined);
  t.equal(parseObjectRef(stored, { ...ref, partitionId: 'hsm-2' }), undefined);
  t.equal(parseObjectRef(Buffer.from('sealed bytes'), ref), undefined);
  t.throws(() => objectLabel({ ...ref, partitionId: 'a:b' }), TypeError);
});
