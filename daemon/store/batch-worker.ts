/**
 * Runs write batches for an embedded (`file:`) database on a worker thread with its own libSQL
 * connection. The embedded engine executes statements synchronously on the calling thread, so the
 * audit trail's bulk appends would otherwise stop the event loop for every flush. WAL mode lets
 * this second connection write beside the daemon's own; the busy timeout waits out the other writer.
 */
import { Worker } from 'node:worker_threads';
import type { InStatement } from '@libsql/client';
import { BUSY_TIMEOUT_MS } from './db.js';

// Plain CommonJS run with `eval`: no compiled file to locate, from the sources or from dist/ alike.
// @libsql/client is resolved from this module's location, not from the daemon's working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { createClient } = createRequire(workerData.base)('@libsql/client');
const client = createClient({ url: workerData.url, timeout: workerData.busyTimeoutMs });
parentPort.on('message', async ({ id, stmts }) => {
  try {
    await client.batch(stmts, 'write');
    parentPort.postMessage({ id });
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

export class BatchWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private next = 0;
  private failed: Error | undefined;

  constructor(url: string) {
    if (!url.startsWith('file:')) throw new TypeError('url: a file: database URL expected');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url, base: import.meta.url, busyTimeoutMs: BUSY_TIMEOUT_MS } });
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error === undefined) p.resolve();
      else p.reject(new Error(`audit append failed: ${m.error}`));
    });
    const failAll = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', () => failAll(new Error('the audit writer thread stopped')));
  }

  /** Runs `stmts` as one write transaction on the worker's connection. */
  run(stmts: InStatement[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, stmts });
    });
  }

  /** Stops the thread (after the last batch was awaited). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
