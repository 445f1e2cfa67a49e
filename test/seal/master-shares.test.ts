/**
 * The master key's shares (daemon/hsm/master-shares.ts) and their collector: K rebuild the key,
 * K−1 rebuild something that fails the key check value, no share holds a 32-byte run of the key
 * (nor of its hex), and malformed, foreign or repeated shares are refused by name.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { splitMasterKey, decodeShare, combinePoints, schemeProblem, MalformedShareError } from '../../daemon/hsm/master-shares.js';
import { generateMasterKey, keyCheckValue, checkValueMatches } from '../../daemon/hsm/master-key.js';
import { ShareCollector } from '../../daemon/seal/share-collector.js';
import { DewError } from '../../daemon/errors.js';

const scheme = { n: 5, k: 3, set: '0a1b2c3d' };

/** Every k-subset of `items`. */
function subsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

/** True when `hay` holds a run of 32 consecutive bytes of `needle` anywhere (the key, or any 32-byte window of its hex). */
function holdsRun(hay: Buffer, needle: Buffer, run = 32): boolean {
  for (let i = 0; i + run <= needle.length; i++) if (hay.includes(needle.subarray(i, i + run))) return true;
  return false;
}

t.test('any K shares rebuild the key; any K-1 do not, and fail the check value', async (t) => {
  const master = generateMasterKey();
  const kcv = keyCheckValue(master);
  const shares = await splitMasterKey(master, scheme);
  t.equal(shares.length, 5);
  t.equal(new Set(shares).size, 5, 'five different shares');
  for (const s of shares) t.match(s, /^dew1-[A-Za-z0-9_-]{60}$/, 'the text form');
  const points = shares.map((s) => decodeShare(s).point);
  for (const pick of subsets(points, 3)) {
    const rebuilt = await combinePoints(pick);
    t.ok(rebuilt.equals(master), 'three shares rebuild the key');
  }
  for (const pick of subsets(points, 2)) {
    const rebuilt = await combinePoints(pick);
    t.notOk(rebuilt.equals(master), 'two shares rebuild something else');
    t.notOk(checkValueMatches(rebuilt, kcv), 'which fails the key check value');
  }
});

t.test('a share holds no 32-byte run of the key, in bytes or hex', async (t) => {
  let checked = 0;
  for (let round = 0; round < 20; round++) {
    const master = generateMasterKey();
    for (const s of await splitMasterKey(master, { n: 16, k: 2, set: 'ffffffff' })) {
      const text = Buffer.from(s);
      const bytes = Buffer.from(s.slice(5), 'base64url');
      const hex = Buffer.from(master.toString('hex'));
      if (holdsRun(bytes, master) || holdsRun(text, hex) || holdsRun(Buffer.from(bytes.toString('hex')), hex)) t.fail('a share carries the key');
      // Not even half of it in a row.
      if (holdsRun(bytes, master, 16)) t.fail('a share carries 16 bytes of the key in a row');
      checked++;
    }
  }
  t.equal(checked, 320, 'every share of 20 splits into 16 was checked');
});

t.test('the scheme bounds: 2 <= K <= N <= 16', async (t) => {
  t.equal(schemeProblem(5, 3), undefined);
  t.equal(schemeProblem(2, 2), undefined);
  t.equal(schemeProblem(16, 16), undefined);
  t.match(schemeProblem(5, 1), /threshold: at least 2 \(with 1, each share would be the master key itself\)/);
  t.match(schemeProblem(3, 4), /threshold: at most the number of shares/);
  t.match(schemeProblem(17, 3), /shares: an integer from 2 to 16/);
  t.match(schemeProblem(1, 1), /shares/);
  t.match(schemeProblem('5', 3), /shares/);
  await t.rejects(splitMasterKey(generateMasterKey(), { n: 3, k: 1, set: '00000000' }), RangeError);
});

t.test('malformed shares are refused, saying why, never quoting them', async (t) => {
  const [good] = await splitMasterKey(generateMasterKey(), scheme);
  const cases: [unknown, RegExp][] = [
    [42, /a string expected/],
    ['', /does not start with dew1-/],
    ['vault-share', /does not start with dew1-/],
    ['dew1-abc$', /characters other than base64url/],
    [good.slice(0, -4), /bytes expected/],
    [good + 'AAAA', /bytes expected/],
  ];
  // One character changed in the middle: the check digits catch it.
  const mid = 5 + 20;
  const typo = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
  cases.push([typo, /check digits do not match/]);
  for (const [text, why] of cases) {
    const err = t.throws(() => decodeShare(text), MalformedShareError) as unknown as Error;
    t.match(err.message, why);
    if (typeof text === 'string' && text.length > 10) t.notOk(err.message.includes(text.slice(5, 25)), 'the message does not quote the share');
  }
  t.ok(decodeShare(`  ${good}\n`), 'white space around a share is fine');
});

t.test('the collector refuses a repeated share and one of another split; reset forgets', async (t) => {
  const master = generateMasterKey();
  const shares = await splitMasterKey(master, scheme);
  const other = await splitMasterKey(master, { ...scheme, set: 'deadbeef' });
  const c = new ShareCollector(scheme);
  c.add(shares[0]);
  const again = t.throws(() => c.add(shares[0]), DewError) as unknown as DewError;
  t.equal(again.code, 'DEW.1003');
  t.match(again.message, /Share 1 was already given \(1 of 3 shares given\)/);
  t.equal((t.throws(() => c.add(other[1])) as unknown as DewError).code, 'DEW.1004', 'a share of another split');
  t.equal((t.throws(() => c.add('dew1-xx')) as unknown as DewError).code, 'DEW.1002', 'a malformed share');
  t.equal(c.given, 1, 'refusals count nothing');
  c.add(shares[3]);
  c.add(shares[4]);
  t.ok(c.complete);
  t.ok((await combinePoints(c.taken())).equals(master));
  const taken = c.taken();
  c.reset();
  t.equal(c.given, 0);
  t.ok(taken.every((p) => p.every((b) => b === 0)), 'reset wipes the points');
});

t.test('a tampered share with a fixed-up check digits passes decoding but rebuilds a wrong key', async (t) => {
  const master = generateMasterKey();
  const shares = await splitMasterKey(master, scheme);
  const bytes = Buffer.from(shares[0].slice(5), 'base64url');
  bytes[8] ^= 1;
  createHash('sha256').update(bytes.subarray(0, 41)).digest().subarray(0, 4).copy(bytes, 41);
  const forged = 'dew1-' + bytes.toString('base64url');
  const rebuilt = await combinePoints([forged, shares[1], shares[2]].map((s) => decodeShare(s).point));
  t.notOk(checkValueMatches(rebuilt, keyCheckValue(master)), 'the key check value catches it');
});
