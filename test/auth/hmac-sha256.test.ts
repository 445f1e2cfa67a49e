/** The signature check's HMAC-SHA256 (two one-shot hashes): RFC 4231 vectors and OpenSSL's HMAC on random inputs. */
import t from 'tap';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constantTimeEqual, hmacSha256Hex } from '../../daemon/http/auth/hmac-sha256.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/symmetric.json', import.meta.url), 'utf8')) as { hmac: { rows: { key: string; data: string; sha256: string }[] } };
const rfc4231 = vectors.hmac.rows;

t.test('RFC 4231 vectors, including keys longer than a block (hashed first)', async (t) => {
  for (const r of rfc4231) t.equal(hmacSha256Hex(Buffer.from(r.key, 'hex'), Buffer.from(r.data, 'hex').toString('latin1')), r.sha256);
  const long = Buffer.alloc(131, 0xaa);
  // RFC 4231 test cases 6 and 7
  t.equal(hmacSha256Hex(long, 'Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  t.equal(
    hmacSha256Hex(long, 'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  );
});

t.test('equals OpenSSL HMAC for keys of 0 to 200 bytes and messages up to 5000 bytes, UTF-8 included', async (t) => {
  for (let i = 0; i < 400; i++) {
    const key = randomBytes(i % 201);
    const message = (i % 3 === 0 ? 'é€𝄞' : '') + randomBytes((i * 37) % 2500).toString('hex');
    const want = createHmac('sha256', key).update(message, 'utf8').digest('hex');
    if (hmacSha256Hex(key, message) !== want) return t.fail(`key ${key.length} bytes, message ${message.length} chars`);
  }
  t.pass('400 random cases agree');
});

t.test('constant-time equality', async (t) => {
  t.ok(constantTimeEqual('', ''));
  t.ok(constantTimeEqual('ab12', 'ab12'));
  t.notOk(constantTimeEqual('ab12', 'ab13'));
  t.notOk(constantTimeEqual('ab12', 'ab1'));
  t.notOk(constantTimeEqual('ab12', 'Ab12'));
});
