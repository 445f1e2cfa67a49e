/**
 * A signature verification thread's entry (started by verify-pool.ts): SM2 and ECDSA-over-a-digest
 * checks with the daemon's own curve modules. Only public data arrives here: the public key, the
 * digest and the signature.
 */
import { parentPort } from 'node:worker_threads';
import { sm2VerifyDigest } from './sm2.js';
import { ecdsaVerifyDigest, ecPublicPoint } from './ec.js';
import type { OffloadedVerify } from './verify-pool.js';

if (!parentPort) throw new Error('verify-thread: run as a worker thread (hsm/asym/verify-pool.ts)');
const port = parentPort;
/** Parsed public points by curve and key, so a hot key is decoded once (bounded: cleared at 1000). */
const points = new Map<string, ReturnType<typeof ecPublicPoint>>();

port.on('message', (m: OffloadedVerify & { id: number }) => {
  let ok = false;
  let error: { name: string; code?: string; message: string } | undefined;
  try {
    if (m.kind === 'sm2') {
      ok = sm2VerifyDigest(m.publicKey, m.digest, m.signature);
    } else {
      const key = `${m.curve}:${Buffer.from(m.publicKey).toString('hex')}`;
      let point = points.get(key);
      if (!point) {
        if (points.size >= 1000) points.clear();
        point = ecPublicPoint(m.curve, m.publicKey);
        points.set(key, point);
      }
      ok = ecdsaVerifyDigest(point, m.digest, m.signature);
    }
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    error = { name: err?.name || 'Error', code: err?.code, message: String(err?.message ?? e) };
  }
  port.postMessage({ id: m.id, ok, error });
});
