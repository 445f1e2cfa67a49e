/**
 * PuTTY private key files, versions 2 and 3 (PuTTY manual, Appendix C): reading with the MAC
 * verified (sshpk reads them but never checks it) and decryption (v2 AES-256-CBC under a SHA-1 key;
 * v3 under Argon2), and writing unencrypted v2 and v3 files with their MAC, which sshpk cannot do.
 */
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { argon2d, argon2i, argon2id } from '@noble/hashes/argon2.js';
import type sshpk from 'sshpk';
import { SSH_KEY_TYPES, keyPart } from './algorithms.js';
import { KeyFormatError } from './key-format-error.js';
import { quotable } from './key-kind.js';
import { strictBase64 } from './key-text.js';
import { modInverse } from './rsa-math.js';
import { SshReader, bytesToBigint, sshMpint, sshString } from './ssh-wire.js';

export type PpkVersion = 2 | 3;

/** C.3: the MAC key of a v2 file is SHA-1 of this text and the passphrase (none when unencrypted). */
const V2_MAC_KEY_TEXT = 'putty-private-key-file-mac-key';
/** PuTTY's own bound on the blob lines (sshpubk.c MAX_KEY_BLOB_LINES). */
const MAX_BLOB_LINES = 262144 / 48;
/**
 * Bounds on a v3 file's Argon2 cost, so a crafted file cannot hold the process for minutes:
 * PuTTYgen's defaults (8 MiB, passes tuned to ~100 ms in C) are far inside them.
 */
export const ARGON2_MAX_MEMORY_KIB = 64 * 1024;
export const ARGON2_MAX_WORK_KIB = 1024 * 1024;

const bad = (what: string) => new KeyFormatError(`the PuTTY key file is malformed (${what})`, 'malformed');

/** A reader over the file's lines in the fixed order Appendix C gives them. */
class Fields {
  private i = 0;
  constructor(private readonly lines: readonly string[]) {}

  field(name: string): string {
    const line = this.lines[this.i++];
    if (line === undefined || !line.startsWith(`${name}:`)) throw bad(`no "${name}" line where it belongs`);
    // "Name: value"; an editor that strips trailing blanks leaves "Comment:" for an empty comment.
    const value = line.slice(name.length + 1);
    return value.startsWith(' ') ? value.slice(1) : value;
  }

  count(name: string): number {
    const v = this.field(name);
    if (!/^\d{1,5}$/.test(v) || Number(v) > MAX_BLOB_LINES) throw bad(`"${name}" is not a line count`);
    return Number(v);
  }

  blob(name: string): Buffer {
    const n = this.count(name);
    const body = this.lines.slice(this.i, this.i + n);
    if (body.length !== n || body.some((l) => l.length > 64 || l.length % 4 !== 0)) throw bad(`the ${name.replace('-Lines', '').toLowerCase()} lines`);
    this.i += n;
    return strictBase64(body.join(''), `the PuTTY key's ${name.replace('-Lines', '').toLowerCase()} data`);
  }

  assertEnd(): void {
    if (this.lines.slice(this.i).some((l) => l.trim() !== '')) throw new KeyFormatError('unexpected text after the PuTTY key', 'trailing');
  }
}

