/**
 * A stream far larger than the memory bound through `dew envelope encrypt - - | dew envelope decrypt - -`
 * as real processes: same SHA-256, each process under 200 MB peak RSS. 512 MiB by default (2.5x the
 * bound, so a buffering implementation fails); DEW_TEST_LARGE=1 runs the full 2 GiB.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cli, envelopeEnv } from './helpers.js';

const TOTAL = process.env.DEW_TEST_LARGE ? 2 * 1024 ** 3 : 512 * 1024 ** 2;
const LABEL = TOTAL >= 1024 ** 3 ? `${TOTAL / 1024 ** 3} GiB` : `${TOTAL / 1024 ** 2} MiB`;
const BLOCK = 1 << 20;

/** VmHWM (peak resident set) of a live process in bytes, 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

t.test(`${LABEL} round trip in constant memory`, { timeout: 900_000 }, async (t) => {
  const e = await envelopeEnv(t);
  const opts = { cwd: e.dir, env: e.env };
  const enc = spawn(process.execPath, [cli, 'envelope', 'encrypt', '-key-id', e.aesKey, '-', '-'], { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
  const dec = spawn(process.execPath, [cli, 'envelope', 'decrypt', '-', '-'], { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
  const procs: ChildProcess[] = [enc, dec];
  t.teardown(() => procs.forEach((p) => p.exitCode === null && p.kill()));
  enc.stdout.pipe(dec.stdin);
  let errs = '';
  enc.stderr.on('data', (b) => (errs += b));
  dec.stderr.on('data', (b) => (errs += b));
  const peaks = [0, 0];
  const sampler = setInterval(() => procs.forEach((p, i) => (peaks[i] = Math.max(peaks[i], peakRss(p.pid!)))), 100);
  const outHash = createHash('sha256');
  let outBytes = 0;
  dec.stdout.on('data', (b: Buffer) => {
    outHash.update(b);
    outBytes += b.length;
  });
  const exits = procs.map((p) => new Promise<number | null>((r) => p.once('exit', (c) => r(c))));
  // The input: an AES-256-CTR keystream under a fixed key (deterministic, incompressible, fast).
  const gen = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16));
  const zeros = Buffer.alloc(BLOCK);
  const inHash = createHash('sha256');
  const started = Date.now();
  for (let sent = 0; sent < TOTAL; sent += BLOCK) {
    const block = gen.update(zeros);
    inHash.update(block);
    if (!enc.stdin.write(block)) await new Promise((r) => enc.stdin.once('drain', r));
  }
  enc.stdin.end();
  const codes = await Promise.all(exits);
  clearInterval(sampler);
  t.comment(`${LABEL} round trip: ${((Date.now() - started) / 1000).toFixed(1)} s; peak RSS encrypt ${(peaks[0] / 1e6).toFixed(0)} MB, decrypt ${(peaks[1] / 1e6).toFixed(0)} MB`);
  t.same(codes, [0, 0], `both processes exit 0 (${errs.trim()})`);
  t.equal(outBytes, TOTAL, 'every byte comes back');
  t.equal(outHash.digest('hex'), inHash.digest('hex'), 'SHA-256 of output equals input');
  t.ok(peaks[0] > 0 && peaks[1] > 0, 'peak RSS was sampled');
  t.ok(peaks[0] < 200e6, `encrypt peak RSS ${peaks[0]} < 200 MB`);
  t.ok(peaks[1] < 200e6, `decrypt peak RSS ${peaks[1]} < 200 MB`);
});
