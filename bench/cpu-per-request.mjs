#!/usr/bin/env node
// `node bench/cpu-per-request.mjs ROOT_A ROOT_B [op,op…]`: two daemons (each checkout's dist/,
// `--workers 1`) driven in alternated wrk rounds (1 thread, 16 connections, signed requests
// replayed), printing medians of req/s and of the daemon's own CPU time per request (utime+stime
// from /proc), and B/A ratios per round. On a shared machine CPU per request moves less than
// req/s (another process's load takes wall time, not the daemon's CPU). Ops: encrypt-4b,
// encrypt-4k, decrypt, datakey. ROUNDS (default 5) and SECONDS_ (default 4) per round.
// Before/after: check the base out into a folder (git archive), link node_modules, build it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [A, B] = process.argv.slice(2, 4);
const ops = (process.argv[4] ?? 'encrypt-4b,encrypt-4k,decrypt,datakey').split(',');
const rounds = Number(process.env.ROUNDS ?? 5), seconds = Number(process.env.SECONDS_ ?? 4);
const OPS = { 'encrypt-4b': ['encrypt-data', () => ({ key_id: 'bench', plain_text: 'abcd' })], 'encrypt-4k': ['encrypt-data', () => ({ key_id: 'bench', plain_text: 'x'.repeat(4096) })], decrypt: ['decrypt-data', (s) => ({ cipher_text: s })], datakey: ['create-datakey', () => ({ key_id: 'bench' })] };
async function start(root) {
  const { signRequest } = await import(pathToFileURL(join(root, 'dist/provider/client/signer.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'dew-ab-'));
  const child = spawn(process.execPath, [join(root, 'dist/bin/dew.js'), 'daemon', '--listen', '127.0.0.1:0', '--data-dir', dir, '--workers', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const url = await new Promise((res) => child.stderr.on('data', (c) => { log += c; const m = /listening on (http:\/\/\S+)/.exec(log); if (m) res(m[1]); }));
  const creds = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'));
  const signed = (path, body) => { const payload = JSON.stringify(body); const headers = { 'content-type': 'application/json;charset=UTF-8', 'x-project-id': creds.project_id }; return { path, body: payload, headers: { ...headers, ...signRequest({ method: 'POST', url: `${creds.endpoint}${path}`, headers, body: payload }, { accessKey: creds.access_key, secretKey: creds.secret_key }) } }; };
  const call = async (op, body) => { const r = signed(`/v1.0/${creds.project_id}/kms/${op}`, body); const res = await fetch(url + r.path, { method: 'POST', headers: { ...r.headers, connection: 'close' }, body: r.body }); const t = await res.text(); if (!res.ok) throw new Error(t); return JSON.parse(t); };
  await call('create-key', { key_alias: 'bench' });
  const small = (await call('encrypt-data', { key_id: 'bench', plain_text: 'abcd' })).cipher_text;
  return { child, dir, url, req: (op) => signed(`/v1.0/${creds.project_id}/kms/${OPS[op][0]}`, OPS[op][1](small)) };
}
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10000; }; // µs
function wrk(d, r) {
  const lua = join(tmpdir(), `ab-${process.pid}.lua`);
  writeFileSync(lua, [`wrk.method = "POST"`, `wrk.body = ${JSON.stringify(r.body)}`, ...Object.entries(r.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)].join('\n'));
  const c0 = cpu(d.child.pid);
  const out = spawnSync('wrk', ['-t1', '-c16', `-d${seconds}s`, '-s', lua, d.url + r.path], { encoding: 'utf8' }).stdout;
  const c1 = cpu(d.child.pid);
  const reqs = Number(/(\d+) requests in/.exec(out)[1]);
  if (/Non-2xx/.test(out)) throw new Error(out);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), us: (c1 - c0) / reqs };
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const da = await start(A), db = await start(B);
try {
  for (const op of ops) {
    const ra = da.req(op), rb = db.req(op);
    wrk(da, ra); wrk(db, rb);
    const a = [], b = [], rr = [], ru = [];
    for (let i = 0; i < rounds; i++) {
      const [x, y] = i % 2 ? [wrk(db, rb), wrk(da, ra)].reverse() : [wrk(da, ra), wrk(db, rb)];
      a.push(x); b.push(y); rr.push(y.rps / x.rps); ru.push(y.us / x.us);
    }
    console.log(`${op.padEnd(11)} A ${Math.round(med(a.map((x) => x.rps)))} req/s ${med(a.map((x) => x.us)).toFixed(1)} µs CPU/req | B ${Math.round(med(b.map((x) => x.rps)))} req/s ${med(b.map((x) => x.us)).toFixed(1)} µs | B/A req/s ${med(rr).toFixed(3)} [${rr.map((x) => x.toFixed(2)).join(' ')}] CPU/req ${med(ru).toFixed(3)} [${ru.map((x) => x.toFixed(2)).join(' ')}]`);
  }
} finally {
  for (const d of [da, db]) { d.child.kill('SIGTERM'); }
  await new Promise((r) => setTimeout(r, 500));
  for (const d of [da, db]) rmSync(d.dir, { recursive: true, force: true });
}
