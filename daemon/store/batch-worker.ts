/**
 * The audit writer thread of an embedded (`file:`) database: chains queued audit records, hashes
 * them and appends them as one segment, on a worker thread with its own libSQL connection. The
 * embedded engine executes statements synchronously on the calling thread, and hashing and
 * statement building cost the event loop a few microseconds a record, so all of it happens there
 * (audit-writer-thread.ts, which imports the chain and the segment rows like the daemon does).
 * WAL mode lets this second connection write beside the daemon's own; the busy timeout waits out
 * the other writer.
 */
import { Worker } from 'node:worker_threads';
import { BUSY_TIMEOUT_MS } from './db.js';
import { recordFields, summarize, type SegmentSummary, type UnchainedContent } from '../audit/chain.js';
import type { ChainHead } from '../audit/segment-rows.js';

/** What the thread is started with. */
export interface WriterThreadData {
  url: string;
  busyTimeoutMs: number;
}

/** One batch to append: the records' `recordFields` texts, and their summary. */
export interface AppendRequest {
  id: number;
  head: ChainHead;
  fields: string[];
  summary: SegmentSummary;
}

/** The new head once the batch is appended, or why it was not. */
export type AppendReply = { id: number; head: ChainHead; error?: undefined } | { id: number; error: string; head?: undefined };

/**
 * The thread's entry, beside this module: the compiled file in dist/. When the sources run under a
 * TypeScript loader (the tests), the thread inherits it through execArgv and it maps the `.js`
 * name to the `.ts` source, as it does for every other import.
 */
const THREAD_ENTRY = new URL('./audit-writer-thread.js', import.meta.url);

export class BatchWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (head: ChainHead) => void; reject: (e: Error) => void }>();
  private next = 0;
  private failed: Error | undefined;

  constructor(url: string) {
    if (!url.startsWith('file:')) throw new TypeError('url: a file: database URL expected');
    const workerData: WriterThreadData = { url, busyTimeoutMs: BUSY_TIMEOUT_MS };
    this.worker = new Worker(THREAD_ENTRY, { workerData });
    this.worker.on('message', (m: AppendReply) => {
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
      // The records' canonical field texts: far cheaper to pass between threads than a structured
      // clone of every record, and the writer thread hashes them as they are instead of serialising
      // them again. As an array, not joined into one string and split there: the join and the
      // clone of its one long string cost more than cloning the array (0.75 against 1.2 us of CPU
      // a record, with the stringify).
      const fields = new Array<string>(entries.length);
      for (let i = 0; i < entries.length; i++) fields[i] = recordFields(entries[i]);
      const request: AppendRequest = { id, head, fields, summary: summarize(entries) };
      this.worker.postMessage(request);
    });
  }

  /** Stops the thread (after the last batch was awaited). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