function sha1(...parts: (string | Buffer)[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

function macInput(alg: string, encryption: string, comment: string, pub: Buffer, priv: Buffer): Buffer {
  return Buffer.concat([sshString(alg), sshString(encryption), sshString(comment), sshString(pub), sshString(priv)]);
}

function hexMac(version: PpkVersion, key: Buffer, data: Buffer): Buffer {
  return createHmac(version === 3 ? 'sha256' : 'sha1', key).update(data).digest();
}

interface Argon2Params {
  flavour: string;
  memory: number;
  passes: number;
  parallelism: number;
  salt: Buffer;
}

function readArgon2(f: Fields): Argon2Params {
  const flavour = f.field('Key-Derivation');
  if (!['Argon2id', 'Argon2i', 'Argon2d'].includes(flavour)) throw new KeyFormatError('the PuTTY key uses a key derivation dew does not know', 'unsupported');
  const num = (name: string) => {
    const v = f.field(name);
    if (!/^\d{1,10}$/.test(v) || Number(v) < 1) throw bad(`"${name}"`);
    return Number(v);
  };
  const memory = num('Argon2-Memory');
  const passes = num('Argon2-Passes');
  const parallelism = num('Argon2-Parallelism');
  const saltHex = f.field('Argon2-Salt');
  if (!/^([0-9a-fA-F]{2})+$/.test(saltHex)) throw bad('"Argon2-Salt"');
  if (memory > ARGON2_MAX_MEMORY_KIB || memory * passes > ARGON2_MAX_WORK_KIB || parallelism > 16) {
    throw new KeyFormatError(`the PuTTY key's Argon2 cost is beyond what dew accepts (at most ${ARGON2_MAX_MEMORY_KIB / 1024} MiB, memory x passes at most ${ARGON2_MAX_WORK_KIB / 1024} MiB)`, 'unsupported');
  }
  return { flavour, memory, passes, parallelism, salt: Buffer.from(saltHex, 'hex') };
}

/** C.3 / C.4: the cipher key, IV and MAC key; the caller wipes all three. */
function deriveKeys(version: PpkVersion, passphrase: string, argon?: Argon2Params): { key: Buffer; iv: Buffer; macKey: Buffer } {
  if (version === 2) {
    const pass = Buffer.from(passphrase, 'utf8');
    const key = Buffer.concat([sha1(Buffer.from([0, 0, 0, 0]), pass), sha1(Buffer.from([0, 0, 0, 1]), pass)]).subarray(0, 32);
    const macKey = sha1(V2_MAC_KEY_TEXT, pass);
    pass.fill(0);
    return { key, iv: Buffer.alloc(16), macKey };
  }
  const a = argon!;
  const kdf = a.flavour === 'Argon2id' ? argon2id : a.flavour === 'Argon2i' ? argon2i : argon2d;
  const out = Buffer.from(kdf(passphrase, a.salt, { t: a.passes, m: a.memory, p: a.parallelism, dkLen: 80 }));
  return { key: out.subarray(0, 32), iv: out.subarray(32, 48), macKey: out.subarray(48, 80) };
}

/**
 * The key of a .ppk file as an RFC 4253 private blob (sshpk's "rfc4253" private form; the caller
 * wipes it) and its comment. The MAC is checked before the private data is looked at.
 */
export function readPpk(lines: readonly string[], passphrase?: string): { blob: Buffer; comment: string } {
  const head = /^PuTTY-User-Key-File-(\d+): (.*)$/.exec(lines[0]);
  if (!head) throw bad('its first line');
  if (head[1] === '1') throw new KeyFormatError('PuTTY key format 1 is too old: load the key in PuTTYgen and save it again', 'unsupported');
  if (head[1] !== '2' && head[1] !== '3') throw new KeyFormatError(`PuTTY key format ${head[1].slice(0, 4)} is newer than dew reads (2 and 3)`, 'unsupported');
  const version: PpkVersion = head[1] === '2' ? 2 : 3;
  const alg = head[2];
  if (!SSH_KEY_TYPES.includes(alg)) throw new KeyFormatError(`unsupported key type${quotable(alg) ? ` "${alg}"` : ''} in the PuTTY key (use RSA, Ed25519, ECDSA on the NIST curves, or DSA)`, 'unsupported');
  const f = new Fields(lines.slice(1));
  const encryption = f.field('Encryption');
  if (encryption !== 'none' && encryption !== 'aes256-cbc') throw new KeyFormatError('the PuTTY key uses an encryption dew does not know', 'unsupported');
  const comment = f.field('Comment');
  const pub = f.blob('Public-Lines');
  const argon = version === 3 && encryption !== 'none' ? readArgon2(f) : undefined;
  let priv = f.blob('Private-Lines');
  const macHex = f.field('Private-MAC');
  f.assertEnd();
  if (!new RegExp(`^[0-9a-fA-F]{${version === 3 ? 64 : 40}}$`).test(macHex)) throw bad('"Private-MAC"');

  let macKey: Buffer;
  if (encryption === 'none') {
    macKey = version === 3 ? Buffer.alloc(0) : sha1(V2_MAC_KEY_TEXT);
  } else {
    if (!passphrase) throw new KeyFormatError('the PuTTY key is encrypted; give its passphrase', 'passphrase_needed');
    if (priv.length === 0 || priv.length % 16 !== 0) throw bad('the encrypted data is not whole AES blocks');
    const k = deriveKeys(version, passphrase, argon);
    const decipher = createDecipheriv('aes-256-cbc', k.key, k.iv).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(priv), decipher.final()]);
    priv.fill(0);
    priv = plain;
    macKey = Buffer.from(k.macKey);
    k.key.fill(0);
    k.iv.fill(0);
    k.macKey.fill(0);
  }
  const mac = hexMac(version, macKey, macInput(alg, encryption, comment, pub, priv));
  macKey.fill(0);
  if (!timingSafeEqual(mac, Buffer.from(macHex, 'hex'))) {
    priv.fill(0);
    if (encryption === 'none') throw new KeyFormatError("the PuTTY key file's MAC does not match: the file is damaged or was edited", 'bad_mac');
    throw new KeyFormatError('wrong passphrase for the PuTTY key (or the file is damaged)', 'wrong_passphrase');
  }
  try {
    return { blob: privateBlob(alg, pub, priv, encryption !== 'none'), comment };
  } finally {
    priv.fill(0);
  }
}

