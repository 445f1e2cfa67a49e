/**
 * `dew envelope` against a real daemon: sizes at chunk edges, both algorithms, every tampering case.
 * The executable runs the empty file, one and several chunks of each algorithm, stdin/stdout, one
 * case of each kind of refusal (header, chunk, truncation, appended bytes) and the usage errors; the
 * other sizes and tamperings run the same command in this process (a process start each otherwise).
 */
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHeader } from '../../provider/envelope/envelope-format.js';
import { dew, dewHere, envelopeEnv, type Env, type Run } from './helpers.js';

/** A real `dew` process, or the same command in this process. */
type How = 'process' | 'here';
const run = (how: How, args: string[]): Promise<Run> => (how === 'process' ? dew(e, args) : dewHere(e, args));

const CHUNK = 4096;
let e: Env;
t.before(async () => {
  e = await envelopeEnv(t);
});

let n = 0;
const file = (name: string, data?: Buffer) => {
  const p = join(e.dir, `${++n}-${name}`);
  if (data) writeFileSync(p, data);
  return p;
};

async function encryptFile(plain: Buffer, key = e.aesKey, how: How = 'here'): Promise<Buffer> {
  const inp = file('plain', plain);
  const out = file('sealed');
  const r = await run(how, ['envelope', 'encrypt', '-key-id', key, '-chunk-size', String(CHUNK), inp, out]);
  if (r.code !== 0) throw new Error(`encrypt failed: ${r.stderr}`);
  return readFileSync(out);
}

t.test('round trip at chunk-size edges, AES and SM4, file to file', async (t) => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK - 1, 3 * CHUNK, 3 * CHUNK + 1];
  const asProcess = new Set([0, CHUNK, 3 * CHUNK + 1]);
  for (const [alg, key] of [['AES', e.aesKey], ['SM4', e.sm4Key]] as const) {
    for (const size of sizes) {
      const how: How = asProcess.has(size) ? 'process' : 'here';
      const plain = randomBytes(size);
      const sealed = await encryptFile(plain, key, how);
      const { header, length } = parseHeader(sealed)!;
      t.equal(header.algorithm, alg === 'AES' ? 1 : 2, `${alg} ${size} B: algorithm from the key's spec`);
      t.equal(header.keyId, key, `${alg} ${size} B: the header names the key id`);
      const tag = alg === 'AES' ? 16 : 32;
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      t.equal(sealed.length, length + size + chunks * tag, `${alg} ${size} B: ${chunks} chunk(s), each with its tag`);
      if (size >= 32) t.notOk(sealed.includes(plain.subarray(0, 32)), `${alg} ${size} B: plaintext not in the file`);
      const out = file('opened');
      const r = await run(how, ['envelope', 'decrypt', file('in', sealed), out]);
      t.equal(r.code, 0, `${alg} ${size} B: decrypts (${r.stderr.trim()})`);
      t.same(readFileSync(out), plain, `${alg} ${size} B: same bytes back`);
    }
  }
});

t.test('stdin/stdout with the default chunk size; a fresh data key per file', async (t) => {
  const plain = randomBytes((1 << 20) + 1);
  const enc = await dew(e, ['envelope', 'encrypt', '--key-id', 'env-aes', '-', '-'], plain);
  t.equal(enc.code, 0, enc.stderr);
  const h = parseHeader(enc.stdout)!.header;
  t.equal(h.keyId, e.aesKey, 'an alias resolves to the key id in the header');
  t.equal(h.chunkSize, 1 << 20);
  const again = await dew(e, ['envelope', 'encrypt', '--key-id', 'env-aes', '-', '-'], plain);
  t.notSame(parseHeader(again.stdout)!.header.encryptedDataKey, h.encryptedDataKey, 'each file gets its own data key');
  const dec = await dew(e, ['envelope', 'decrypt', '-', '-'], enc.stdout);
  t.equal(dec.code, 0, dec.stderr);
  t.equal(createHash('sha256').update(dec.stdout).digest('hex'), createHash('sha256').update(plain).digest('hex'));
});

/**
 * Decrypting `sealed` must fail with one clean line, a non-zero exit, and no OUT (nor temp file) left;
 * `how` runs it as a real process (and `alsoPiped` through stdin/stdout too) or in this process.
 */
async function refuses(t: Test, what: string, sealed: Buffer, pattern: RegExp, how: How = 'here', alsoPiped = false) {
  const before = new Set(readdirSync(e.dir));
  const out = join(e.dir, `refused-${++n}`);
  const r = await run(how, ['envelope', 'decrypt', file('tampered', sealed), out]);
  t.not(r.code, 0, `${what}: non-zero exit`);
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `${what}: one line of error (${JSON.stringify(r.stderr)})`);
  t.match(lines[0], /^Error: /, `${what}: an Error line, no stack`);
  t.match(lines[0], pattern, `${what}: says why`);
  t.notOk(existsSync(out), `${what}: OUT not written`);
  const left = readdirSync(e.dir).filter((f) => !before.has(f) && f.includes('.tmp'));
  t.same(left, [], `${what}: no temp file left behind`);
  if (!alsoPiped) return;
  const piped = await dew(e, ['envelope', 'decrypt', '-', '-'], sealed);
  t.not(piped.code, 0, `${what}: non-zero exit on stdout too`);
  t.equal(piped.stderr.trimEnd().split('\n').length, 1, `${what}: one line on stdout too`);
}

