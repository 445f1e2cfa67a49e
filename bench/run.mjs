#!/usr/bin/env node
// `npm run bench`: drives a real daemon over loopback with wrk (autocannon where wrk is missing: bench/loadgen.mjs) and prints requests/s, p50 and
// p99 per operation, each as a ratio to the same daemon's GET /healthz floor at the same concurrency.
// Shared machines are noisy, so each row alternates floor and operation runs for several rounds and
// reports the median of the per-round ratios (a drift in machine load hits both sides of a round).
// Signed requests are signed once per scenario and replayed (a signature stays valid for its
// 15-minute X-Sdk-Date window), so the load generator's own signing cost is not measured: the daemon
// still verifies every request in full.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemonProcess } from './daemon-process.mjs';
import { runLoad, loadgenName } from './loadgen.mjs';
import { signRequest } from '../dist/provider/client/signer.js';
import { generateAsymmetricKey, loadPrivateKey, sign as signInProcess, verify as verifyInProcess } from '../dist/daemon/hsm/asym/asymmetric.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connectionsList = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;

function signed(creds, method, path, body) {
  const url = `${creds.endpoint}${path}`;
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': creds.project_id };
  return { method, path, body: payload || undefined, headers: { ...headers, ...signRequest({ method, url, headers, body: payload }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } };
}

function withToken(creds, token, method, path, body) {
  return { method, path, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-auth-token': token } };
}

async function send(creds, method, path, body) {
  const req = signed(creds, method, path, body);
  // A pooled connection may have idled past the server's keep-alive timeout during a long run:
  // setup calls use a fresh connection each.
  const res = await fetch(`${creds.endpoint}${req.path}`, { method, headers: { ...req.headers, connection: 'close' }, body: req.body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { res, json: text ? JSON.parse(text) : undefined };
}

const call = (creds, op, body) => send(creds, 'POST', `/v1.0/${creds.project_id}/kms/${op}`, body);
const tokenFor = async (creds) => (await send(creds, 'POST', '/v3/auth/tokens', {})).res.headers.get('x-subject-token');

const run = (url, request, connections) => runLoad(url, request, connections, seconds);

const dataDir = mkdtempSync(join(tmpdir(), 'dew-bench-'));
const { child, url } = await startDaemonProcess(dataDir);
const references = [];
try {
  const creds = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
  await call(creds, 'create-key', { key_alias: 'bench' });
  const token = await tokenFor(creds);
  const small = (await call(creds, 'encrypt-data', { key_id: 'bench', plain_text: 'abcd' })).json.cipher_text;
  // A caller of another account that may use the key only through a grant (issue: grants on the data path).
  const keyId = (await call(creds, 'describe-key', { key_id: 'bench' })).json.key_info.key_id;
  const bob = { ...(await send(creds, 'POST', `/v1.0/${creds.project_id}/dew/iam/users`, { name: 'bench-grantee', roles: ['KMS CMKFullAccess'], account: 'bench-other' })).json, endpoint: creds.endpoint };
  await call(creds, 'create-grant', { key_id: keyId, grantee_principal: bob.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data'] });
  const bobToken = await tokenFor(bob);
  const scenarios = [
    ['encrypt-data 4 B', 'encrypt-data', { key_id: 'bench', plain_text: 'abcd' }],
    ['encrypt-data via grant', 'encrypt-data', { key_id: keyId, plain_text: 'abcd' }, 'grantee'],
    ['encrypt-data 4 KiB', 'encrypt-data', { key_id: 'bench', plain_text: 'x'.repeat(4096) }],
    ['decrypt-data', 'decrypt-data', { cipher_text: small }],
    ['create-datakey', 'create-datakey', { key_id: 'bench' }],
    ['gen-random 512', 'gen-random', { random_data_length: '512' }],
  ];
  const rows = [];
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  /** Alternates floor and operation runs; returns the operation's figures and the median ratio. */
  async function measure(request, connections, target = url) {
    const ratios = [];
    const results = [];
    const floors = [];
    for (let i = 0; i < rounds; i++) {
      const f = await run(target, { method: 'GET', path: '/healthz' }, connections);
      const r = request ? await run(target, request, connections) : f;
      floors.push(f.requests.average);
      results.push(r);
      ratios.push(r.requests.average / f.requests.average);
    }
    const pick = results[ratios.indexOf(median(ratios))];
    return {
      rps: pick.requests.average,
      p50: pick.latency.p50,
      p99: pick.latency.p99,
      ratio: median(ratios),
      floor: median(floors),
      errors: results.reduce((n, r) => n + r.non2xx + r.errors, 0),
    };
  }
  // The reference: a minimal handler on the same HTTP stack, signed and unsigned (bench/reference-server.mjs).
  for (const [auth, sign] of [['AK/SK', '1'], ['none', '0']]) {
    const child = spawn(process.execPath, [join(root, 'bench', 'reference-server.mjs')], {
      env: { ...process.env, SIGN: sign, REF_SECRET_KEY: creds.secret_key },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
    references.push({ auth, child, url: `http://127.0.0.1:${port}` });
  }
  await run(url, { method: 'GET', path: '/healthz' }, 16);
  for (const connections of connectionsList) {
    const floor = await measure(undefined, connections);
    rows.push({ name: 'GET /healthz (floor)', auth: '-', connections, ...floor, ratio: 1 });
    for (const ref of references) {
      if (only && !only.test(`reference ${ref.auth}`) && !only.test('encrypt-data 4 B')) continue;
      const body = { key_id: 'bench', plain_text: 'abcd' };
      const path = `/v1.0/${creds.project_id}/kms/encrypt-data`;
      const req = ref.auth === 'AK/SK' ? signed({ ...creds, endpoint: ref.url }, 'POST', path, body) : { method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
      rows.push({ name: 'reference minimal 4 B', auth: ref.auth, connections, ...(await measure(req, connections, ref.url)) });
    }
    for (const [name, op, body, who] of scenarios) {
      for (const auth of ['AK/SK', 'token']) {
        if (only && !only.test(`${name} ${auth}`)) continue;
        const [c, tok] = who === 'grantee' ? [bob, bobToken] : [creds, token];
        const path = `/v1.0/${c.project_id}/kms/${op}`;
        const req = auth === 'AK/SK' ? signed(c, 'POST', path, body) : withToken(c, tok, 'POST', path, body);
        rows.push({ name, auth, connections, ...(await measure(req, connections)) });
      }
    }
  }
  // Signatures: HTTP rows at 16 connections, compared with the floor and with the same operation
  // done in this process on a cached key (the library the daemon uses), one call at a time.
  const message = Buffer.alloc(32, 7).toString('base64');
  const asym = [
    ['RSA_2048', 'RSASSA_PSS_SHA_256'],
    ['EC_P256', 'ECDSA_SHA_256'],
    ['SM2', 'SM2DSA_SM3'],
  ];
  const inProcess = (fn) => {
    const end = Date.now() + seconds * 1000;
    let n = 0;
    while (Date.now() < end) {
      fn();
      n++;
    }
    return n / seconds;
  };
  const asymRows = [];
  let mixed;
  for (const [spec, algorithm] of asym) {
    if (only && !only.test(spec)) continue;
    const alias = `bench-${spec.toLowerCase()}`;
    await call(creds, 'create-key', { key_alias: alias, key_spec: spec, key_usage: 'SIGN_VERIFY' });
    const signBody = { key_id: alias, signing_algorithm: algorithm, message, message_type: 'RAW' };
    const signature = (await call(creds, 'sign', signBody)).json.signature;
    const pair = await generateAsymmetricKey(spec);
    const handle = loadPrivateKey(spec, pair.privateKeyDer);
    const raw = Buffer.from(message, 'base64');
    const localSig = signInProcess(spec, handle, algorithm, raw, 'RAW');
    const localSign = inProcess(() => signInProcess(spec, handle, algorithm, raw, 'RAW'));
    const localVerify = inProcess(() => verifyInProcess(spec, handle, algorithm, raw, 'RAW', localSig));
    for (const [op, body, local] of [['sign', signBody, localSign], ['verify', { ...signBody, signature }, localVerify]]) {
      const path = `/v1.0/${creds.project_id}/kms/${op}`;
      const m = await measure(signed(creds, 'POST', path, body), 16);
      asymRows.push({ name: `${op} ${spec} ${algorithm}`, rps: m.rps, p50: m.p50, p99: m.p99, ratio: m.ratio, local, errors: m.errors });
    }
    if (spec === 'SM2') {
      // Does a slow check stall everyone else? encrypt-data (16 connections) alone, then beside 16
      // connections of SM2 verify, alternated; the SM2 checks run on the daemon's verify threads.
      const encrypt = signed(creds, 'POST', `/v1.0/${creds.project_id}/kms/encrypt-data`, { key_id: 'bench', plain_text: 'abcd' });
      const verifyReq = signed(creds, 'POST', `/v1.0/${creds.project_id}/kms/verify`, { ...signBody, signature });
      const alone = [];
      const beside = [];
      for (let i = 0; i < rounds; i++) {
        alone.push(await run(url, encrypt, 16));
        const [e, v] = await Promise.all([run(url, encrypt, 16), run(url, verifyReq, 16)]);
        beside.push({ ...e, verifyRps: v.requests.average, errors: e.errors + e.non2xx + v.errors + v.non2xx });
      }
      const mid = (xs, f) => median(xs.map(f));
      mixed = {
        aloneRps: mid(alone, (r) => r.requests.average), aloneP50: mid(alone, (r) => r.latency.p50), aloneP99: mid(alone, (r) => r.latency.p99),
        rps: mid(beside, (r) => r.requests.average), p50: mid(beside, (r) => r.latency.p50), p99: mid(beside, (r) => r.latency.p99),
        verifyRps: mid(beside, (r) => r.verifyRps), errors: beside.reduce((n, r) => n + r.errors, 0),
      };
    }
  }

  const pad = (s, n) => String(s).padEnd(n);
  const lines = [
    `dew bench — daemon with the default workers (one a core), load generator ${loadgenName}; ${rounds} rounds of ${seconds}s floor + ${seconds}s operation per row (median ratio; reference rows use their own server's floor), node ${process.version}, ${new Date().toISOString()}`,
    `| ${pad('operation', 22)} | auth  | conns | ${pad('req/s', 8)} | p50 ms | p99 ms | vs floor | errors |`,
    `|${'-'.repeat(24)}|-------|-------|----------|--------|--------|----------|--------|`,
    ...rows.map((r) => `| ${pad(r.name, 22)} | ${pad(r.auth, 5)} | ${pad(r.connections, 5)} | ${pad(Math.round(r.rps), 8)} | ${pad(r.p50, 6)} | ${pad(r.p99, 6)} | ${pad(r.ratio.toFixed(2), 8)} | ${pad(r.errors, 6)} |`),
  ];
  if (asymRows.length) {
    lines.push(
      '',
      'Signatures, AK/SK signed, 16 connections, RAW 32-byte message (in-process: one call at a time on a cached key):',
      `| ${pad('operation', 38)} | ${pad('req/s', 8)} | p50 ms | p99 ms | vs floor | in-process/s | vs in-process | errors |`,
      `|${'-'.repeat(40)}|----------|--------|--------|----------|--------------|---------------|--------|`,
      ...asymRows.map((r) => `| ${pad(r.name, 38)} | ${pad(Math.round(r.rps), 8)} | ${pad(r.p50, 6)} | ${pad(r.p99, 6)} | ${pad(r.ratio.toFixed(2), 8)} | ${pad(Math.round(r.local), 12)} | ${pad((r.rps / r.local).toFixed(2), 13)} | ${pad(r.errors, 6)} |`),
    );
  }
  if (mixed) {
    lines.push(
      '',
      'encrypt-data 4 B (AK/SK, 16 connections) alone and beside 16 connections of SM2 verify (medians of alternated rounds):',
      `| ${pad('', 30)} | ${pad('req/s', 8)} | p50 ms | p99 ms | SM2 verify/s | errors |`,
      `|${'-'.repeat(32)}|----------|--------|--------|--------------|--------|`,
      `| ${pad('alone', 30)} | ${pad(Math.round(mixed.aloneRps), 8)} | ${pad(mixed.aloneP50, 6)} | ${pad(mixed.aloneP99, 6)} | ${pad('-', 12)} | ${pad('', 6)} |`,
      `| ${pad('beside SM2 verify', 30)} | ${pad(Math.round(mixed.rps), 8)} | ${pad(mixed.p50, 6)} | ${pad(mixed.p99, 6)} | ${pad(Math.round(mixed.verifyRps), 12)} | ${pad(mixed.errors, 6)} |`,
    );
  }
  console.log(lines.join('\n'));
  if ([...rows, ...asymRows].some((r) => r.errors > 0)) {
    console.error('some requests failed: the figures above are not valid');
    process.exitCode = 1;
  }
} finally {
  for (const ref of references) ref.child.kill('SIGTERM');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}

// Every core: each data-path operation against --workers 1 and the default (bench/workers.mjs).
if (process.env.BENCH_WORKERS !== '0' && !only) {
  const { runWorkersBench } = await import('./workers.mjs');
  await runWorkersBench({ rounds, seconds: Math.max(seconds, 2) });
}

// The audit trail's own cost: encrypt-data with --audit on against a twin daemon with --audit off
// (every row above runs with the trail on, the default).
if (process.env.BENCH_AUDIT !== '0' && !only) {
  const { spawnSync } = await import('node:child_process');
  console.log('\nAudit trail cost (encrypt-data 4 B, AK/SK):');
  spawnSync(process.execPath, [join(root, 'bench', 'audit.mjs')], { stdio: 'inherit', env: { ...process.env, BENCH_CONNECTIONS: '16' } });
}

// Speed checks as ratios to baselines of the same run (token and signature verification, requests
// during RSA-4096 key generation, an apply refused by the stack lock).
if (process.env.BENCH_SPEED !== '0' && !only) {
  const { runSpeedBench } = await import('./speed.mjs');
  await runSpeedBench({ rounds, seconds });
}

// encrypt-data on keys of a software and a pkcs11 HSM instance's keystores against the default keystore.
if (process.env.BENCH_KEYSTORES !== '0' && !only) {
  const { runKeystoreBench } = await import('./keystores.mjs');
  await runKeystoreBench({ rounds, seconds });
}

// Envelope encryption of a 1 GiB stream against raw AES-256-GCM over the same bytes (target ≥ 0.8).
if (process.env.BENCH_ENVELOPE !== '0' && !only) {
  const { runEnvelopeBench } = await import('./envelope.mjs');
  await runEnvelopeBench({ rounds: Math.min(rounds, 3) });
}

// The plan benchmark (configs of 100, 1,000 and 10,000 keys against a daemon holding them).
if (process.env.BENCH_PLAN !== '0' && !only) {
  const { runPlanBench } = await import('./plan.mjs');
  await runPlanBench();
}

// The Terraform provider: a launch to its handshake, and terraform plan of 1 and 200 keys against dew plan.
if (process.env.BENCH_TERRAFORM !== '0' && !only) {
  const { runTerraformBench } = await import('./terraform.mjs');
  await runTerraformBench({ rounds });
}