/** C.2's per-algorithm private fields, joined to the public blob in the order sshpk's rfc4253 private form wants. */
function privateBlob(alg: string, pub: Buffer, priv: Buffer, padded: boolean): Buffer {
  const pubType = new SshReader(pub, 'the PuTTY public key data').string().toString('latin1');
  if (pubType !== alg) throw new KeyFormatError(`the PuTTY key says it is ${alg} but its public data is ${SSH_KEY_TYPES.includes(pubType) ? pubType : 'of another type'}`, 'malformed');
  const r = new SshReader(priv, 'the PuTTY private key data');
  let out: Buffer;
  switch (alg) {
    case 'ssh-rsa': {
      const pr = new SshReader(pub, 'the PuTTY public key data');
      pr.string();
      const e = pr.mpint();
      const n = pr.mpint();
      const [d, p, q, iqmp] = [r.mpint(), r.mpint(), r.mpint(), r.mpint()];
      out = Buffer.concat([sshString(alg), sshMpint(n), sshMpint(e), sshMpint(d), sshMpint(iqmp), sshMpint(p), sshMpint(q)]);
      break;
    }
    case 'ssh-ed25519': {
      const k = r.string();
      const a = new SshReader(pub, 'the PuTTY public key data');
      a.string();
      const point = a.string();
      if (k.length !== 32) throw bad('the Ed25519 private key is not 32 bytes');
      out = Buffer.concat([pub, sshString(Buffer.concat([k, point]))]);
      break;
    }
    default: // ssh-dss: x; ecdsa-sha2-*: the scalar d
      out = Buffer.concat([pub, sshMpint(r.mpint())]);
  }
  // An encrypted file pads the private data to the cipher block; an unencrypted one has no padding.
  if (padded ? r.remaining >= 16 : r.remaining !== 0) throw bad('bytes after the private key data');
  return out;
}

function base64Lines(b: Buffer): string[] {
  return b.toString('base64').match(/.{1,64}/g) ?? [];
}

/** An unencrypted .ppk of `key` (version 3 unless told 2), with its MAC (C.3 / C.4). */
export function writePpk(key: sshpk.PrivateKey, version: PpkVersion, comment: string): string {
  const pub = key.toPublic().toBuffer('rfc4253');
  const alg = new SshReader(pub, 'the public key').string().toString('latin1');
  let priv: Buffer;
  switch (key.type) {
    case 'rsa': {
      const [d, p, q] = (['d', 'p', 'q'] as const).map((n) => bytesToBigint(keyPart(key, n)));
      priv = Buffer.concat([sshMpint(d), sshMpint(p), sshMpint(q), sshMpint(modInverse(q, p))]);
      break;
    }
    case 'ed25519':
      priv = sshString(Buffer.from(keyPart(key, 'k').subarray(0, 32)));
      break;
    case 'dsa':
      priv = sshMpint(bytesToBigint(keyPart(key, 'x')));
      break;
    case 'ecdsa':
      priv = sshMpint(bytesToBigint(keyPart(key, 'd')));
      break;
    default:
      throw new KeyFormatError('this key type has no PuTTY form', 'no_such_form');
  }
  const line = comment.replace(/[\r\n]+/g, ' ');
  const macKey = version === 3 ? Buffer.alloc(0) : sha1(V2_MAC_KEY_TEXT);
  const mac = hexMac(version, macKey, macInput(alg, 'none', line, pub, priv)).toString('hex');
  const pubLines = base64Lines(pub);
  const privLines = base64Lines(priv);
  priv.fill(0);
  return [
    `PuTTY-User-Key-File-${version}: ${alg}`,
    'Encryption: none',
    `Comment: ${line}`,
    `Public-Lines: ${pubLines.length}`,
    ...pubLines,
    `Private-Lines: ${privLines.length}`,
    ...privLines,
    `Private-MAC: ${mac}`,
    '',
  ].join('\n');
}
