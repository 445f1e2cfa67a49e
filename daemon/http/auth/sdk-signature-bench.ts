/** Micro-benchmark fixture for `verifySdkSignature`: a typical signed 200-byte JSON POST, verified in a loop. */
import { expectedSdkSignature, verifySdkSignature, type SdkSignedRequest } from './sdk-signature.js';

const PROJECT_ID = '0123456789abcdef0123456789abcdef';
const ACCESS_KEY = 'DEWBENCHACCESSKEY0001';
const SIGNED_HEADERS = 'content-type;host;x-project-id;x-sdk-date';
const DATE = '20250101T000000Z';
const NOW_MS = Date.UTC(2025, 0, 1, 0, 1, 0);

/** A verifiable request (signed the way the Node/Python SDKs sign), its secret lookup and clock. */
export interface SdkSignatureBenchCase {
  readonly request: SdkSignedRequest;
  readonly lookupSecret: (accessKey: string) => Uint8Array | undefined;
  readonly nowMs: number;
  /** One verification; returns whether it succeeded (it always should). */
  verifyOnce(): boolean;
}

/** Builds the fixture: POST /v1.0/{project}/kms/encrypt-data with a 200-byte JSON body, header lookup by Map. */
export function createSdkSignatureBenchCase(): SdkSignatureBenchCase {
  const secret = Buffer.from('bench-secret-key-0123456789abcdefghijklmnop', 'utf8');
  const lookupSecret = (ak: string): Uint8Array | undefined => (ak === ACCESS_KEY ? secret : undefined);
  const body = Buffer.from(benchBody(200), 'utf8');
  const headers = new Map<string, string>([
    ['content-type', 'application/json;charset=UTF-8'],
    ['host', 'kms.local:8443'],
    ['x-project-id', PROJECT_ID],
    ['x-sdk-date', DATE],
  ]);
  const request: SdkSignedRequest = {
    method: 'POST',
    path: `/v1.0/${PROJECT_ID}/kms/encrypt-data`,
    rawQuery: '',
    header: (name) => headers.get(name.toLowerCase()),
    body,
  };
  const signature = expectedSdkSignature(request, SIGNED_HEADERS, secret);
  headers.set('authorization', `SDK-HMAC-SHA256 Access=${ACCESS_KEY}, SignedHeaders=${SIGNED_HEADERS}, Signature=${signature}`);
  return {
    request,
    lookupSecret,
    nowMs: NOW_MS,
    verifyOnce: () => verifySdkSignature(request, lookupSecret, NOW_MS).ok,
  };
}

/** Runs the fixture for about `durationMs` and returns verifications per second. */
export function measureSdkVerifyRate(durationMs = 1000): { opsPerSec: number; iterations: number } {
  if (!(durationMs > 0)) throw new TypeError('durationMs must be positive');
  const bench = createSdkSignatureBenchCase();
  for (let i = 0; i < 2000; i++) bench.verifyOnce();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 1000; i++) {
      if (!bench.verifyOnce()) throw new Error('benchmark request failed to verify');
    }
    iterations += 1000;
    elapsed = performance.now() - start;
  }
  return { opsPerSec: Math.round((iterations * 1000) / elapsed), iterations };
}

/** A JSON body of exactly `size` bytes shaped like an encrypt-data request. */
function benchBody(size: number): string {
  const head = `{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","encryption_algorithm":"SYMMETRIC_DEFAULT","plain_text":"`;
  const tail = '"}';
  return head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
}
