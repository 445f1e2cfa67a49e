/**
 * The key-format library against the real tools, both ways, for every key type: ssh-keygen's and
 * puttygen's keys parse with ssh-keygen's fingerprints; our exports load in ssh-keygen, puttygen and
 * openssl as the same key; bad, weak and misplaced keys are refused with a KeyFormatError that
 * quotes none of the key.
 */
import t, { type Test } from 'tap';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import {
  GENERATED_ALGORITHMS,
  KeyFormatError,
  PRIVATE_KEY_FORMATS,
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  matchesPublicKey,
  parsePrivateKey,
  parsePublicKey,
  rsaPkcs1v15Decrypt,
} from '../../daemon/kps/key-formats.js';
import { sshMpint, sshString } from '../../daemon/kps/ssh-wire.js';
import { KEY_TYPES, blobOf, tools, type Tools } from './tools.js';

/** Asserts `fn` throws a KeyFormatError with `code`, and that its message quotes no line of `input`. */
function refuses(t: Test, fn: () => unknown, code: string, input: string, what: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof KeyFormatError, `${what}: a KeyFormatError`);
  if (!(err instanceof KeyFormatError)) return;
  t.equal(err.code, code, `${what}: ${err.message}`);
  t.notOk(err.message.includes('\n'), `${what}: one line`);
  const material = input.split(/\s+/).filter((w) => w.length >= 16 && /^[A-Za-z0-9+/=]+$/.test(w));
  t.notOk(material.some((w) => err.message.includes(w)), `${what}: no key material in the message`);
}

/** The same .ppk with one base64 character of its first private line changed to another valid one. */
function flipPrivateLine(ppk: string): string {
  const lines = ppk.split('\n');
  const i = lines.findIndex((l) => l.startsWith('Private-Lines:')) + 1;
  const l = lines[i];
  lines[i] = l.slice(0, 8) + (l[8] === 'A' ? 'B' : 'A') + l.slice(9);
  return lines.join('\n');
}

