#!/usr/bin/env node
/**
 * Speed checks that used to be wall-clock assertions in tests (a loaded 2-core machine made them
 * flaky). Each row is a ratio to a baseline measured in the same run, alternated round by round,
 * and reports the median ratio against a target (✔/✘), so machine load moves both sides alike:
 *
 * - verifyToken, vs the one HMAC-SHA-256 and constant-time compare it cannot avoid;
 * - verifySdkSignature on a 200-byte JSON POST, vs the SHA-256 of the body and of the canonical
 *   request plus the HMAC-SHA-256 of the string to sign;
 * - gen-random answered while the daemon generates an RSA-4096 key, vs gen-random alone (key
 *   generation must not block the event loop);
 * - `dew apply` refused because another apply holds the stack lock, vs `dew plan` of the same
 *   configuration (the refusal comes at once: no waiting for the lock).
 *
 * Run after `npm run build`: node bench/speed.mjs (BENCH_ROUNDS, BENCH_SECONDS as bench/run.mjs).
 * Exported: runSpeedBench().
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDaemonProcess } from './daemon-process.mjs';
import { createSdkSignatureBenchCase } from './sdk-signature-case.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** Microseconds per call of `fn`, run for about `ms` after a warm-up. */
function usPerCall(fn, ms) {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / n;
}

/** Alternates baseline and operation `rounds` times; the figures of the median-ratio round. */
async function alternate(rounds, baseline, operation) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const base = await baseline();
    const op = await operation();
    runs.push({ base, op, ratio: op / base });
  }
  const mid = median(runs.map((r) => r.ratio));
  return runs.find((r) => r.ratio === mid);
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `dew ARGS` as a user runs it; resolves with its exit code and stderr. */
function dew(args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist/bin/dew.js'), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, err }));
  });
}

