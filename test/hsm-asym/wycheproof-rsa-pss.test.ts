/** Wycheproof RSASSA-PSS (2048, SHA-256, MGF1-SHA-256, salt 32) rows: valid ones verify, invalid ones do not. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadPublicKey, verify } from '../../daemon/hsm/asym/asymmetric.js';

const V = JSON.parse(readFileSync(new URL('../vectors/rsa-pss-wycheproof.json', import.meta.url), 'utf8')) as {
  source: string;
  keyDer: string;
  tests: { tcId: number; comment: string; msg: string; sig: string; result: 'valid' | 'invalid' }[];
};

t.test(V.source, async (t) => {
  const key = loadPublicKey('RSA_2048', Buffer.from(V.keyDer, 'hex'));
  for (const row of V.tests) {
    const msg = Buffer.from(row.msg, 'hex');
    const sig = Buffer.from(row.sig, 'hex');
    const expect = row.result === 'valid';
    t.equal(verify('RSA_2048', key, 'RSASSA_PSS_SHA_256', msg, 'RAW', sig), expect, `tcId ${row.tcId} RAW ${row.comment}`);
    const digest = createHash('sha256').update(msg).digest();
    t.equal(verify('RSA_2048', key, 'RSASSA_PSS_SHA_256', digest, 'DIGEST', sig), expect, `tcId ${row.tcId} DIGEST ${row.comment}`);
  }
});
