#!/usr/bin/env node
// `node bench/profile.mjs [operation …]`: runs one daemon (dist/, `--workers 1`) under `node
// --cpu-prof`, drives it with signed requests at 16 connections (wrk when installed, else
// autocannon), stops it with SIGTERM so the profile is written, and prints the ten functions with
// the most self time while the load ran (file:line, ms, % of the busy time: idle excluded).
// Operations: encrypt-4b, encrypt-4k, decrypt, datakey (default: each, one daemon and profile each).
// PROFILE_SECONDS (default 10): the profiled load, after PROFILE_WARMUP (default 2) seconds of the
// same load outside the profile. PROFILE_ROOT: profile another checkout's dist/ (before/after).
// PROFILE_KEEP=1 keeps the .cpuprofile files and prints where they are.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = process.env.PROFILE_ROOT ?? here;
const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
const warmup = Number(process.env.PROFILE_WARMUP ?? 2);
const connections = 16;
const keep = process.env.PROFILE_KEEP === '1';
const { signRequest } = await import(pathToFileURL(join(root, 'dist/provider/client/signer.js')).href);

const OPERATIONS = {
  'encrypt-4b': ['encrypt-data', () => ({ key_id: 'bench', plain_text: 'abcd' })],
  'encrypt-4k': ['encrypt-data', () => ({ key_id: 'bench', plain_text: 'x'.repeat(4096) })],
  decrypt: ['decrypt-data', (small) => ({ cipher_text: small })],
  datakey: ['create-datakey', () => ({ key_id: 'bench' })],
};
const asked = process.argv.slice(2);
for (const name of asked) if (!OPERATIONS[name]) throw new Error(`unknown operation ${name} (one of ${Object.keys(OPERATIONS).join(', ')})`);
const useWrk = process.env.BENCH_LOADGEN !== 'autocannon' && spawnSync('wrk', ['--version']).error === undefined;

function signed(creds, path, body) {
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': creds.project_id };
  return { method: 'POST', path, body: payload, headers: { ...headers, ...signRequest({ method: 'POST', url: `${creds.endpoint}${path}`, headers, body: payload }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } };
}

async function call(creds, op, body) {
  const req = signed(creds, `/v1.0/${creds.project_id}/kms/${op}`, body);
  const res = await fetch(`${creds.endpoint}${req.path}`, { method: 'POST', headers: { ...req.headers, connection: 'close' }, body: req.body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${op}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Requests/s and failed requests of one load run. */
async function load(url, request, duration = seconds) {
  if (!useWrk) {
    const { default: autocannon } = await import('autocannon');
    const r = await autocannon({ url, connections, duration, requests: [request] });
    return { rps: r.requests.average, failed: r.non2xx + r.errors };
  }
  const lua = join(tmpdir(), `dew-profile-${process.pid}.lua`);
  writeFileSync(lua, [`wrk.method = "POST"`, `wrk.body = ${JSON.stringify(request.body)}`, ...Object.entries(request.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)].join('\n'));
  const out = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${duration}s`, '-s', lua, url + request.path], { encoding: 'utf8' }).stdout;
  rmSync(lua, { force: true });
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), failed: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0) };
}

/**
 * Self time per function (name, file, line) from a .cpuprofile: each sample's time goes to the node
 * it hit. Only samples taken while the load ran count (`from`/`to`: µs of the monotonic clock that
 * both process.hrtime and V8's profiler read), so start-up and shutdown stay out.
 */
function selfTimes(profile, from, to) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) continue;
    const { callFrame: f } = byId.get(profile.samples[i]);
    // Files of the profiled checkout relative to it (dist/…, node_modules/…); node's own as `node:…`.
    const file = f.url.startsWith('file:') ? relative(root, fileURLToPath(f.url)) : f.url;
    const key = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    ms.set(key, (ms.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  return ms;
}

async function profileOne(name) {
  const [op, bodyOf] = OPERATIONS[name];
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-profile-'));
  const profDir = join(dataDir, 'profile');
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, join(root, 'dist/bin/dew.js'), 'daemon', '--listen', '127.0.0.1:0', '--data-dir', join(dataDir, 'data'), '--workers', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const url = await new Promise((resolve, reject) => {
      child.stderr.on('data', (c) => {
        log += c;
        const m = /listening on (http:\/\/\S+)/.exec(log);
        if (m) resolve(m[1]);
      });
      exited.then(() => reject(new Error(`daemon exited: ${log}`)));
    });
    const creds = JSON.parse(readFileSync(join(dataDir, 'data', 'credentials.json'), 'utf8'));
    await call(creds, 'create-key', { key_alias: 'bench' });
    const small = (await call(creds, 'encrypt-data', { key_id: 'bench', plain_text: 'abcd' })).cipher_text;
    const request = signed(creds, `/v1.0/${creds.project_id}/kms/${op}`, bodyOf(small));
    // A warm-up first (JIT, first queries of the change feed), outside the profiled window.
    await load(url, request, warmup);
    const from = Number(process.hrtime.bigint() / 1000n);
    const { rps, failed } = await load(url, request);
    const to = Number(process.hrtime.bigint() / 1000n);
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    if (code !== 0) throw new Error(`daemon stopped with ${code ?? signal}: ${log}`);
    // The main thread's profile (thread 0: `CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile`); worker threads write their own.
    const files = readdirSync(profDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f));
    if (files.length !== 1) throw new Error(`expected one main-thread .cpuprofile in ${profDir}, found ${files.length}`);
    const times = selfTimes(JSON.parse(readFileSync(join(profDir, files[0]), 'utf8')), from, to);
    const idle = times.get('(idle)') ?? 0;
    times.delete('(idle)');
    const busy = [...times.values()].reduce((a, b) => a + b, 0);
    const top = [...times].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const lines = [
      `${name} (${op}), ${connections} connections, ${seconds} s, ${useWrk ? 'wrk' : 'autocannon'}: ${Math.round(rps)} req/s${failed ? `, ${failed} FAILED` : ''}; busy ${Math.round(busy)} ms, idle ${Math.round(idle)} ms`,
      ...top.map(([fn, t]) => `  ${t.toFixed(0).padStart(7)} ms ${((100 * t) / busy).toFixed(1).padStart(5)}%  ${fn}`),
    ];
    if (keep) lines.push(`  profile: ${join(profDir, files[0])} (load from ${from} to ${to} µs)`);
    console.log(lines.join('\n'));
    if (failed) process.exitCode = 1;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const name of asked.length ? asked : Object.keys(OPERATIONS)) await profileOne(name);
