#!/usr/bin/env node
/**
 * Envelope encryption throughput (issue 11.16): `dew envelope encrypt - -` of a 1 GiB stream, as a
 * user runs it (a process, a data key from the daemon, stdin to stdout), against raw node:crypto
 * AES-256-GCM over the same bytes in the same 1 MiB chunks in this process: the ratio says what
 * the format, the streams and the process cost on top of the cipher. Target ≥ 0.8. Rounds
 * alternate the two, and the median ratio is reported.
 *
 * Run after `npm run build`: node bench/envelope.mjs (BENCH_ENVELOPE_MIB, default 1024; BENCH_ROUNDS).
 * Exported: runEnvelopeBench().
 */
import { spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemonProcess } from './daemon-process.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** MiB/s of AES-256-GCM over `mib` one-MiB chunks (a fresh IV and the chunk index as AAD, as the format does). */
function rawGcm(mib, chunk) {
  const key = randomBytes(32);
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < mib; i++) {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
    const aad = Buffer.alloc(8);
    aad.writeUInt32BE(i, 4);
    c.setAAD(aad);
    sink += c.update(chunk).length + c.final().length + c.getAuthTag().length;
  }
  const s = (performance.now() - start) / 1000;
  if (sink < mib * MiB) throw new Error('short output');
  return mib / s;
}

/** MiB/s of `dew envelope encrypt - -` fed `mib` MiB on stdin, output counted and dropped. */
function dewEncrypt(mib, chunk, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [join(root, 'dist/bin/dew.js'), 'envelope', 'encrypt', '-key-id', 'bench-envelope', '-', '-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = 0;
    let err = '';
    child.stdout.on('data', (c) => (out += c.length));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || out < mib * MiB) return reject(new Error(`dew envelope encrypt exited ${code} after ${out} bytes: ${err}`));
      resolve(mib / ((performance.now() - start) / 1000));
    });
    let i = 0;
    const pump = () => {
      while (i < mib) {
        i++;
        if (!child.stdin.write(chunk)) return void child.stdin.once('drain', pump);
      }
      child.stdin.end();
    };
    pump();
  });
}

export async function runEnvelopeBench({ rounds = Number(process.env.BENCH_ROUNDS ?? 3), mib = Number(process.env.BENCH_ENVELOPE_MIB ?? 1024) } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dew-bench-env-'));
  const d = await startDaemonProcess(dataDir, ['--schedule', 'off']);
  try {
    const env = { ...process.env, DEW_CREDENTIALS: join(dataDir, 'credentials.json'), NO_COLOR: '1' };
    const created = spawn(process.execPath, [join(root, 'dist/bin/dew.js'), 'kms', 'create-key', '--key-alias', 'bench-envelope'], { env, stdio: 'ignore' });
    await new Promise((r) => created.once('close', r));
    const chunk = randomBytes(MiB);
    const ratios = [];
    let dewLast = 0;
    let rawLast = 0;
    for (let r = 0; r < rounds; r++) {
      rawLast = rawGcm(mib, chunk);
      dewLast = await dewEncrypt(mib, chunk, env);
      ratios.push(dewLast / rawLast);
    }
    const ratio = median(ratios);
    console.log(`\nEnvelope encryption (${mib} MiB through \`dew envelope encrypt - -\`, vs raw AES-256-GCM in 1 MiB chunks):`);
    console.log(`  dew ${dewLast.toFixed(0)} MiB/s, raw ${rawLast.toFixed(0)} MiB/s (last round); median ratio ${ratio.toFixed(2)} over ${rounds} rounds, target ≥ 0.8 ${ratio >= 0.8 ? '✔' : '✘'}`);
    return { ratio, ok: ratio >= 0.8 };
  } finally {
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ok } = await runEnvelopeBench();
  process.exitCode = ok ? 0 : 1;
}
