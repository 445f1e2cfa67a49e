/** The software HSM: master key sealing, context binding of wrapped material, bounded cache, MAC vectors. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SoftwareHsm, type HsmStore } from '../../daemon/hsm/software-hsm.js';
import { DEFAULT_PARTITION, KeyMaterialMissingError } from '../../daemon/hsm/hsm.js';
import { seal, open, UnwrapError } from '../../daemon/hsm/aead.js';
import { sealMasterKey, unsealMasterKey, WrongPassphraseError, keyCheckValue, checkValueMatches, generateMasterKey } from '../../daemon/hsm/master-key.js';
import { Lru } from '../../daemon/hsm/lru.js';

const V = JSON.parse(readFileSync(new URL('../vectors/symmetric.json', import.meta.url), 'utf8'));
const KEY = (n: number) => `0d0466b0-e727-4d9c-b35d-${String(n).padStart(12, '0')}`;

function memoryStore() {
  const roots = new Map<string, Buffer>();
  const material = new Map<string, Buffer>();
  let loads = 0;
  const store: HsmStore = {
    ensurePartitionRoot: async (id, w) => {
      if (!roots.has(id)) roots.set(id, w);
      return roots.get(id) as Buffer;
    },
    loadPartitionRoot: async (id) => roots.get(id),
    loadMaterial: async (id, v) => {
      loads++;
      return material.get(`${id}#${v}`);
    },
  };
  return { store, roots, material, loads: () => loads };
}

t.test('passphrase sealing', async (t) => {
  const master = generateMasterKey();
  const blob = sealMasterKey(master, 'pass phrase');
  t.notOk(JSON.stringify(blob).includes(master.toString('base64').slice(0, 12)), 'the sealed blob does not carry the master key');
  t.same(unsealMasterKey(blob, 'pass phrase'), master);
  t.throws(() => unsealMasterKey(blob, 'pass phrasf'), WrongPassphraseError);
  t.ok(checkValueMatches(master, keyCheckValue(master)));
  t.notOk(checkValueMatches(generateMasterKey(), keyCheckValue(master)));
});

t.test('AEAD wrapping binds its context', async (t) => {
  const k = randomBytes(32);
  const w = seal(k, Buffer.from('material'), 'ctx|a|1');
  t.same(open(k, w, 'ctx|a|1'), Buffer.from('material'));
  t.throws(() => open(k, w, 'ctx|a|2'), UnwrapError, 'another version');
  t.throws(() => open(k, w, 'ctx|b|1'), UnwrapError, 'another key');
  t.throws(() => open(randomBytes(32), w, 'ctx|a|1'), UnwrapError);
  t.throws(() => seal(randomBytes(16), Buffer.from('x'), 'c'), TypeError);
});

t.test('material is wrapped per key and version; HMAC keys compute HMAC over their material', async (t) => {
  const master = generateMasterKey();
  const mem = memoryStore();
  const hsm = new SoftwareHsm(master, mem.store, { cacheSize: 2 });
  await hsm.init();
  const root = open(master, mem.roots.get(DEFAULT_PARTITION) as Buffer, `dew/partition-root/v1|${DEFAULT_PARTITION}`);
  const ref = { keyId: KEY(1), version: 1, keySpec: 'AES_256', partitionId: DEFAULT_PARTITION };
  const wrapped = await hsm.generateSymmetric(ref);
  t.equal(wrapped.length, 12 + 32 + 16);
  mem.material.set(`${KEY(1)}#1`, wrapped);
  const blob = await hsm.encrypt(ref, 'data', Buffer.from('hello'));
  t.same(await hsm.decrypt(ref, blob, hsm.parseBlob(blob)), Buffer.from('hello'));
  // The same wrapped bytes stored under another version do not open.
  mem.material.set(`${KEY(1)}#2`, wrapped);
  await t.rejects(hsm.encrypt({ ...ref, version: 2 }, 'data', Buffer.from('x')), UnwrapError);

  // Material whose size does not fit its spec (a corrupted or substituted row) is refused.
  const shortKey = KEY(150);
  mem.material.set(`${shortKey}#1`, seal(root, Buffer.from(V.hmac.rows[0].key, 'hex'), `dew/key-material/v1|${shortKey}|1`));
  await t.rejects(hsm.mac({ keyId: shortKey, version: 1, keySpec: 'HMAC_256', partitionId: DEFAULT_PARTITION }, Buffer.from('x')), KeyMaterialMissingError);
  const macKey = KEY(200);
  const material = randomBytes(32);
  mem.material.set(`${macKey}#1`, seal(root, material, `dew/key-material/v1|${macKey}|1`));
  const mref = { keyId: macKey, version: 1, keySpec: 'HMAC_SM3', partitionId: DEFAULT_PARTITION };
  const mac = await hsm.mac(mref, Buffer.from('abc'));
  const { createHmac } = await import('node:crypto');
  t.same(mac, createHmac('sm3', material).update('abc').digest());
  t.ok(await hsm.verifyMac(mref, Buffer.from('abc'), mac));
  t.notOk(await hsm.verifyMac(mref, Buffer.from('abd'), mac));
});

t.test('the material cache is bounded and evicted entries are wiped', async (t) => {
  const wiped: Buffer[] = [];
  const lru = new Lru<string, Buffer>(2, (b) => {
    b.fill(0);
    wiped.push(b);
  });
  const a = Buffer.from('aaaa');
  lru.set('a', a);
  lru.set('b', Buffer.from('bbbb'));
  lru.get('a');
  lru.set('c', Buffer.from('cccc'));
  t.equal(lru.size, 2);
  t.equal(lru.get('b'), undefined, 'least recently used went first');
  t.same(wiped[0], Buffer.alloc(4), 'and was wiped');
  t.same(lru.get('a'), Buffer.from('aaaa'));
});

t.test('the material cache never evicts the entry being set, and gives used entries a second chance', async (t) => {
  const evicted: string[] = [];
  const one = new Lru<string, string>(1, (v) => evicted.push(v));
  one.set('a', 'A');
  one.get('a');
  one.set('b', 'B');
  t.equal(one.get('b'), 'B', 'the new entry stays');
  t.same(evicted, ['A']);
  const three = new Lru<string, string>(3, (v) => evicted.push(v));
  for (const k of ['x', 'y', 'z']) three.set(k, k.toUpperCase());
  three.get('x');
  three.get('z');
  three.set('w', 'W');
  t.equal(three.get('y'), undefined, 'the one entry not used since it was set goes');
  t.same([three.get('x'), three.get('z'), three.get('w')], ['X', 'Z', 'W']);
});
