#!/usr/bin/env node
// Every core: each data-path operation (AK/SK signed, 16 connections) against `dew daemon
// --workers 1` and against the default (one worker a core), two daemons side by side, runs
// alternated round by round; the median requests/s of each and the median per-round ratio. Each
// row also says where the cores went during the default's runs: the share of a core the load
// generator, the primary and each worker used (from /proc, sampled over the steady part of a run).
// Target (issue 16): default ≥ 1.5× --workers 1 for encrypt-data 4 B. `node bench/workers.mjs`
// after `npm run build`; BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS (default 16), BENCH_ONLY.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startDaemonProcess } from './daemon-process.mjs';
import { runLoad, loadgenName, childPids, cpuSeconds } from './loadgen.mjs';
import { signRequest } from '../dist/provider/client/signer.js';

function signed(creds, path, body) {
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': creds.project_id };
  return { method: 'POST', path, body: payload, headers: { ...headers, ...signRequest({ method: 'POST', url: `${creds.endpoint}${path}`, headers, body: payload }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } };
}

async function call(d, op, body) {
  const req = signed(d.creds, `/v1.0/${d.creds.project_id}/kms/${op}`, body);
  const res = await fetch(`${d.url}${req.path}`, { method: 'POST', headers: { ...req.headers, connection: 'close' }, body: req.body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${op}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pad = (s, n) => String(s).padEnd(n);

export async function runWorkersBench({ rounds = 3, seconds = 2 } = {}) {
  const connections = Number(process.env.BENCH_CONNECTIONS_WORKERS ?? 16);
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  const cores = availableParallelism();
  const dirs = [mkdtempSync(join(tmpdir(), 'dew-bench-w1-')), mkdtempSync(join(tmpdir(), 'dew-bench-wn-'))];
  const one = await startDaemonProcess(dirs[0], ['--workers', '1']);
  const many = await startDaemonProcess(dirs[1], []);
  try {
    const scenarios = [];
    for (const d of [one, many]) {
      await call(d, 'create-key', { key_alias: 'bench' });
      await call(d, 'create-key', { key_alias: 'bench-ec', key_spec: 'EC_P256', key_usage: 'SIGN_VERIFY' });
      await call(d, 'create-key', { key_alias: 'bench-mac', key_spec: 'HMAC_256', key_usage: 'GENERATE_VERIFY_MAC' });
      const small = (await call(d, 'encrypt-data', { key_id: 'bench', plain_text: 'abcd' })).cipher_text;
      const dk = await call(d, 'create-datakey', { key_id: 'bench', datakey_length: '256' });
      const message = Buffer.alloc(32, 7).toString('base64');
      const sign = { key_id: 'bench-ec', signing_algorithm: 'ECDSA_SHA_256', message, message_type: 'RAW' };
      const signature = (await call(d, 'sign', sign)).signature;
      const mac = { key_id: 'bench-mac', mac_algorithm: 'HMAC_SHA_256', message };
      const rows = [
        ['encrypt-data 4 B', 'encrypt-data', { key_id: 'bench', plain_text: 'abcd' }],
        ['encrypt-data 4 KiB', 'encrypt-data', { key_id: 'bench', plain_text: 'x'.repeat(4096) }],
        ['decrypt-data 4 B', 'decrypt-data', { cipher_text: small }],
        ['create-datakey 256', 'create-datakey', { key_id: 'bench', datakey_length: '256' }],
        ['decrypt-datakey', 'decrypt-datakey', { key_id: 'bench', cipher_text: dk.cipher_text, datakey_cipher_length: '32' }],
        ['gen-random 512', 'gen-random', { random_data_length: '512' }],
        ['sign EC_P256', 'sign', sign],
        ['verify EC_P256', 'verify', { ...sign, signature }],
        ['generate-mac HMAC_256', 'generate-mac', mac],
        ['describe-key', 'describe-key', { key_id: 'bench' }],
      ];
      rows.forEach(([name, op, body], i) => {
        scenarios[i] ??= { name, req: new Map() };
        scenarios[i].req.set(d, signed(d.creds, `/v1.0/${d.creds.project_id}/kms/${op}`, body));
      });
    }
    const pidsOf = (d) => () => ({ primary: d.child.pid, ...Object.fromEntries(childPids(d.child.pid).map((p, i) => [`worker ${i + 1}`, p])) });
    const workerCount = childPids(many.child.pid).length || 1;
    for (const d of [one, many]) await runLoad(d.url, scenarios[0].req.get(d), connections, 1); // warm-up
    const out = [];
    for (const s of scenarios) {
      if (only && !only.test(s.name)) continue;
      const r1 = [];
      const rn = [];
      const ratios = [];
      const cpus = [];
      const cpus1 = [];
      let errors = 0;
      for (let i = 0; i < rounds; i++) {
        const a = await runLoad(one.url, s.req.get(one), connections, seconds, () => ({ daemon: one.child.pid }));
        const b = await runLoad(many.url, s.req.get(many), connections, seconds, pidsOf(many));
        errors += a.non2xx + a.errors + b.non2xx + b.errors;
        r1.push(a.requests.average);
        rn.push(b.requests.average);
        ratios.push(b.requests.average / a.requests.average);
        if (b.cpu) cpus.push(b.cpu);
        if (a.cpu) cpus1.push(a.cpu);
      }
      const medians = (list) => Object.fromEntries(Object.keys(list[0] ?? {}).map((k) => [k, median(list.map((c) => c[k] ?? 0))]));
      out.push({ name: s.name, one: median(r1), many: median(rn), ratio: median(ratios), cpu: medians(cpus), cpu1: medians(cpus1), errors });
    }
    const cpuText = (c) => Object.entries(c).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    const lines = [
      `Every core: --workers 1 against the default (${workerCount} workers on ${cores} cores), AK/SK signed, ${connections} connections, load generator ${loadgenName}; ${rounds} alternated rounds of ${seconds}s each (medians; the ratio is the median of the per-round ratios)`,
      `| ${pad('operation', 22)} | ${pad('--workers 1', 11)} | ${pad('default', 8)} | default / 1 | cores used, --workers 1 | cores used, default (share of one core each) | errors |`,
      `|${'-'.repeat(24)}|-------------|----------|-------------|-------------------------|${'-'.repeat(58)}|--------|`,
      ...out.map((r) => `| ${pad(r.name, 22)} | ${pad(Math.round(r.one), 11)} | ${pad(Math.round(r.many), 8)} | ${pad(r.ratio.toFixed(2), 11)} | ${pad(cpuText(r.cpu1), 23)} | ${pad(cpuText(r.cpu), 56)} | ${pad(r.errors, 6)} |`),
    ];
    console.log(lines.join('\n'));
    if (out.some((r) => r.errors > 0)) {
      console.error('some requests failed: the figures above are not valid');
      process.exitCode = 1;
    }
    return out;
  } finally {
    for (const d of [one, many]) d.child.kill('SIGTERM');
    await Promise.all([one, many].map((d) => new Promise((r) => (d.child.exitCode === null ? d.child.once('exit', r) : r()))));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runWorkersBench({ rounds: Number(process.env.BENCH_ROUNDS ?? 3), seconds: Number(process.env.BENCH_SECONDS ?? 2) });
}
