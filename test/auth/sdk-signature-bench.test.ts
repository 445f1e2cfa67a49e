// Measures SDK-HMAC-SHA256 verifications per second for a typical 200-byte JSON POST (the data path budget is ~16 µs per request).
import t from 'tap';
import { createSdkSignatureBenchCase, measureSdkVerifyRate } from '../../daemon/http/auth/sdk-signature-bench.js';

t.test('the fixture request verifies', async (t) => {
  const bench = createSdkSignatureBenchCase();
  t.equal(bench.verifyOnce(), true);
  t.equal((bench.request.body as Uint8Array).length, 200);
});

t.test('verification rate', async (t) => {
  const { opsPerSec, iterations } = measureSdkVerifyRate(500);
  t.comment(`verifySdkSignature: ${opsPerSec} verifications/s (${(1e6 / opsPerSec).toFixed(2)} µs each, ${iterations} iterations)`);
  t.ok(opsPerSec > 20_000, 'far from the per-request budget even on a loaded machine');
});
