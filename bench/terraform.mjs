#!/usr/bin/env node
/**
 * Terraform provider benchmark (issue 15): how long a provider launch takes to reach its go-plugin
 * handshake (against a bare `node -e ''` start of the same run), and `terraform plan` of 1 and of
 * 200 applied dew_kms_key resources (against `dew plan` of the same keys in its own stack, same
 * daemon, same run). Medians of alternated rounds; the real terraform at /usr/local/bin/terraform.
 * Run after `npm run build`: node bench/terraform.mjs. Exported: runTerraformBench().
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDaemonProcess } from './daemon-process.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const TERRAFORM = process.env.DEW_TERRAFORM_BIN || '/usr/local/bin/terraform';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Milliseconds from spawn to the first stdout line of `args` (the handshake), then the process is stopped. */
function firstLine(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        const ms = performance.now() - t0;
        child.kill('SIGKILL');
        resolve({ ms, line: out.split('\n')[0] });
      }
    });
    child.once('exit', () => resolve({ ms: performance.now() - t0, line: out }));
    child.once('error', reject);
  });
}

function timed(cmd, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return { ms, out: r.stdout };
}

export async function runTerraformBench({ rounds = 3, log = (l) => process.stdout.write(l + '\n') } = {}) {
  if (!existsSync(TERRAFORM)) {
    log(`\nTerraform provider: skipped (no terraform at ${TERRAFORM})`);
    return;
  }
  const { selfSignedCert } = await import(pathToFileURL(join(root, 'dist/provider/terraform/plugin/cert.js')).href);
  const home = mkdtempSync(join(tmpdir(), 'dew-bench-tf-'));
  const dataDir = join(home, 'data');
  const d = await startDaemonProcess(dataDir, ['--key-quota', '500'], { PATH: process.env.PATH });
  try {
    const entry = join(root, 'dist/provider/terraform/main.js');
    const cli = join(root, 'dist/bin/dew.js');
    const client = selfSignedCert();
    const pluginEnv = {
      PATH: '/usr/bin:/bin',
      TMPDIR: home,
      TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: client.certPem,
    };
    const launches = [];
    const bare = [];
    for (let i = 0; i < Math.max(5, rounds * 2); i++) {
      const l = await firstLine([entry], pluginEnv);
      if (!/^1\|6\|unix\|/.test(l.line)) throw new Error(`not a handshake: ${l.line}`);
      launches.push(l.ms);
      bare.push((await firstLine(['-e', 'console.log(1)'], pluginEnv)).ms);
    }

    const tfHome = join(home, 'home');
    mkdirSync(tfHome);
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: tfHome, TMPDIR: home, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
    const install = spawnSync(process.execPath, [cli, 'terraform', 'install'], { env, encoding: 'utf8' });
    if (install.status !== 0) throw new Error(install.stderr);
    const creds = readFileSync(join(dataDir, 'credentials.json'), 'utf8');
    const rows = [];
    for (const n of [1, 200]) {
      const tfDir = join(home, `tf-${n}`);
      const dewDir = join(home, `dew-${n}`);
      for (const dir of [tfDir, dewDir]) mkdirSync(dir);
      writeFileSync(join(tfDir, 'creds.json'), creds);
      const keys = (prefix) => Array.from({ length: n }, (_, i) => `resource "dew_kms_key" "k${i}" {\n  key_alias = "${prefix}-${n}-${i}"\n}\n`).join('\n');
      writeFileSync(join(tfDir, 'main.tf'), `terraform {\n  required_providers {\n    dew = { source = "dew.local/dew/dew" }\n  }\n}\n\nprovider "dew" {\n  credentials_file = "creds.json"\n}\n\n${keys('tf')}`);
      writeFileSync(join(dewDir, 'main.hcl'), `dew {\n  stack = "bench-${n}"\n}\n\n${keys('dew')}`);
      const dewEnv = { ...env, DEW_CREDENTIALS: join(dataDir, 'credentials.json') };
      timed(TERRAFORM, ['init', '-input=false', '-no-color'], { cwd: tfDir, env });
      timed(TERRAFORM, ['apply', '-auto-approve', '-input=false', '-no-color', '-parallelism=16'], { cwd: tfDir, env });
      timed(process.execPath, [cli, 'apply', '-auto-approve'], { cwd: dewDir, env: dewEnv });
      const tf = [];
      const dew = [];
      for (let r = 0; r < rounds; r++) {
        const p = timed(TERRAFORM, ['plan', '-input=false', '-no-color', '-detailed-exitcode'], { cwd: tfDir, env });
        if (!/No changes\./.test(p.out)) throw new Error(`terraform plan of ${n} is not a no-op:\n${p.out}`);
        tf.push(p.ms);
        dew.push(timed(process.execPath, [cli, 'plan', '-detailed-exitcode'], { cwd: dewDir, env: dewEnv }).ms);
      }
      rows.push({ n, tf: median(tf), dew: median(dew) });
      timed(TERRAFORM, ['destroy', '-auto-approve', '-input=false', '-no-color', '-parallelism=16'], { cwd: tfDir, env });
    }
    const f = (ms) => (ms / 1000).toFixed(2);
    log('\nTerraform provider (medians; real terraform, provider from dist/):');
    log('| what | seconds | baseline (same run) | seconds | ratio |');
    log('|---|---|---|---|---|');
    log(`| provider launch to handshake | ${f(median(launches))} | node start to first line | ${f(median(bare))} | ${(median(launches) / median(bare)).toFixed(2)} |`);
    for (const r of rows) log(`| terraform plan, ${r.n} key${r.n === 1 ? '' : 's'} applied (no changes) | ${f(r.tf)} | dew plan of the same | ${f(r.dew)} | ${(r.tf / r.dew).toFixed(2)} |`);
    return { launch: median(launches), bare: median(bare), rows };
  } finally {
    d.child.kill('SIGTERM');
    await new Promise((r) => (d.child.exitCode !== null ? r() : d.child.once('exit', r)));
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runTerraformBench({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) });
}
