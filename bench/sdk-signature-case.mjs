// Benchmark fixture for `verifySdkSignature` (bench/speed.mjs): a typical signed 200-byte JSON POST,
// verified in a loop. Run after `npm run build` (it uses the compiled verifier in dist/).
import { expectedSdkSignature, verifySdkSignature } from '../dist/daemon/http/auth/sdk-signature.js';

const PROJECT_ID = '0123456789abcdef0123456789abcdef';
const ACCESS_KEY = 'DEWBENCHACCESSKEY0001';
const SIGNED_HEADERS = 'content-type;host;x-project-id;x-sdk-date';
const DATE = '20250101T000000Z';
const NOW_MS = Date.UTC(2025, 0, 1, 0, 1, 0);

/**
 * POST /v1.0/{project}/kms/encrypt-data with a 200-byte JSON body, signed the way the Node/Python
 * SDKs sign, header lookup by Map. `verifyOnce()` returns whether it verified (it always should).
 */
export function createSdkSignatureBenchCase() {
  const secret = Buffer.from('bench-secret-key-0123456789abcdefghijklmnop', 'utf8');
  const lookupSecret = (ak) => (ak === ACCESS_KEY ? secret : undefined);
  const body = Buffer.from(benchBody(200), 'utf8');
  const headers = new Map([
    ['content-type', 'application/json;charset=UTF-8'],
    ['host', 'kms.local:8443'],
    ['x-project-id', PROJECT_ID],
    ['x-sdk-date', DATE],
  ]);
  const request = {
    method: 'POST',
    path: `/v1.0/${PROJECT_ID}/kms/encrypt-data`,
    rawQuery: '',
    header: (name) => headers.get(name.toLowerCase()),
    body,
  };
  const signature = expectedSdkSignature(request, SIGNED_HEADERS, secret);
  headers.set('authorization', `SDK-HMAC-SHA256 Access=${ACCESS_KEY}, SignedHeaders=${SIGNED_HEADERS}, Signature=${signature}`);
  if (body.length !== 200) throw new Error(`fixture body is ${body.length} bytes, not 200`);
  const verifyOnce = () => verifySdkSignature(request, lookupSecret, NOW_MS).ok;
  if (!verifyOnce()) throw new Error('the benchmark request does not verify');
  return { request, secret, lookupSecret, nowMs: NOW_MS, verifyOnce };
}

/** A JSON body of exactly `size` bytes shaped like an encrypt-data request. */
function benchBody(size) {
  const head = `{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","encryption_algorithm":"SYMMETRIC_DEFAULT","plain_text":"`;
  const tail = '"}';
  return head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
}