export async function runSpeedBench({ rounds = Number(process.env.BENCH_ROUNDS ?? 3), seconds = Number(process.env.BENCH_SECONDS ?? 1), log = (l) => process.stdout.write(l + '\n') } = {}) {
  const rows = [];
  const ms = seconds * 1000;

  // In-process verifiers against the crypto they are made of.
  const { issueToken, verifyToken } = await dist('daemon/http/auth/token.js');
  const { createTokenMac } = await dist('daemon/hsm/token-mac.js');
  const keyBytes = Buffer.alloc(32, 7);
  const mac = createTokenMac(keyBytes);
  const nowMs = Date.UTC(2025, 0, 1);
  const token = issueToken(mac, { userId: 'u-1', domainId: 'd'.repeat(32), projectId: 'p'.repeat(32), accessKey: 'AK-TOKEN', expiresAtMs: nowMs + 3_600_000 });
  if (!verifyToken(mac, token, nowMs).ok) throw new Error('the benchmark token does not verify');
  const signedPart = token.slice(0, token.lastIndexOf('.'));
  const tokenMac = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  const tok = await alternate(
    rounds,
    () => usPerCall(() => timingSafeEqual(createHmac('sha256', keyBytes).update(signedPart).digest(), tokenMac), ms),
    () => usPerCall(() => verifyToken(mac, token, nowMs), ms),
  );
  rows.push({ name: 'verifyToken', unit: 'µs', ...tok, baseline: 'HMAC-SHA-256 + compare', target: 5 });

  const sdk = createSdkSignatureBenchCase();
  const body = sdk.request.body;
  const canonical = `POST\n${sdk.request.path}/\n\ncontent-type:application/json;charset=UTF-8\nhost:kms.local:8443\nx-project-id:${'0'.repeat(32)}\nx-sdk-date:20250101T000000Z\n\ncontent-type;host;x-project-id;x-sdk-date\n${'0'.repeat(64)}`;
  const sig = await alternate(
    rounds,
    () =>
      usPerCall(() => {
        const bodyHash = createHash('sha256').update(body).digest('hex');
        const requestHash = createHash('sha256').update(canonical + bodyHash).digest('hex');
        createHmac('sha256', sdk.secret).update(`SDK-HMAC-SHA256\n20250101T000000Z\n${requestHash}`).digest();
      }, ms),
    () => usPerCall(() => sdk.verifyOnce(), ms),
  );
  rows.push({ name: 'verifySdkSignature 200 B POST', unit: 'µs', ...sig, baseline: '2 × SHA-256 + HMAC-SHA-256', target: 5 });

  // A daemon process: gen-random during RSA-4096 key generation, and the stack lock.
  const home = mkdtempSync(join(tmpdir(), 'dew-bench-speed-'));
  const { child, url, creds } = await startDaemonProcess(join(home, 'data'), ['--key-quota', '200']);
  try {
    const { DewClient } = await dist('provider/client/dew-client.js');
    const { HttpStackStore } = await dist('provider/state/http-stack-store.js');
    const client = new DewClient({ endpoint: url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key });
    const genRandom = async () => {
      const r = await client.kms('gen-random', { random_data_length: '512' });
      if (r.random_data.length !== 128) throw new Error('gen-random answered the wrong length');
    };
    for (let i = 0; i < 20; i++) await genRandom();
    let keys = 0;
    const keygen = await alternate(
      rounds,
      async () => {
        const alone = [];
        for (let i = 0; i < 20; i++) alone.push(await timed(genRandom));
        return median(alone);
      },
      async () => {
        let done = false;
        const creating = client.kms('create-key', { key_alias: `speed-rsa-${++keys}`, key_spec: 'RSA_4096' }).finally(() => (done = true));
        await new Promise((r) => setTimeout(r, 30));
        // Calls answered while the key is being generated; a blocking keygen answers the first only after it.
        const during = [];
        do during.push(await timed(genRandom));
        while (!done);
        await creating;
        return median(during);
      },
    );
    rows.push({ name: 'gen-random during RSA-4096 keygen', unit: 'ms', ...keygen, baseline: 'gen-random alone', target: 5 });

    const dir = join(home, 'speed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.hcl'), 'dew {\n  stack = "speed"\n}\n\nresource "dew_kms_key" "a" {\n  key_alias = "speed-a"\n}\n');
    const env = { DEW_CREDENTIALS: join(home, 'data', 'credentials.json'), NO_COLOR: '1' };
    const store = new HttpStackStore(client);
    const lock = await alternate(
      rounds,
      () =>
        timed(async () => {
          const p = await dew(['plan'], dir, env);
          if (p.code !== 0) throw new Error(`dew plan failed: ${p.err}`);
        }),
      async () => {
        const held = await store.lock('speed', 'bench@elsewhere', 'apply');
        try {
          return await timed(async () => {
            const a = await dew(['apply', '-auto-approve'], dir, env);
            if (a.code !== 1 || !/is locked/.test(a.err)) throw new Error(`dew apply was not refused by the lock (exit ${a.code}): ${a.err}`);
          });
        } finally {
          await store.unlock('speed', held.id);
        }
      },
    );
    rows.push({ name: 'dew apply refused by the lock', unit: 'ms', ...lock, baseline: 'dew plan, same config', target: 1.5 });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()));
    rmSync(home, { recursive: true, force: true });
  }

  const pad = (s, n) => String(s).padEnd(n);
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  log(`\nSpeed against a baseline measured in the same run (${rounds} alternated rounds, median ratio):`);
  log(`| ${pad('operation', 34)} | ${pad('each', 9)} | ${pad('baseline', 26)} | ${pad('each', 9)} | ratio | target  |`);
  log(`|${'-'.repeat(36)}|${'-'.repeat(11)}|${'-'.repeat(28)}|${'-'.repeat(11)}|-------|---------|`);
  for (const r of rows) {
    const ok = r.ratio <= r.target ? '✔' : '✘';
    log(`| ${pad(r.name, 34)} | ${pad(`${fmt(r.op)} ${r.unit}`, 9)} | ${pad(r.baseline, 26)} | ${pad(`${fmt(r.base)} ${r.unit}`, 9)} | ${pad(r.ratio.toFixed(2), 5)} | ${pad(`≤ ${r.target} ${ok}`, 7)} |`);
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await runSpeedBench();
  if (rows.some((r) => r.ratio > r.target)) process.exitCode = 1;
}
