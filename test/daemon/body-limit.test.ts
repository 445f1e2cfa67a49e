/**
 * Issue 10, item 1: no route buffers a body past the 64 KiB limit. A client streams a chunked body
 * far over the limit, without credentials, to a route of every group (tokens, IAM, stacks, audit,
 * KMS operations on the op lane and on Hono, a percent-escaped operation, an unknown path); each
 * answers KMS.0203 (or 404 for no route) while the daemon process's peak resident memory stays
 * within a bound far below what it was sent.
 */
import t from 'tap';
import { request } from 'node:http';
import { startDaemonProcess } from '../helpers/daemon-process.js';

const MiB = 1024 * 1024;
/** What each request may send at most: the old daemon read all of it before answering. */
const SEND_LIMIT = 192 * MiB;

/** Streams zeros in 64 KiB chunks until an answer arrives (or SEND_LIMIT is reached); resolves with it. */
function stream(url: string, method: string): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 0x30);
    let sent = 0;
    let answered = false;
    const req = request(url, { method, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, sent }));
    });
    req.on('error', () => {
      if (!answered) resolve({ status: 0, body: '', sent });
    });
    const pump = () => {
      while (!answered && sent < SEND_LIMIT) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    req.write('{"a":"');
    pump();
  });
}

t.test('a streamed body far over the limit is never buffered, on any route', async (t) => {
  const d = await startDaemonProcess(t, ['--schedule', 'off']);
  const pid = d.credentials.project_id;
  const before = d.memory();
  const routes: [string, string, number, string][] = [
    ['POST', '/v3/auth/tokens', 400, 'KMS.0203'],
    ['POST', `/v1.0/${pid}/dew/iam/users`, 400, 'KMS.0203'],
    ['PUT', `/v1.0/${pid}/dew/iam/ip-acl`, 400, 'KMS.0203'],
    ['PUT', `/v1.0/${pid}/dew/stacks/prod/objects`, 400, 'KMS.0203'],
    ['POST', `/v1.0/${pid}/dew/stacks/prod/lock`, 400, 'KMS.0203'],
    ['POST', `/v1.0/${pid}/kms/encrypt-data`, 400, 'KMS.0203'],
    ['POST', `/v1.0/${pid}/kms/encrypt%2Ddata`, 400, 'KMS.0203'],
    ['POST', `/v1.0/${pid}/kms/aliases`, 400, 'KMS.0203'],
    ['POST', `/v1.0/${pid}/kms/00000000-0000-0000-0000-000000000000/tags/action`, 400, 'KMS.0203'],
    ['DELETE', `/v1.0/${pid}/kms/aliases`, 400, 'KMS.0203'],
    // Services with their own codes answer in their own code and shape.
    ['POST', `/v1/${pid}/dew/hsms`, 400, 'DHSM.0004'],
    ['POST', `/v3/${pid}/keypairs`, 400, 'KPS.0003'],
    ['POST', `/v1/${pid}/secrets`, 400, 'CSMS.0004'],
  ];
  let sentTotal = 0;
  for (const [method, path, status, code] of routes) {
    const r = await stream(d.url + path, method);
    sentTotal += r.sent;
    t.equal(r.status, status, `${method} ${path}: ${status}`);
    t.match(r.body, code, `${method} ${path}: ${code}`);
    t.ok(r.sent < SEND_LIMIT, `${method} ${path}: answered before the client finished sending (${(r.sent / MiB).toFixed(1)} MiB sent)`);
  }
  const unknown = await stream(`${d.url}/v1.0/${pid}/dew/nothing-here`, 'POST');
  t.equal(unknown.status, 404, 'no route: 404, without reading the body');
  const after = d.memory();
  const grown = after.peak - before.peak;
  t.ok(grown < 64 * MiB, `peak resident memory grew by ${(grown / MiB).toFixed(1)} MiB (bound 64 MiB)`);
  const health = await fetch(`${d.url}/healthz`);
  t.equal(health.status, 200, 'the daemon still serves');
  t.comment(`sent ${(sentTotal / MiB).toFixed(1)} MiB in all; peak RSS ${(before.peak / MiB).toFixed(0)} → ${(after.peak / MiB).toFixed(0)} MiB`);
});
