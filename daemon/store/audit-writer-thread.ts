/**
 * The audit writer thread's entry (started by batch-worker.ts): chains each queued batch of records
 * after the head it is given and appends it as one segment, on its own libSQL connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@libsql/client';
import { chainRecords, sha256Hex } from '../audit/chain.js';
import { headAfter, segmentStatements } from '../audit/segment-rows.js';
import type { AppendRequest, AppendReply, WriterThreadData } from './batch-worker.js';

if (!parentPort) throw new Error('audit-writer-thread: run as a worker thread (store/batch-worker.ts)');
const port = parentPort;
const { url, busyTimeoutMs } = workerData as WriterThreadData;
const client = createClient({ url, timeout: busyTimeoutMs });
// Per connection: this one writes only the queued data-path records. In WAL mode NORMAL still never
// corrupts the database and survives a killed process; only an OS crash or power loss can take the
// last commits since a checkpoint (queued records are already at risk for one flush interval).
const ready = client.execute('PRAGMA synchronous = NORMAL').catch(() => undefined);

port.on('message', async ({ id, head, fields, summary }: AppendRequest) => {
  let reply: AppendReply;
  try {
    await ready;
    const chained = chainRecords(sha256Hex, head.chainId, head.headSeq, head.headHash, fields);
    const segment = { chainId: head.chainId, ...chained, ...summary };
    await client.batch(segmentStatements(segment, head.startedAt), 'write');
    reply = { id, head: headAfter(head, segment) };
  } catch (e) {
    reply = { id, error: String((e as Error | undefined)?.message || e) };
  }
  port.postMessage(reply);
});
