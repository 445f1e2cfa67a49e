#!/usr/bin/env node
// Keys in dedicated keystores against the default one: encrypt-data 4 B (AK/SK, 16 connections)
// on a key of keystore 0, of a `software` HSM instance's keystore and (when SoftHSM2 is installed)
// of a `pkcs11` instance's keystore, whose AES-GCM runs inside the token. One daemon; the rows are
// alternated round by round and each reported as the median ratio to the default keystore's run
// of the same round. Needs `npm run build` first.
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
import { startDaemonProcess } from './daemon-process.mjs';
import { signRequest } from '../dist/provider/client/signer.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

function signed(creds, method, path, body) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': creds.project_id };
  return { method, path, body: payload || undefined, headers: { ...headers, ...signRequest({ method, url: `${creds.endpoint}${path}`, headers, body: payload }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } };
}

async function send(creds, method, path, body) {
  const r = signed(creds, method, path, body);
  const res = await fetch(`${creds.endpoint}${path}`, { method, headers: { ...r.headers, connection: 'close' }, body: r.body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const useWrk = process.env.BENCH_LOADGEN !== 'autocannon' && spawnSync('wrk', ['--version']).error === undefined;

function runLoad(url, request, connections, seconds) {
  if (!useWrk) return new Promise((resolve, reject) => autocannon({ url, connections, duration: seconds, requests: [request] }, (err, r) => (err ? reject(err) : resolve({ rps: r.requests.average, errors: r.non2xx + r.errors }))));
  const lua = join(tmpdir(), `dew-bench-ks-${process.pid}-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(lua, [`wrk.method = ${JSON.stringify(request.method)}`, `wrk.body = ${JSON.stringify(request.body)}`, ...Object.entries(request.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)].join('\n'));
  return new Promise((resolve) => {
    const w = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', lua, url + request.path], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    w.stdout.on('data', (c) => (out += c));
    w.once('close', () => {
      rmSync(lua, { force: true });
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      resolve({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), errors: non2xx + (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0) });
    });
  });
}

export async function runKeystoreBench({ rounds = 3, seconds = 1 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-bench-ks-'));
  const pkcs11 = existsSync(SOFTHSM);
  const env = { ...process.env };
  const args = [];
  if (pkcs11) {
    const tokens = join(dataDir, 'tokens');
    mkdirSync(tokens);
    writeFileSync(join(dataDir, 'softhsm2.conf'), `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    env.SOFTHSM2_CONF = join(dataDir, 'softhsm2.conf');
    args.push('--pkcs11-library', SOFTHSM);
  }
  const { child, url, creds } = await startDaemonProcess(dataDir, args, env);
  try {
    const c = { ...creds, endpoint: url };
    const pid = c.project_id;
    const keyIn = async (alias, specification) => {
      if (!specification) return (await send(c, 'POST', `/v1.0/${pid}/kms/create-key`, { key_alias: alias })).key_info.key_id;
      const made = await send(c, 'POST', `/v1/${pid}/dew/hsms`, { name: `bench-${specification}`, specification });
      for (let i = 0; ; i++) {
        const job = (await send(c, 'GET', `/v1/${pid}/dew/hsms/jobs/${made.job_id}`)).job;
        if (job.status === 'SUCCESS') break;
        if (job.status === 'FAIL' || i > 600) throw new Error(`creating the ${specification} instance: ${job.fail_reason ?? 'timed out'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const ks = (await send(c, 'POST', `/v1.0/${pid}/keystores`, { keystore_alias: `bench-${specification}`, hsm_cluster_id: made.hsm_id })).keystore;
      return (await send(c, 'POST', `/v1.0/${pid}/kms/create-key`, { key_alias: alias, keystore_id: ks.keystore_id })).key_info.key_id;
    };
    const rows = [['default keystore 0', await keyIn('bench-default')], ['software instance keystore', await keyIn('bench-software', 'software')]];
    if (pkcs11) rows.push(['pkcs11 instance keystore (SoftHSM2)', await keyIn('bench-pkcs11', 'pkcs11')]);
    const reqs = rows.map(([, keyId]) => signed(c, 'POST', `/v1.0/${pid}/kms/encrypt-data`, { key_id: keyId, plain_text: 'abcd' }));
    for (const r of reqs) await runLoad(url, r, 16, 1);
    const results = rows.map(() => ({ rps: [], ratio: [], errors: 0 }));
    for (let i = 0; i < rounds; i++) {
      let base = 0;
      for (const [j, r] of reqs.entries()) {
        const m = await runLoad(url, r, 16, seconds);
        if (j === 0) base = m.rps;
        results[j].rps.push(m.rps);
        results[j].ratio.push(m.rps / base);
        results[j].errors += m.errors;
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const pad = (s, n) => String(s).padEnd(n);
    console.log(
      [
        '',
        `Keystores: encrypt-data 4 B, AK/SK, 16 connections, load generator ${useWrk ? 'wrk (1 thread)' : 'autocannon'}, ${rounds} alternated rounds of ${seconds}s${pkcs11 ? '' : ' (SoftHSM2 not installed: no pkcs11 row)'}:`,
        `| ${pad('keystore', 36)} | ${pad('req/s', 8)} | vs default | errors |`,
        `|${'-'.repeat(38)}|----------|------------|--------|`,
        ...rows.map(([name], j) => `| ${pad(name, 36)} | ${pad(Math.round(median(results[j].rps)), 8)} | ${pad(median(results[j].ratio).toFixed(2), 10)} | ${pad(results[j].errors, 6)} |`),
      ].join('\n'),
    );
    if (results.some((r) => r.errors > 0)) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runKeystoreBench({ rounds: Number(process.env.BENCH_ROUNDS ?? 3), seconds: Number(process.env.BENCH_SECONDS ?? 1) });
