/**
 * In-process encrypt-data 4 B: the software partition against a Pkcs11Partition on SoftHSM2 (a temp
 * SOFTHSM2_CONF), 2000 calls each after a warm-up, awaited one at a time as a request would, and
 * the synchronous hot path (`encryptCached`). Shared machines are noisy: BENCH_ROUNDS rounds (default
 * 5) alternate the partitions and the median per row is printed.
 * Run: node --import tsx bench/pkcs11-partition.ts   (BENCH_N to change the count)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'dew-bench-softhsm-'));
mkdirSync(join(dir, 'tokens'));
writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');

const { Pkcs11Library } = await import('../daemon/hsm/pkcs11/library.js');
const { provisionToken } = await import('../daemon/hsm/pkcs11/provision.js');
const { Pkcs11Partition } = await import('../daemon/hsm/pkcs11/pkcs11-partition.js');
const { SoftwareHsm } = await import('../daemon/hsm/software-hsm.js');
const { generateMasterKey } = await import('../daemon/hsm/master-key.js');

const N = Number(process.env.BENCH_N ?? 2000);
const material = new Map<string, Buffer>();
const roots = new Map<string, Buffer>();
const store = {
  loadMaterial: async (id: string, v: number) => material.get(`${id}#${v}`),
  ensurePartitionRoot: async (id: string, w: Buffer) => (roots.has(id) ? roots.get(id)! : (roots.set(id, w), w)),
  loadPartitionRoot: async (id: string) => roots.get(id),
};
const pt = Buffer.from('abcd');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
type Enc = { encrypt(ref: any, kind: 'data', p: Buffer): Promise<Buffer>; encryptCached(ref: any, kind: 'data', p: Buffer): Buffer | undefined };
const results = new Map<string, number[]>();

async function round(name: string, p: Enc, ref: object): Promise<void> {
  for (let i = 0; i < 200; i++) await p.encrypt(ref, 'data', pt);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await p.encrypt(ref, 'data', pt);
  const awaited = Number(process.hrtime.bigint() - t0) / 1e9;
  (results.get(`${name} encrypt`) ?? results.set(`${name} encrypt`, []).get(`${name} encrypt`)!).push(N / awaited);
  if (!p.encryptCached(ref, 'data', pt)) return;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) p.encryptCached(ref, 'data', pt);
  const cached = Number(process.hrtime.bigint() - t0) / 1e9;
  (results.get(`${name} encryptCached`) ?? results.set(`${name} encryptCached`, []).get(`${name} encryptCached`)!).push(N / cached);
}

const lib = Pkcs11Library.open('/usr/lib/softhsm/libsofthsm2.so');
try {
  const sw = new SoftwareHsm(generateMasterKey(), store);
  await sw.init();
  const swRef = { keyId: '0d0466b0-e727-4d9c-b35d-000000000001', version: 1, keySpec: 'AES_256', partitionId: 'default' };
  material.set(`${swRef.keyId}#1`, await sw.generateSymmetric(swRef));
  const tok = await provisionToken(lib, { label: 'dew-bench' });
  const open = (sync: boolean) => Pkcs11Partition.open(lib, { id: 'bench', token: { serial: tok.tokenSerial }, pin: tok.userPin, store, syncOperations: sync });
  const inToken = await open(true);
  const pooled = await open(false);
  const ref = { keyId: '0d0466b0-e727-4d9c-b35d-000000000002', version: 1, keySpec: 'AES_256', partitionId: 'bench' };
  material.set(`${ref.keyId}#1`, await inToken.generateSymmetric(ref));
  for (let r = 0; r < ROUNDS; r++) {
    await round('software', sw, swRef);
    await round('pkcs11 (sync)', inToken, ref);
    await round('pkcs11 (pool)', pooled, ref);
  }
  for (const [row, v] of results) {
    const median = v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    console.log(`${row.padEnd(32)} ${String(Math.round(median)).padStart(7)} ops/s  ${(1e6 / median).toFixed(1).padStart(6)} µs/op`);
  }
  inToken.close();
  pooled.close();
} finally {
  lib.close();
  rmSync(dir, { recursive: true, force: true });
}
