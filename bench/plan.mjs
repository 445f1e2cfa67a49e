#!/usr/bin/env node
/**
 * Plan benchmark (issue 5 "Speed"): configs of 100, 1,000 and 10,000 keys, as Terraform-JSON and as
 * HCL, planned against a daemon that holds them. Reports plan time, HCL parse time on its own, and the
 * HTTP requests the plan made (counted in the client). Targets: requests grow only with paging
 * (1 per 1,000 objects); 10,000 resources plan < 10 s from JSON and < 20 s from HCL.
 * Run after `npm run build`: node bench/plan.mjs [--sizes 100,1000,10000]. Exported: runPlanBench().
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);

async function pool(n, limit, fn) {
  let next = 0;
  const work = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, work));
}

function jsonConfig(stack, n) {
  const resources = {};
  for (let i = 0; i < n; i++) resources[`k${i}`] = { key_alias: `bench-${i}` };
  return JSON.stringify({ dew: [{ stack }], resource: { dew_kms_key: resources } });
}

function hclConfig(stack, n) {
  const parts = [`dew {\n  stack = "${stack}"\n}\n`];
  for (let i = 0; i < n; i++) parts.push(`resource "dew_kms_key" "k${i}" {\n  key_alias = "bench-${i}"\n}\n`);
  return parts.join('\n');
}

export async function runPlanBench({ sizes = [100, 1000, 10000], log = (l) => process.stdout.write(l + '\n') } = {}) {
  const { startDaemon } = await dist('daemon/main.js');
  const { parseDaemonArgs } = await dist('daemon/config.js');
  const { DewClient } = await dist('provider/client/dew-client.js');
  const { HttpStackStore } = await dist('provider/state/http-stack-store.js');
  const { makePlanCommand } = await dist('provider/commands/plan.js');
  const { parseHcl } = await dist('provider/config/hcl.js');

  const home = mkdtempSync(join(tmpdir(), 'dew-bench-plan-'));
  const max = Math.max(...sizes);
  const config = parseDaemonArgs(['--listen', '127.0.0.1:0', '--data-dir', join(home, 'data'), '--key-quota', String(max + 100)], {}, home);
  const daemonLog = [];
  const daemon = await startDaemon(config, { log: (l) => daemonLog.push(l) });
  try {
    const c = daemon.credentials;
    const client = new DewClient({ endpoint: daemon.url, projectId: c.project_id, accessKey: c.access_key, secretKey: c.secret_key });
    const t0 = performance.now();
    const ids = new Array(max);
    await pool(max, 32, async (i) => {
      ids[i] = (await client.kms('create-key', { key_alias: `bench-${i}` })).key_info.key_id;
    });
    const seedKeys = performance.now() - t0;
    // each stack owns the first N keys, recorded as an apply would (pending_days is write-only)
    const store = new HttpStackStore(client);
    for (const n of sizes) {
      const stack = `bench-${n}`;
      const lock = await store.lock(stack, 'bench', 'seed');
      await pool(n, 32, (i) => store.putObject(stack, lock.id, { address: `dew_kms_key.k${i}`, type: 'dew_kms_key', object_id: ids[i], attributes: { key_alias: `bench-${i}`, pending_days: '7' }, dependencies: [] }));
      await store.unlock(stack, lock.id);
    }
    log(`seeded ${max} keys in ${(seedKeys / 1000).toFixed(1)} s and ${sizes.length} stacks in ${((performance.now() - t0 - seedKeys) / 1000).toFixed(1)} s`);

    const rows = [];
    for (const n of sizes) {
      for (const format of ['json', 'hcl']) {
        const dir = join(home, `${format}-${n}`);
        mkdirSync(dir);
        const file = join(dir, format === 'json' ? 'main.dew.json' : 'main.hcl');
        writeFileSync(file, format === 'json' ? jsonConfig(`bench-${n}`, n) : hclConfig(`bench-${n}`, n));
        let parseMs = null;
        if (format === 'hcl') {
          await parseHcl('warmup.hcl', 'x = 1\n'); // the WASM start-up (~0.5 s) is paid once per process, not per plan
          const p0 = performance.now();
          await parseHcl('main.hcl', readFileSync(file, 'utf8'));
          parseMs = performance.now() - p0;
        }
        let requests = 0;
        const counted = {
          kms: (op, body) => (requests++, client.kms(op, body)),
          request: (...a) => (requests++, client.request(...a)),
        };
        const plan = makePlanCommand({ openSession: () => ({ api: counted, store: new HttpStackStore(counted) }) });
        let out = '';
        let err = '';
        const ctx = { argv: ['-detailed-exitcode'], cwd: dir, env: { NO_COLOR: '1' }, stdout: { write: (s) => (out += s) }, stderr: { write: (s) => (err += s) }, now: Date.now };
        const s0 = performance.now();
        const code = await plan(ctx);
        const planMs = performance.now() - s0;
        if (code !== 0) throw new Error(`plan of ${n} ${format} keys expected "No changes" (exit 0), got ${code}: ${err || out.slice(0, 2000)}`);
        rows.push({ resources: n, format, planMs, parseMs, requests });
      }
    }
    const fmt = (ms) => (ms === null ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
    log('');
    log('| resources | format | plan (total) | HCL parse alone | HTTP requests | target |');
    log('|---:|---|---:|---:|---:|---|');
    for (const r of rows) {
      const target = r.resources === 10000 ? (r.format === 'json' ? (r.planMs < 10_000 ? '< 10 s ✔' : '< 10 s ✘') : r.planMs < 20_000 ? '< 20 s ✔' : '< 20 s ✘') : '';
      log(`| ${r.resources} | ${r.format} | ${fmt(r.planMs)} | ${fmt(r.parseMs)} | ${r.requests} | ${target} |`);
    }
    return rows;
  } catch (e) {
    // the daemon's own account of a failed call (its log holds no secrets)
    throw new Error(`${e.message}\ndaemon log:\n${daemonLog.slice(-5).join('\n')}`, { cause: e });
  } finally {
    await daemon.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--sizes');
  const sizes = i > 0 ? process.argv[i + 1].split(',').map(Number) : undefined;
  const t0 = performance.now();
  await runPlanBench({ sizes });
  process.stdout.write(`\nplan bench finished in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