for (const k of KEY_TYPES) {
  t.test(`${k.name}: ssh-keygen, puttygen and openssl agree with us both ways`, async (t) => {
    const T: Tools = tools(t, `kps-${k.name}`);
    const comment = `user@${k.name}`;
    T.run('ssh-keygen', ['-q', '-t', k.t, '-b', String(k.bits), '-N', '', '-C', comment, '-f', T.path('id')]);
    const pubLine = T.read('id.pub').trim();
    const sha = T.keygenL('id.pub');
    const md5 = T.keygenL('id.pub', true);

    const info = parsePublicKey(T.read('id.pub'));
    t.equal(info.fingerprint, sha.hash, 'SHA256 fingerprint as ssh-keygen -lf');
    t.equal(info.fingerprintMd5, md5.hash, 'MD5 fingerprint as ssh-keygen -E md5 -lf');
    t.equal(info.bits, sha.bits, 'bits as ssh-keygen -l');
    t.equal(info.algorithm, k.algorithm);
    t.equal(info.openssh, pubLine, 'the one-line form, comment kept');

    // ssh-keygen's private key in its three containers (ed25519 stays in OpenSSH's own format).
    for (const m of ['openssh', 'PEM', 'PKCS8']) {
      const name = `id.${m}`;
      T.write(name, T.read('id'));
      if (m !== 'openssh') T.run('ssh-keygen', ['-q', '-p', '-P', '', '-N', '', '-m', m, '-f', T.path(name)]);
      const p = parsePrivateKey(T.read(name));
      t.equal(p.public.fingerprint, sha.hash, `ssh-keygen -m ${m} private key (${T.read(name).split('\n')[0]}) parses`);
      t.equal(blobOf(p.public.openssh), blobOf(pubLine));
    }

    const pair = parsePrivateKey(T.read('id'));
    t.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/, 'the canonical form is an OpenSSH private key');
    t.equal(pair.public.openssh, pubLine, 'the private key file comment is kept');
    T.write('canonical', pair.privateKey);
    t.same(T.keygenL('canonical'), sha, 'ssh-keygen reads the canonical form, comment and all');
    t.ok(matchesPublicKey(pair.privateKey, pubLine));
    t.ok(matchesPublicKey(pair.privateKey, `${blobOf(pubLine)} another comment`), 'comments do not matter');

    // Our private exports, loaded by the real tools.
    for (const format of ['openssh', 'pkcs8', 'pkcs1'] as const) {
      if (k.t === 'ed25519' && format === 'pkcs1') {
        refuses(t, () => exportPrivateKey(pair.privateKey, 'pkcs1'), 'no_such_form', pair.privateKey, 'Ed25519 as PKCS#1');
        continue;
      }
      const text = exportPrivateKey(pair.privateKey, format);
      const file = T.write(`ours.${format}`, text);
      // OpenSSH 9.2 reads no Ed25519 PKCS#8; OpenSSL derives its public key instead.
      const derived = k.t === 'ed25519' && format === 'pkcs8' ? parsePublicKey(T.run('openssl', ['pkey', '-in', file, '-pubout'])).openssh : T.run('ssh-keygen', ['-y', '-f', file]);
      t.equal(blobOf(derived), blobOf(pubLine), `our ${format} (${text.split('\n')[0]}) gives the same public key`);
      t.equal(parsePrivateKey(text).public.fingerprint, sha.hash, `our ${format} parses back`);
    }
    for (const format of ['ppk', 'ppk2'] as const) {
      const text = exportPrivateKey(pair.privateKey, format);
      t.match(text, new RegExp(`^PuTTY-User-Key-File-${format === 'ppk' ? 3 : 2}: `), `${format} header`);
      const file = T.write(`ours.${format}`, text);
      t.equal(T.run('puttygen', [file, '-O', 'public-openssh']).trim(), pubLine, `puttygen loads our ${format}: same key and comment`);
      t.equal(parsePrivateKey(text).public.openssh, pubLine, `our ${format} parses back`);
    }
    t.equal(T.run('puttygen', [T.write('renamed.ppk', exportPrivateKey(pair.privateKey, 'ppk', 'a new name')), '-O', 'public-openssh']).trim(), `${blobOf(pubLine)} a new name`, 'an export comment replaces the stored one');

    // puttygen's own files.
    T.run('puttygen', [T.path('id'), '-O', 'private', '-o', T.path('putty3.ppk')]);
    T.run('puttygen', [T.path('id'), '-O', 'private', '-o', T.path('putty2.ppk'), '--ppk-param', 'version=2']);
    for (const name of ['putty3.ppk', 'putty2.ppk']) {
      const p = parsePrivateKey(T.read(name));
      t.equal(p.public.openssh, pubLine, `puttygen's ${name} parses, comment kept`);
      refuses(t, () => parsePrivateKey(flipPrivateLine(T.read(name))), 'bad_mac', T.read(name), `${name} with one private byte changed`);
      refuses(t, () => parsePrivateKey(T.read(name).replace(`Comment: ${comment}`, 'Comment: edited')), 'bad_mac', T.read(name), `${name} with its comment edited`);
    }
    T.run('puttygen', [T.path('id'), '-O', 'public', '-o', T.path('putty.pub')]);
    t.equal(parsePublicKey(T.read('putty.pub')).openssh, pubLine, "PuTTYgen's \"Save public key\" (RFC 4716) parses, comment kept");

    // RFC 4716 from ssh-keygen -e, SPKI PEM from openssl.
    const rfc = parsePublicKey(T.run('ssh-keygen', ['-e', '-f', T.path('id.pub')]));
    t.equal(rfc.fingerprint, sha.hash, 'ssh-keygen -e (RFC 4716) parses');
    t.match(rfc.openssh, /converted by/, 'its Comment header is the comment');
    const spkiSource = k.t === 'ed25519' ? T.path('ours.pkcs8') : T.path('id.PKCS8');
    t.equal(parsePublicKey(T.run('openssl', ['pkey', '-in', spkiSource, '-pubout'])).fingerprint, sha.hash, 'SPKI PEM from openssl parses');
    if (k.t === 'rsa') t.equal(parsePublicKey(T.run('ssh-keygen', ['-e', '-m', 'PEM', '-f', T.path('id.pub')])).fingerprint, sha.hash, 'PKCS#1 "RSA PUBLIC KEY" parses');

    // Our public exports, loaded by the real tools.
    t.equal(exportPublicKey(info, 'openssh'), pubLine + '\n');
    const ourRfc = T.write('ours.rfc', exportPublicKey(info, 'rfc4716'));
    t.equal(blobOf(T.run('ssh-keygen', ['-i', '-f', ourRfc])), blobOf(pubLine), 'ssh-keygen -i reads our RFC 4716');
    t.equal(T.run('puttygen', [ourRfc, '-O', 'public-openssh']).trim(), pubLine, 'puttygen reads our RFC 4716, comment and all');
    const ourPem = T.write('ours.pem', exportPublicKey(info, 'pem'));
    t.equal(parsePublicKey(T.run('openssl', ['pkey', '-pubin', '-in', ourPem, '-pubout'])).fingerprint, sha.hash, 'openssl reads our SPKI PEM');
    if (k.t !== 'ed25519') t.equal(blobOf(T.run('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', ourPem])), blobOf(pubLine), 'ssh-keygen -i -m PKCS8 reads our SPKI PEM');
  });
}

