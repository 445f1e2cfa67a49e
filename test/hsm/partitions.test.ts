/** HSM partitions: each has its own root, material of one never opens in another, and services see only the Hsm interface. */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SoftwareHsm, type HsmStore } from '../../daemon/hsm/software-hsm.js';
import { DEFAULT_PARTITION, UnknownPartitionError } from '../../daemon/hsm/hsm.js';
import { UnwrapError, open } from '../../daemon/hsm/aead.js';
import { generateMasterKey } from '../../daemon/hsm/master-key.js';

const KEY = (n: number) => `0d0466b0-e727-4d9c-b35d-${String(n).padStart(12, '0')}`;

function memoryStore() {
  const roots = new Map<string, Buffer>();
  const material = new Map<string, Buffer>();
  const store: HsmStore = {
    ensurePartitionRoot: async (id, w) => {
      if (!roots.has(id)) roots.set(id, w);
      return roots.get(id) as Buffer;
    },
    loadPartitionRoot: async (id) => roots.get(id),
    loadMaterial: async (id, v) => material.get(`${id}#${v}`),
  };
  return { store, roots, material };
}

t.test('two partitions have different roots and cannot unwrap each other\'s material', async (t) => {
  const master = generateMasterKey();
  const mem = memoryStore();
  const hsm = new SoftwareHsm(master, mem.store);
  await hsm.init();
  await hsm.openPartition('instance-a');
  t.ok(hsm.hasPartition(DEFAULT_PARTITION) && hsm.hasPartition('instance-a'));
  const rootOf = (id: string) => open(master, mem.roots.get(id) as Buffer, `dew/partition-root/v1|${id}`);
  t.notSame(rootOf(DEFAULT_PARTITION), rootOf('instance-a'), 'each partition has its own root');
  t.throws(() => open(master, mem.roots.get('instance-a') as Buffer, `dew/partition-root/v1|${DEFAULT_PARTITION}`), UnwrapError, 'a root is bound to its partition id');

  for (const [n, keySpec] of ['AES_256', 'HMAC_256', 'EC_P256'].entries()) {
    const keyId = KEY(10 + n);
    const inA = { keyId, version: 1, keySpec, partitionId: 'instance-a' };
    const inDefault = { ...inA, partitionId: DEFAULT_PARTITION };
    mem.material.set(`${keyId}#1`, keySpec === 'EC_P256' ? await hsm.generateAsymmetric(inA) : await hsm.generateSymmetric(inA));
    // The owning partition uses it...
    if (keySpec === 'AES_256') t.ok(await hsm.encrypt(inA, 'data', Buffer.from('x')));
    if (keySpec === 'HMAC_256') t.ok(await hsm.mac(inA, Buffer.from('x')));
    if (keySpec === 'EC_P256') t.match(await hsm.publicKeyPem(inA), /BEGIN PUBLIC KEY/);
    // ...and the other one, asked for the same stored bytes, cannot open them (nor reach A's loaded copy).
    t.equal(hsm.encryptCached(inDefault, 'data', Buffer.from('x')), undefined, `${keySpec}: not loaded in the default partition`);
    const use: Promise<unknown> = keySpec === 'AES_256' ? hsm.encrypt(inDefault, 'data', Buffer.from('x'))
      : keySpec === 'HMAC_256' ? hsm.mac(inDefault, Buffer.from('x')) : hsm.publicKeyPem(inDefault);
    await t.rejects(use, UnwrapError, `${keySpec}: material of instance-a does not open under the default root`);
  }

  // An import wrapping key sealed in one partition does not open in another.
  const tokenId = 'ab'.repeat(32);
  const wrapping = await hsm.createImportWrappingKey('RSAES_OAEP_SHA_256', tokenId, DEFAULT_PARTITION);
  const ref = { keyId: KEY(99), version: 1, keySpec: 'AES_256', partitionId: 'instance-a' };
  await t.rejects(hsm.importMaterial(ref, { algorithm: 'RSAES_OAEP_SHA_256', sealed: wrapping.sealed, tokenId }, Buffer.alloc(384), undefined), UnwrapError);
});

t.test('a partition that is not open is refused, never created on first use', async (t) => {
  const mem = memoryStore();
  const hsm = new SoftwareHsm(generateMasterKey(), mem.store);
  await hsm.init();
  const ref = { keyId: KEY(1), version: 1, keySpec: 'AES_256', partitionId: 'nobody' };
  await t.rejects(hsm.generateSymmetric(ref), UnknownPartitionError);
  t.throws(() => hsm.encryptCached(ref, 'data', Buffer.from('x')), UnknownPartitionError);
  t.notOk(mem.roots.has('nobody'), 'no root was made for it');
  t.same([...mem.roots.keys()], [DEFAULT_PARTITION]);
  // Opening twice (even concurrently) yields one partition and one root.
  const [a, b] = await Promise.all([hsm.openPartition('p2'), hsm.openPartition('p2')]);
  t.equal(a, b);
  t.equal(a.id, 'p2');
});

t.test('services, the scheduler and governance type against the Hsm interface, not the software class', async (t) => {
  const root = new URL('../../daemon/', import.meta.url).pathname;
  const files = ['governance.ts', ...['services', 'scheduler', 'http'].flatMap((d) => readdirSync(join(root, d), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => join(d, f)))];
  t.ok(files.length > 20, 'the scan sees the service files');
  const offenders = files.filter((f) => /software-hsm|software-partition|SoftwareHsm/.test(readFileSync(join(root, f), 'utf8')));
  t.same(offenders, [], 'only the composition roots (main.ts, offline.ts) know the class');
  const keys = readFileSync(join(root, 'services/keys.ts'), 'utf8');
  t.match(keys, /\bHsm\b[^;]*from '\.\.\/hsm\/hsm\.js'/, 'KeyService takes an Hsm');
});
