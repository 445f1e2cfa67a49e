#!/usr/bin/env node
/**
 * Envelope encryption throughput (issue 11.16): `dew envelope encrypt IN OUT` of a 1 GiB file, as a
 * user runs it (a process, a data key from the daemon, file to file), against raw node:crypto
 * AES-256-GCM over the same bytes in the same 1 MiB chunks in this process: the ratio says what
 * the format, the file streams and the process cost on top of the cipher. Target ≥ 0.8. Rounds
 * alternate the two, and the median ratio is reported. (Through pipes from this process the ratio
 * is lower: the feeding and draining then take the second core's time too.)
 *
 * Run after `npm run build`: node bench/envelope.mjs (BENCH_ENVELOPE_MIB, default 1024; BENCH_ROUNDS).
 * Exported: runEnvelopeBench().
 */
import { spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
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

/** MiB/s of `dew envelope encrypt IN OUT` over a `mib` MiB file. */
function dewEncrypt(mib, inFile, outFile, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [join(root, 'dist/bin/dew.js'), 'envelope', 'encrypt', '-key-id', 'bench-envelope', inFile, outFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0 || statSync(outFile).size < mib * MiB) return reject(new Error(`dew envelope encrypt exited ${code}: ${err}`));
      resolve(mib / seconds);
    });
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
    const inFile = join(dataDir, 'plain.bin');
    const outFile = join(dataDir, 'plain.bin.dew');
    const fd = openSync(inFile, 'w');
    for (let i = 0; i < mib; i++) writeSync(fd, chunk);
    closeSync(fd);
    const ratios = [];
    let dewLast = 0;
    let rawLast = 0;
    for (let r = 0; r < rounds; r++) {
      rawLast = rawGcm(mib, chunk);
      dewLast = await dewEncrypt(mib, inFile, outFile, env);
      rmSync(outFile, { force: true });
      ratios.push(dewLast / rawLast);
    }
    const ratio = median(ratios);
    console.log(`\nEnvelope encryption (a ${mib} MiB file through \`dew envelope encrypt IN OUT\`, vs raw AES-256-GCM in 1 MiB chunks):`);
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
