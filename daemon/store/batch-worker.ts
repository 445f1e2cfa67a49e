/**
 * The audit writer thread of an embedded (`file:`) database: chains queued audit records, hashes
 * them and appends them as one segment, on a worker thread with its own libSQL connection. The
 * embedded engine executes statements synchronously on the calling thread, and hashing and
 * statement building cost the event loop a few microseconds a record, so all of it happens here.
 * WAL mode lets this second connection write beside the daemon's own; the busy timeout waits out
 * the other writer.
 */
import { Worker } from 'node:worker_threads';
import { BUSY_TIMEOUT_MS } from './db.js';
import { segmentStatements, type ChainHead } from './audit-repo.js';
import { chainRecords, recordFields, summarize, type UnchainedContent } from '../services/audit-chain.js';

// Plain CommonJS run with `eval`: no compiled file to locate, from the sources or from dist/ alike.
// The chain and the statements are the daemon's own functions, injected from their source text.
// @libsql/client is resolved from this module's location, not from the daemon's working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { hash } = require('node:crypto');
const { createClient } = createRequire(workerData.base)('@libsql/client');
const client = createClient({ url: workerData.url, timeout: workerData.busyTimeoutMs });
// Per connection: this one writes only the queued data-path records. In WAL mode NORMAL still never
// corrupts the database and survives a killed process; only an OS crash or power loss can take the
// last commits since a checkpoint (queued records are already at risk for one flush interval).
const ready = client.execute('PRAGMA synchronous = NORMAL').catch(() => undefined);
const chainRecords = (${chainRecords.toString()});
const segmentStatements = (${segmentStatements.toString()});
const sha256Hex = (text) => hash('sha256', text, 'hex');
parentPort.on('message', async ({ id, head, fields, summary }) => {
  try {
    await ready;
    const chained = chainRecords(sha256Hex, head.chainId, head.headSeq, head.headHash, fields.split('\\n'));
    const segment = { chainId: head.chainId, ...chained, ...summary };
    await client.batch(segmentStatements(segment, head.startedAt), 'write');
    parentPort.postMessage({ id, head: { chainId: head.chainId, headSeq: segment.lastSeq, headHash: segment.hash, startedAt: head.startedAt } });
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

export class BatchWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (head: ChainHead) => void; reject: (e: Error) => void }>();
  private next = 0;
  private failed: Error | undefined;

  constructor(url: string) {
    if (!url.startsWith('file:')) throw new TypeError('url: a file: database URL expected');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url, base: import.meta.url, busyTimeoutMs: BUSY_TIMEOUT_MS } });
    this.worker.on('message', (m: { id: number; head?: ChainHead; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error === undefined && m.head) p.resolve(m.head);
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

  /** Chains `entries` after `head` and appends them as one segment in one write transaction; resolves with the new head. */
  appendAudit(head: ChainHead, entries: readonly UnchainedContent[]): Promise<ChainHead> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The records' canonical field texts (no raw newline in JSON text) as one string: far cheaper
      // to pass between threads than a structured clone of every record, and the writer thread
      // hashes them as they are instead of serialising them again.
      const fields = new Array<string>(entries.length);
      for (let i = 0; i < entries.length; i++) fields[i] = recordFields(entries[i]);
      this.worker.postMessage({ id, head, fields: fields.join('\n'), summary: summarize(entries) });
    });
  }

  /** Stops the thread (after the last batch was awaited). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