t.test('every tampering case is refused', async (t) => {
  const plain = randomBytes(3 * CHUNK + 100);
  const sealed = await encryptFile(plain, e.aesKey, 'process');
  const other = await encryptFile(randomBytes(3 * CHUNK + 100));
  const H = parseHeader(sealed)!.length;
  const H2 = parseHeader(other)!.length;
  const rec = CHUNK + 16;
  const at = (b: Buffer, i: number) => {
    const c = Buffer.from(b);
    c[i] ^= 0x01;
    return c;
  };
  const chunk = (b: Buffer, h: number, i: number) => b.subarray(h + i * rec, h + (i + 1) * rec);
  const failedAuth = /chunk \d+ failed authentication/;

  await refuses(t, 'flipped salt byte in header', at(sealed, 8 + 1 + 4 + 3), failedAuth);
  await refuses(t, 'flipped chunk-size byte in header', at(sealed, 8 + 1 + 3), /chunk|truncated/);
  await refuses(t, 'flipped byte in the encrypted data key', at(sealed, H - 5), /./);
  await refuses(t, 'flipped magic', at(sealed, 0), /not a dew envelope/, 'process');
  await refuses(t, 'flipped byte in chunk 1', at(sealed, H + rec + 17), /chunk 1 failed authentication/, 'process', true);
  await refuses(t, 'flipped byte in the tag of chunk 0', at(sealed, H + CHUNK + 3), /chunk 0 failed authentication/);
  await refuses(t, 'flipped byte in the final chunk', at(sealed, sealed.length - 1), /chunk 3 failed authentication/);
  await refuses(t, 'truncated at a chunk boundary', sealed.subarray(0, H + 2 * rec), /chunk 1 failed authentication/);
  await refuses(t, 'final chunk dropped', sealed.subarray(0, H + 3 * rec), /chunk 2 failed authentication/, 'process', true);
  await refuses(t, 'truncated inside a chunk', sealed.subarray(0, H + rec + 100), failedAuth);
  await refuses(t, 'truncated to the header', sealed.subarray(0, H), /no chunks/);
  await refuses(t, 'truncated inside the header', sealed.subarray(0, H - 3), /header is incomplete/, 'process');
  await refuses(t, 'chunks 0 and 1 swapped', Buffer.concat([sealed.subarray(0, H), chunk(sealed, H, 1), chunk(sealed, H, 0), sealed.subarray(H + 2 * rec)]), /chunk 0 failed authentication/);
  await refuses(t, 'chunk 1 spliced from another file under the same key', Buffer.concat([sealed.subarray(0, H + rec), chunk(other, H2, 1), sealed.subarray(H + 2 * rec)]), /chunk 1 failed authentication/);
  await refuses(t, 'one garbage byte appended', Buffer.concat([sealed, Buffer.from([0])]), /chunk 3 failed authentication/, 'process', true);
  await refuses(t, 'a whole record of garbage appended', Buffer.concat([sealed, randomBytes(rec)]), /chunk 3 failed authentication/);
  await refuses(t, 'empty input', Buffer.alloc(0), /empty input/, 'process');

  const sm4 = await encryptFile(plain, e.sm4Key);
  const Hs = parseHeader(sm4)!.length;
  await refuses(t, 'SM4: flipped byte in chunk 0', at(sm4, Hs + 1), /chunk 0 failed authentication/, 'process');
  await refuses(t, 'SM4: final chunk dropped', sm4.subarray(0, Hs + 3 * (CHUNK + 32)), /chunk 2 failed authentication/);
  await refuses(t, 'SM4: one garbage byte appended', Buffer.concat([sm4, Buffer.from([7])]), /chunk 3 failed authentication/);
});

t.test('usage errors and a missing key', async (t) => {
  const inp = file('plain', Buffer.from('hi'));
  const noKey = await dew(e, ['envelope', 'encrypt', inp, file('o')]);
  t.not(noKey.code, 0);
  t.match(noKey.stderr, /needs -key-id/);
  const unknown = await dew(e, ['envelope', 'encrypt', '-key-id', 'no-such-alias', inp, file('o')]);
  t.not(unknown.code, 0);
  t.notMatch(unknown.stderr, /at .*\.js:\d+/, 'no stack trace');
  const missing = await dew(e, ['envelope', 'decrypt', join(e.dir, 'nope'), file('o')]);
  t.match(missing.stderr, /no such file/);
  const bad = await dew(e, ['envelope', 'encrypt', '-key-id', 'env-aes', '-chunk-size', '10', inp, file('o')]);
  t.match(bad.stderr, /-chunk-size must be/);
});
