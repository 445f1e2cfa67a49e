/**
 * Signature checks node:crypto cannot do, SM2 and ECDSA over a given digest, are pure-JS curve
 * arithmetic (@noble/curves): 1–3 ms each, which on the event loop would stall every other request
 * for that long. This pool runs them on worker threads. Only public data crosses to a worker: the
 * public key, the digest and the signature; private keys never leave the daemon's main thread.
 *
 * A worker runs verify-thread.ts, which imports the daemon's own `sm2` and `ec` modules.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EcCurve } from './ec.js';

/** A check the pool can run: SM2 (GB/T 32918.2 §7.1) or ECDSA (SEC 1 §4.1.4) over a digest. */
export type OffloadedVerify =
  | { kind: 'sm2'; publicKey: Uint8Array; digest: Uint8Array; signature: Uint8Array }
  | { kind: 'ecdsa'; curve: EcCurve; publicKey: Uint8Array; digest: Uint8Array; signature: Uint8Array };

/**
 * The thread's entry, beside this module (the compiled file in dist/; under the tests' TypeScript
 * loader the thread inherits it through execArgv and `.js` maps to the `.ts` source).
 */
const THREAD_ENTRY = new URL('./verify-thread.js', import.meta.url);

interface Pending {
  resolve: (ok: boolean) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private next = 0;
  private closed = false;

  /** Threads start on first use (most daemons never verify SM2), up to `size`. */
  private constructor(private readonly size: number) {}

  private spawn(): Slot {
    const worker = new Worker(THREAD_ENTRY);
    // Idle workers never keep the process alive; close() ends them on shutdown.
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (m: { id: number; ok: boolean; error?: { name: string; code?: string; message: string } }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.code }));
      else p.resolve(m.ok);
    });
    const failAll = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', () => {
      failAll(new Error('a signature verification thread stopped'));
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    });
    this.slots.push(slot);
    return slot;
  }

  /** The least busy thread, or a new one while all are busy and the pool is not full. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.pending.size < best.pending.size) best = s;
    if (!best || (best.pending.size > 0 && this.slots.length < this.size)) return this.spawn();
    return best;
  }

  /**
   * A pool of `size` threads (default: one per core but the event loop's, at least one, at most
   * four).
   */
  static create(size = Math.min(4, Math.max(1, availableParallelism() - 1))): VerifyPool {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
    return new VerifyPool(size);
  }

  /** Runs one check on the least busy thread; the answer is the check's own (false for a wrong or malformed signature). */
  verify(job: OffloadedVerify): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('the verification pool is closed'));
    const slot = this.pick();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage({ id, ...job });
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
