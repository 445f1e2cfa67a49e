#!/usr/bin/env node
// The audit trail's cost on the data path: encrypt-data (4 B, AK/SK) against two daemons, one with
// `--audit on` and one with `--audit off`, runs alternated round by round; prints the median
// requests/s of each and the ratio (on/off). Needs `npm run build` first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startDaemonProcess } from './daemon-process.mjs';
import { signRequest } from '../dist/provider/client/signer.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connectionsList = (process.env.BENCH_CONNECTIONS ?? '16,64').split(',').map(Number);

const startDaemon = (dataDir, audit) => startDaemonProcess(dataDir, ['--audit', audit]);

function signed(creds, method, path, body) {
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': creds.project_id };
  return { method, path, body: payload, headers: { ...headers, ...signRequest({ method, url: `${creds.endpoint}${path}`, headers, body: payload }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } };
}

const run = (url, request, connections) =>
  new Promise((resolve, reject) => autocannon({ url, connections, duration: seconds, requests: [request] }, (err, r) => (err ? reject(err) : resolve(r))));

const dirs = [mkdtempSync(join(tmpdir(), 'dew-bench-on-')), mkdtempSync(join(tmpdir(), 'dew-bench-off-'))];
const on = await startDaemon(dirs[0], 'on');
const off = await startDaemon(dirs[1], 'off');
try {
  const req = {};
  for (const d of [on, off]) {
    const create = signed(d.creds, 'POST', `/v1.0/${d.creds.project_id}/kms/create-key`, { key_alias: 'bench' });
    const res = await fetch(`${d.url}${create.path}`, { method: 'POST', headers: create.headers, body: create.body });
    if (!res.ok) throw new Error(`create-key: ${res.status}`);
    req[d.url] = signed(d.creds, 'POST', `/v1.0/${d.creds.project_id}/kms/encrypt-data`, { key_id: 'bench', plain_text: 'abcd' });
    await run(d.url, req[d.url], 16); // warm-up
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const c of connectionsList) {
    const rOn = [];
    const rOff = [];
    const ratios = [];
    let errors = 0;
    for (let i = 0; i < rounds; i++) {
      const b = await run(off.url, req[off.url], c);
      const a = await run(on.url, req[on.url], c);
      errors += a.non2xx + a.errors + b.non2xx + b.errors;
      rOn.push(a.requests.average);
      rOff.push(b.requests.average);
      ratios.push(a.requests.average / b.requests.average);
    }
    console.log(JSON.stringify({ scenario: 'encrypt-data 4 B (AK/SK)', connections: c, audit_on_rps: Math.round(median(rOn)), audit_off_rps: Math.round(median(rOff)), ratio_on_off: Number(median(ratios).toFixed(3)), errors }));
  }
  const rows = await (async () => {
    const { createClient } = await import('@libsql/client');
    const db = createClient({ url: `file:${join(dirs[0], 'dew.db')}` });
    const n = (await db.execute('SELECT count(*) AS n FROM audit_records')).rows[0].n;
    db.close();
    return n;
  })();
  console.log(JSON.stringify({ audit_records_written: Number(rows) }));
} finally {
  on.child.kill('SIGTERM');
  off.child.kill('SIGTERM');
  await Promise.all([on, off].map((d) => new Promise((r) => (d.child.exitCode === null ? d.child.once('exit', r) : r()))));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