t.test('encrypted private keys open with their passphrase, and say so without it', async (t) => {
  const T = tools(t, 'kps-encrypted');
  T.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-C', 'enc', '-f', T.path('ed')]);
  const fp = T.keygenL('ed.pub').hash;
  t.equal(parsePrivateKey(T.read('ed'), 'open sesame').public.fingerprint, fp, 'OpenSSH (bcrypt, aes256-ctr)');
  refuses(t, () => parsePrivateKey(T.read('ed')), 'passphrase_needed', T.read('ed'), 'OpenSSH without a passphrase');
  refuses(t, () => parsePrivateKey(T.read('ed'), 'wrong'), 'wrong_passphrase', T.read('ed'), 'OpenSSH with a wrong passphrase');
  // A crafted file cannot make us run bcrypt for minutes: the rounds are bounded before the KDF runs.
  const container = Buffer.from(T.read('ed').split('\n').slice(1, -2).join(''), 'base64');
  let at = 15;
  for (let i = 0; i < 2; i++) at += 4 + container.readUInt32BE(at); // cipher, kdf name
  at += 4; // the kdf options' length
  at += 4 + container.readUInt32BE(at); // salt
  t.equal(container.readUInt32BE(at), 16, 'ssh-keygen wrote 16 rounds');
  container.writeUInt32BE(1_000_000, at);
  const costly = `-----BEGIN OPENSSH PRIVATE KEY-----\n${container.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  refuses(t, () => parsePrivateKey(costly, 'open sesame'), 'unsupported', costly, 'an OpenSSH key of a million bcrypt rounds');
  const plain = exportPrivateKey(parsePrivateKey(T.read('ed'), 'open sesame').privateKey, 'openssh');
  t.notMatch(Buffer.from(plain.split('\n').slice(1, -2).join(''), 'base64').toString('latin1'), /aes256|bcrypt/, 'the canonical form is not encrypted');

  T.write('pass', 'open sesame');
  T.write('plain', plain);
  T.run('puttygen', [T.path('plain'), '-O', 'private', '-o', T.path('enc3.ppk'), '--new-passphrase', T.path('pass')]);
  T.run('puttygen', [T.path('plain'), '-O', 'private', '-o', T.path('enc2.ppk'), '--new-passphrase', T.path('pass'), '--ppk-param', 'version=2']);
  for (const name of ['enc3.ppk', 'enc2.ppk']) {
    t.equal(parsePrivateKey(T.read(name), 'open sesame').public.fingerprint, fp, `${name} (${T.read(name).includes('Argon2') ? 'Argon2' : 'SHA-1 key'}, AES-256-CBC)`);
    refuses(t, () => parsePrivateKey(T.read(name)), 'passphrase_needed', T.read(name), `${name} without a passphrase`);
    refuses(t, () => parsePrivateKey(T.read(name), 'wrong'), 'wrong_passphrase', T.read(name), `${name} with a wrong passphrase`);
  }
  const heavy = T.read('enc3.ppk').replace(/^Argon2-Memory: \d+$/m, 'Argon2-Memory: 4194304');
  refuses(t, () => parsePrivateKey(heavy, 'open sesame'), 'unsupported', heavy, 'a .ppk asking Argon2 for 4 GiB');

  T.run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-m', 'PEM', '-f', T.path('rsa')]);
  const rsaFp = T.keygenL('rsa.pub').hash;
  const pkcs8 = T.run('openssl', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', T.path('rsa'), '-passout', 'pass:pem pass']);
  t.match(pkcs8, /BEGIN ENCRYPTED PRIVATE KEY/);
  t.equal(parsePrivateKey(pkcs8, 'pem pass').public.fingerprint, rsaFp, 'encrypted PKCS#8 (PBES2)');
  refuses(t, () => parsePrivateKey(pkcs8), 'passphrase_needed', pkcs8, 'encrypted PKCS#8 without a passphrase');
  refuses(t, () => parsePrivateKey(pkcs8, 'wrong'), 'wrong_passphrase', pkcs8, 'encrypted PKCS#8 with a wrong passphrase');
  const legacy = T.run('openssl', ['rsa', '-traditional', '-aes256', '-in', T.path('rsa'), '-passout', 'pass:pem pass']);
  t.match(legacy, /Proc-Type: 4,ENCRYPTED/);
  t.equal(parsePrivateKey(legacy, 'pem pass').public.fingerprint, rsaFp, 'legacy encrypted PEM (Proc-Type, DEK-Info)');
  refuses(t, () => parsePrivateKey(legacy), 'passphrase_needed', legacy, 'legacy encrypted PEM without a passphrase');
});

t.test('weak, malformed, misplaced and extra keys are refused', async (t) => {
  const T = tools(t, 'kps-refuse');
  T.run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', T.path('rsa1024')]);
  refuses(t, () => parsePublicKey(T.read('rsa1024.pub')), 'weak', T.read('rsa1024.pub'), 'RSA 1024 public key');
  refuses(t, () => parsePrivateKey(T.read('rsa1024')), 'weak', T.read('rsa1024'), 'RSA 1024 private key');
  // Sizes no tool here makes quickly, as blobs: the size rules come before any other check.
  const rsa16400 = Buffer.concat([sshString('ssh-rsa'), sshMpint(65537n), sshMpint((1n << 16399n) + 1n)]).toString('base64');
  refuses(t, () => parsePublicKey(`ssh-rsa ${rsa16400}`), 'unsupported', rsa16400, 'RSA over 16384 bits');
  const dsa2048 = Buffer.concat([sshString('ssh-dss'), sshMpint((1n << 2047n) + 1n), sshMpint((1n << 255n) + 1n), sshMpint(2n), sshMpint(5n)]).toString('base64');
  refuses(t, () => parsePublicKey(`ssh-dss ${dsa2048}`), 'unsupported', dsa2048, 'DSA of 2048 bits');
  const dsa512 = Buffer.concat([sshString('ssh-dss'), sshMpint((1n << 511n) + 1n), sshMpint((1n << 159n) + 1n), sshMpint(2n), sshMpint(5n)]).toString('base64');
  refuses(t, () => parsePublicKey(`ssh-dss ${dsa512}`), 'weak', dsa512, 'DSA of 512 bits');
  T.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me', '-f', T.path('ed')]);
  T.run('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-f', T.path('ec')]);
  const ed = T.read('ed.pub').trim();
  const [type, b64] = ed.split(' ');

  refuses(t, () => parsePublicKey(''), 'empty', '', 'empty input');
  refuses(t, () => parsePublicKey(' \r\n\t\n'), 'empty', '', 'blank input');
  refuses(t, () => parsePublicKey(`${type} ${b64.slice(0, 30)}*${b64.slice(31)} me`), 'malformed', ed, 'a non-base64 character');
  refuses(t, () => parsePublicKey(`${type} ${b64.slice(0, -1)} me`), 'malformed', ed, 'base64 cut short');
  refuses(t, () => parsePublicKey(`${type} ${b64.slice(0, 44)}`), 'malformed', ed, 'a truncated blob');
  const padded = Buffer.concat([Buffer.from(b64, 'base64'), Buffer.alloc(4)]).toString('base64');
  refuses(t, () => parsePublicKey(`${type} ${padded}`), 'trailing', ed, 'bytes after the blob');
  refuses(t, () => parsePublicKey(`${ed}\nand then some`), 'trailing', ed, 'a line after the key');
  refuses(t, () => parsePublicKey(`${ed}\n${T.read('ed')}`), 'multiple', ed, 'a public key and then a private one');
  refuses(t, () => parsePublicKey(`ssh-rsa ${b64}`), 'malformed', ed, 'the blob is not the type named outside');
  const ec = T.read('ec.pub').trim();
  refuses(t, () => parsePublicKey(ec.replace('ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384')), 'malformed', ec, 'an ECDSA curve mismatch');
  refuses(t, () => parsePublicKey(`${ed}\n${ec}`), 'multiple', ed, 'two keys on two lines');
  refuses(t, () => parsePublicKey(`${ed} ${ec}`), 'multiple', ed, 'two keys on one line');
  refuses(t, () => parsePublicKey(`no-pty,from="10.0.0.1" ${ed}`), 'malformed', ed, 'authorized_keys options');
  refuses(t, () => parsePublicKey(`ssh-ed25519-cert-v01@openssh.com ${b64}`), 'unsupported', ed, 'a certificate');
  refuses(t, () => parsePublicKey('ssh-foo AAAAB3NzaC1yc2E='), 'unsupported', '', 'an unknown type');

  const pem = exportPublicKey(parsePublicKey(ec), 'pem');
  refuses(t, () => parsePublicKey(`${pem}garbage`), 'trailing', pem, 'text after a PEM key');
  refuses(t, () => parsePublicKey(`garbage\n${pem}`), 'malformed', pem, 'text before a PEM key');
  refuses(t, () => parsePublicKey(pem + pem), 'multiple', pem, 'two PEM keys');
  const der = Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64');
  const longer = `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([der, Buffer.from([0])]).toString('base64')}\n-----END PUBLIC KEY-----\n`;
  refuses(t, () => parsePublicKey(longer), 'trailing', longer, 'DER with a byte after its end');
  refuses(t, () => parsePublicKey(pem.replace('-----END PUBLIC KEY-----', '')), 'malformed', pem, 'a PEM key without its END line');
  const offCurve = Buffer.from(der);
  offCurve[offCurve.length - 1] ^= 1;
  refuses(t, () => parsePublicKey(`-----BEGIN PUBLIC KEY-----\n${offCurve.toString('base64')}\n-----END PUBLIC KEY-----\n`), 'malformed', pem, 'an EC point off its curve');
  const rfc = exportPublicKey(parsePublicKey(ed), 'rfc4716');
  refuses(t, () => parsePublicKey(`${rfc}${ed}`), 'multiple', rfc, 'an RFC 4716 key and a one-line key');
  refuses(t, () => parsePublicKey(rfc.replace(/\n---- END.*\n$/, '\n')), 'malformed', rfc, 'RFC 4716 without its END line');

  for (const [name, text] of [['OpenSSH', T.read('ed')], ['PKCS#8', exportPrivateKey(parsePrivateKey(T.read('ec')).privateKey, 'pkcs8')], ['PuTTY', exportPrivateKey(parsePrivateKey(T.read('ed')).privateKey, 'ppk')]]) {
    refuses(t, () => parsePublicKey(text), 'private_given', text, `an ${name} private key where a public one belongs`);
  }
  refuses(t, () => parsePrivateKey(ed), 'public_given', ed, 'a one-line public key where a private one belongs');
  refuses(t, () => parsePrivateKey(rfc), 'public_given', rfc, 'an RFC 4716 public key where a private one belongs');
  refuses(t, () => parsePrivateKey(pem), 'public_given', pem, 'a PEM public key where a private one belongs');
  refuses(t, () => parsePrivateKey(T.read('ed') + T.read('ec')), 'multiple', T.read('ed'), 'two private keys');
  refuses(t, () => parsePrivateKey(`${T.read('ed')}trailing words`), 'trailing', T.read('ed'), 'text after a private key');
  refuses(t, () => parsePrivateKey(''), 'empty', '', 'empty private input');
});

t.test('a private key that does not belong to the public key stored with it is refused', async (t) => {
  const T = tools(t, 'kps-mismatch');
  T.run('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-f', T.path('a')]);
  T.run('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-f', T.path('b')]);
  const a = parsePrivateKey(T.read('a'));
  const b = parsePrivateKey(T.read('b'));
  t.notOk(matchesPublicKey(a.privateKey, b.public.openssh), 'another key of the same type does not match');
  // A .ppk with b's public lines and a's private lines, given a correct MAC: only the pairing is wrong.
  const ppkA = exportPrivateKey(a.privateKey, 'ppk2').split('\n');
  const ppkB = exportPrivateKey(b.privateKey, 'ppk2').split('\n');
  const pubStart = ppkA.findIndex((l) => l.startsWith('Public-Lines:'));
  const privStart = ppkA.findIndex((l) => l.startsWith('Private-Lines:'));
  const spliced = [...ppkA.slice(0, pubStart), ...ppkB.slice(pubStart, privStart), ...ppkA.slice(privStart)];
  const { createHash, createHmac } = await import('node:crypto');
  const pub = Buffer.from(spliced.slice(pubStart + 1, privStart).join(''), 'base64');
  const privLines = Number(spliced[privStart].split(': ')[1]);
  const priv = Buffer.from(spliced.slice(privStart + 1, privStart + 1 + privLines).join(''), 'base64');
  const str = (b: Buffer | string) => {
    const v = Buffer.from(b);
    const l = Buffer.alloc(4);
    l.writeUInt32BE(v.length);
    return Buffer.concat([l, v]);
  };
  const mac = createHmac('sha1', createHash('sha1').update('putty-private-key-file-mac-key').digest())
    .update(Buffer.concat([str('ecdsa-sha2-nistp256'), str('none'), str(ppkA[2].slice('Comment: '.length)), str(pub), str(priv)]))
    .digest('hex');
  const forged = spliced.map((l) => (l.startsWith('Private-MAC:') ? `Private-MAC: ${mac}` : l)).join('\n');
  refuses(t, () => parsePrivateKey(forged), 'inconsistent', forged, 'a .ppk whose halves are of two keys');
});

t.test('rsaPkcs1v15Decrypt opens what openssl pkeyutl -encrypt seals, and nothing else', async (t) => {
  const T = tools(t, 'kps-decrypt');
  T.run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', T.path('rsa')]);
  const pair = parsePrivateKey(T.read('rsa'));
  const spki = T.write('rsa.spki', exportPublicKey(pair.public, 'pem'));
  const password = 'Pa$$w0rd-for-Administrator';
  const ct = T.runBytes('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', spki], password);
  t.equal(ct.length, 256);
  t.equal(rsaPkcs1v15Decrypt(pair.privateKey, ct).toString(), password, 'the plaintext back');
  const tampered = Buffer.from(ct);
  tampered[17] ^= 0x40;
  refuses(t, () => rsaPkcs1v15Decrypt(pair.privateKey, tampered), 'decrypt', '', 'a tampered ciphertext');
  refuses(t, () => rsaPkcs1v15Decrypt(pair.privateKey, ct.subarray(1)), 'decrypt', '', 'a ciphertext of the wrong length');

  // RFC 8017 §7.2.2 step 3 case by case, through raw RSA so the padding is exactly ours to choose.
  const pubKey = { key: T.read('rsa.spki'), padding: constants.RSA_NO_PADDING };
  const block = (...parts: Buffer[]) => publicEncrypt(pubKey, Buffer.concat(parts));
  const bytes = (...b: number[]) => Buffer.from(b);
  const ps = (n: number) => Buffer.alloc(n, 0x5a);
  const decrypt = (c: Buffer) => rsaPkcs1v15Decrypt(pair.privateKey, c);
  const m16 = randomBytes(16);
  const m245 = Buffer.alloc(245, 0x01);
  t.same(decrypt(block(bytes(0, 2), ps(237), bytes(0), m16)), m16, 'a well-formed block');
  t.same(decrypt(block(bytes(0, 2), ps(8), bytes(0), m245)), m245, 'eight padding bytes are enough');
  t.equal(decrypt(block(bytes(0, 2), ps(253), bytes(0))).length, 0, 'an empty message');
  refuses(t, () => decrypt(block(bytes(0, 2), ps(7), bytes(0), Buffer.alloc(246, 1))), 'decrypt', '', 'seven padding bytes');
  refuses(t, () => decrypt(block(bytes(0, 2), ps(254))), 'decrypt', '', 'no separator');
  refuses(t, () => decrypt(block(bytes(0, 1), Buffer.alloc(237, 0xff), bytes(0), m16)), 'decrypt', '', 'block type 1 (a signature block)');
  refuses(t, () => decrypt(block(bytes(1, 2), ps(237), bytes(0), m16)), 'decrypt', '', 'a first byte that is not zero');
  T.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', T.path('ed')]);
  refuses(t, () => rsaPkcs1v15Decrypt(parsePrivateKey(T.read('ed')).privateKey, ct), 'unsupported', '', 'an Ed25519 key pair');
});

t.test('generateKeyPair makes all seven algorithms as ssh-keygen sees them', async (t) => {
  const T = tools(t, 'kps-generate');
  let ticked = false;
  const tick = setTimeout(() => (ticked = true), 0);
  t.teardown(() => clearTimeout(tick));
  const pending = GENERATED_ALGORITHMS.map((alg) => generateKeyPair(alg, `made ${alg}`));
  const made = await Promise.all(pending);
  t.ok(ticked, 'timers ran while RSA keys were generated (the event loop was free)');
  const want: Record<string, { type: string; bits: number }> = {
    SSH_RSA_2048: { type: 'RSA', bits: 2048 },
    SSH_RSA_3072: { type: 'RSA', bits: 3072 },
    SSH_RSA_4096: { type: 'RSA', bits: 4096 },
    SSH_ED25519: { type: 'ED25519', bits: 256 },
    ECDSA_NISTP256: { type: 'ECDSA', bits: 256 },
    ECDSA_NISTP384: { type: 'ECDSA', bits: 384 },
    ECDSA_NISTP521: { type: 'ECDSA', bits: 521 },
  };
  GENERATED_ALGORITHMS.forEach((alg, i) => {
    const g = made[i];
    T.write(alg, g.privateKey);
    const l = T.keygenL(alg);
    t.same({ type: l.type, bits: l.bits }, want[alg], `${alg}: ssh-keygen -l agrees on type and bits`);
    t.equal(l.hash, g.public.fingerprint, `${alg}: same fingerprint`);
    t.equal(l.comment, `made ${alg}`, `${alg}: the comment is in the private key`);
    t.equal(g.public.algorithm, alg);
    t.equal(g.public.bits, want[alg].bits);
    t.equal(blobOf(T.run('ssh-keygen', ['-y', '-f', T.path(alg)])), blobOf(g.public.openssh), `${alg}: ssh-keygen -y derives our public key`);
    t.ok(matchesPublicKey(g.privateKey, g.public.openssh));
  });
  t.equal(made.filter((g, i) => made.findIndex((h) => h.public.fingerprint === g.public.fingerprint) !== i).length, 0, 'every key is new');
  t.same(PRIVATE_KEY_FORMATS, ['openssh', 'pkcs8', 'pkcs1', 'ppk', 'ppk2']);
  await t.rejects(generateKeyPair('SSH_RSA_1024' as never), { name: 'KeyFormatError', code: 'unsupported' });
});
