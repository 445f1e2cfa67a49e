/**
 * Private keys: reading every form users bring (OpenSSH, PKCS#8, PKCS#1, SEC1, DSA PEM, PuTTY .ppk),
 * proving the private half belongs to the public half, and the canonical form the service stores
 * (an unencrypted OpenSSH private key, which holds every key type and its comment) with its exports.
 */
import { createPrivateKey, createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import sshpk from 'sshpk';
import { keyPart } from './algorithms.js';
import { KeyFormatError } from './key-format-error.js';
import { keyKind, quotable } from './key-kind.js';
import { armouredBlocks, assertOneDerSequence, isArmourBegin, keyLines, pemBody, pemHeader, toPem, type ArmouredBlock } from './key-text.js';
import { readPpk, writePpk } from './ppk.js';
import { normaliseComment, nodePublicKey, parsePublicKey, publicInfo, sshpkFromNodePublic, type PublicKeyInfo } from './public-key.js';
import { rsaPrivateValues, type RsaPrivateValues } from './rsa-math.js';
import { SshReader, bigintToBytes, bytesToBigint, toBase64url } from './ssh-wire.js';

export type PrivateKeyFormat = 'openssh' | 'pkcs8' | 'pkcs1' | 'ppk' | 'ppk2';
export const PRIVATE_KEY_FORMATS: readonly PrivateKeyFormat[] = Object.freeze(['openssh', 'pkcs8', 'pkcs1', 'ppk', 'ppk2'] as const);

/** A private key checked whole: sshpk's and OpenSSL's views of it, its public key and comment. */
export interface LoadedKey {
  readonly ssh: sshpk.PrivateKey;
  readonly node: KeyObject;
  readonly publicKey: sshpk.Key;
  readonly comment?: string;
}

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
/** The ciphers sshpk decrypts; keys under AES-GCM or chacha20-poly1305 (ssh-keygen -Z) are refused with a hint. */
const OPENSSH_CIPHERS = ['none', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'];
/** ssh-keygen's default is 16 rounds (-a); each costs ~17 ms here. The bound keeps a crafted file from holding the process. */
export const BCRYPT_MAX_ROUNDS = 512;
const PEM_DER_TYPE: Readonly<Record<string, 'pkcs8' | 'pkcs1' | 'sec1'>> = Object.freeze({ 'PRIVATE KEY': 'pkcs8', 'ENCRYPTED PRIVATE KEY': 'pkcs8', 'RSA PRIVATE KEY': 'pkcs1', 'EC PRIVATE KEY': 'sec1' });

function minimal(n: bigint): string {
  return toBase64url(bigintToBytes(n, Math.max(1, Math.ceil(n.toString(16).length / 2))));
}

function rsaNode(v: RsaPrivateValues): KeyObject {
  const jwk: JsonWebKey = { kty: 'RSA', n: minimal(v.n), e: minimal(v.e), d: minimal(v.d), p: minimal(v.p), q: minimal(v.q), dp: minimal(v.dp), dq: minimal(v.dq), qi: minimal(v.qi) };
  return createPrivateKey({ key: jwk, format: 'jwk' });
}

function fromB64url(s: string | undefined): bigint {
  return bytesToBigint(Buffer.from(s ?? '', 'base64url'));
}

/** OpenSSL's view of an sshpk private key (RSA rebuilt from checked values). */
function toNodePrivate(k: sshpk.PrivateKey): KeyObject {
  try {
    switch (k.type) {
      case 'rsa': {
        const [n, e, d, p, q] = (['n', 'e', 'd', 'p', 'q'] as const).map((name) => bytesToBigint(keyPart(k, name)));
        return rsaNode(rsaPrivateValues(n, e, d, p, q));
      }
      case 'ed25519':
        return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: toBase64url(keyPart(k, 'k').subarray(0, 32)), x: toBase64url(keyPart(k, 'A')) }, format: 'jwk' });
      default:
        return createPrivateKey({ key: k.toString('pkcs8'), format: 'pem' });
    }
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError("the private key's values are invalid", 'malformed');
  }
}

const PCT_MESSAGE = Buffer.from('dew kps pairwise consistency test');

/**
 * Accepts `node` as a key pair: its public key meets the rules, equals the one the file stated
 * (when it stated one), and a signature by the private key verifies under it (FIPS 140-3's
 * pairwise consistency test; for RSA the arithmetic check in rsaPrivateValues is exact).
 */
function finish(node: KeyObject, comment: string | undefined, stated?: sshpk.Key): LoadedKey {
  let priv = node;
  if (node.asymmetricKeyType === 'rsa') {
    const j = node.export({ format: 'jwk' });
    priv = rsaNode(rsaPrivateValues(fromB64url(j.n), fromB64url(j.e), fromB64url(j.d), fromB64url(j.p), fromB64url(j.q)));
  }
  const publicKey = sshpkFromNodePublic(createPublicKey(priv));
  if (stated && !stated.toBuffer('rfc4253').equals(publicKey.toBuffer('rfc4253'))) {
    throw new KeyFormatError('the private key does not belong to the public key stored with it', 'inconsistent');
  }
  if (priv.asymmetricKeyType !== 'rsa') {
    const alg = priv.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    if (!verify(alg, PCT_MESSAGE, nodePublicKey(publicKey), sign(alg, PCT_MESSAGE, priv))) {
      throw new KeyFormatError('the private key does not belong to its public key', 'inconsistent');
    }
  }
  let ssh: sshpk.PrivateKey;
  try {
    ssh = sshpk.parsePrivateKey(priv.export({ type: 'pkcs8', format: 'pem' }) as string, 'pkcs8');
  } catch {
    throw new KeyFormatError('the key cannot be expressed as an SSH key', 'unsupported');
  }
  const c = normaliseComment(comment);
  ssh.comment = c ?? '';
  return { ssh, node: priv, publicKey, comment: c };
}

/** The canonical text of a checked key, with its comment. */
function canonicalOf(key: LoadedKey, comment: string | undefined): string {
  key.ssh.comment = comment ?? '';
  return key.ssh.toString('openssh');
}

/** A key and its canonical text, as the parse and generate calls answer. */
export function keyPairResult(key: LoadedKey): { public: PublicKeyInfo; privateKey: string } {
  return { public: publicInfo(key.publicKey, key.comment), privateKey: canonicalOf(key, key.comment) };
}

/** Accepts a freshly generated OpenSSL key pair through the same checks. */
export function loadGenerated(node: KeyObject, comment?: string): LoadedKey {
  return finish(node, comment);
}

function readOpenssh(block: ArmouredBlock, passphrase?: string): LoadedKey {
  const { headers, bytes } = pemBody(block, 'the OpenSSH private key');
  if (headers.length || !bytes.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) throw new KeyFormatError('the OpenSSH private key is malformed', 'malformed');
  // PROTOCOL.key: cipher, kdf name, kdf options, number of keys, then the keys.
  const r = new SshReader(bytes.subarray(OPENSSH_MAGIC.length), 'the OpenSSH private key');
  const cipher = r.string().toString('latin1');
  const kdf = r.string().toString('latin1');
  const kdfOptions = r.string();
  const count = r.uint32();
  if (count !== 1) throw new KeyFormatError(`the OpenSSH file holds ${count} keys; give one`, 'multiple');
  if (!OPENSSH_CIPHERS.includes(cipher)) throw new KeyFormatError(`the OpenSSH key is encrypted with ${quotable(cipher) ?? 'a cipher'} dew cannot decrypt: re-encrypt it with ssh-keygen -p -Z aes256-ctr, or remove the passphrase`, 'unsupported');
  if (kdf === 'bcrypt') {
    const o = new SshReader(kdfOptions, 'the OpenSSH key derivation options');
    o.string();
    const rounds = o.uint32();
    if (rounds > BCRYPT_MAX_ROUNDS) throw new KeyFormatError(`the OpenSSH key's bcrypt rounds (${rounds}) are beyond what dew accepts (${BCRYPT_MAX_ROUNDS})`, 'unsupported');
    if (!passphrase) throw new KeyFormatError('the OpenSSH private key is encrypted; give its passphrase', 'passphrase_needed');
  } else if (kdf !== 'none' || cipher !== 'none') {
    throw new KeyFormatError('the OpenSSH private key is malformed (unknown key derivation)', 'malformed');
  }
  const pem = toPem(block.label, bytes);
  let k: sshpk.PrivateKey;
  let outer: sshpk.Key;
  try {
    // sshpk turns the passphrase option into a Buffer: each call gets its own options.
    outer = sshpk.parseKey(pem, 'ssh-private', passphrase ? { passphrase } : undefined);
    k = sshpk.parsePrivateKey(pem, 'ssh-private', passphrase ? { passphrase } : undefined);
  } catch (e) {
    if (/Incorrect passphrase/.test((e as Error).message)) throw new KeyFormatError('wrong passphrase for the OpenSSH private key', 'wrong_passphrase');
    throw new KeyFormatError('the OpenSSH private key is malformed', 'malformed');
  }
  if (!outer.toBuffer('rfc4253').equals(k.toPublic().toBuffer('rfc4253'))) throw new KeyFormatError('the OpenSSH file states a public key that is not the private key\'s', 'inconsistent');
  return finish(toNodePrivate(k), k.comment, k.toPublic());
}

function readPem(block: ArmouredBlock, passphrase?: string): LoadedKey {
  const what = `the ${block.label}`;
  const { headers, bytes } = pemBody(block, what);
  const legacyEncrypted = /^4,\s*ENCRYPTED$/i.test(pemHeader(headers, 'Proc-Type') ?? '');
  if (headers.length && !legacyEncrypted) throw new KeyFormatError(`${what} has header lines it should not have`, 'malformed');
  const encrypted = legacyEncrypted || block.label === 'ENCRYPTED PRIVATE KEY';
  if (encrypted && !passphrase) throw new KeyFormatError('the private key is encrypted; give its passphrase', 'passphrase_needed');
  if (!legacyEncrypted) assertOneDerSequence(bytes, what);
  const type = PEM_DER_TYPE[block.label];
  let node: KeyObject;
  try {
    node = legacyEncrypted || !type
      ? createPrivateKey({ key: toPem(block.label, bytes, headers), format: 'pem', passphrase })
      : createPrivateKey({ key: bytes, format: 'der', type, passphrase });
  } catch {
    if (encrypted) throw new KeyFormatError(`wrong passphrase for ${what} (or the file is damaged)`, 'wrong_passphrase');
    throw new KeyFormatError(`${what} is malformed`, 'malformed');
  }
  return finish(node, undefined);
}

/** Reads one private key (see key-formats.ts for the accepted forms and the rejections). */
export function loadPrivateKey(text: string, passphrase?: string): LoadedKey {
  const lines = keyLines(text, 'private');
  if (keyKind(lines[0]) === 'public') throw new KeyFormatError('this is a public key; give the private key', 'public_given');
  if (lines[0].startsWith('PuTTY-User-Key-File-')) {
    const { blob, comment } = readPpk(lines, passphrase);
    // sshpk's parts are views into `blob`: it is wiped only once the key has been copied out.
    try {
      let k: sshpk.PrivateKey;
      try {
        k = sshpk.parsePrivateKey(blob, 'rfc4253');
      } catch {
        throw new KeyFormatError('the PuTTY key data is malformed', 'malformed');
      }
      return finish(toNodePrivate(k), comment, k.toPublic());
    } finally {
      blob.fill(0);
    }
  }
  if (!isArmourBegin(lines[0])) throw new KeyFormatError('not a private key dew reads: give an OpenSSH, PKCS#8, PKCS#1 or SEC1 PEM key, or a PuTTY .ppk', 'unsupported');
  let blocks = armouredBlocks(lines);
  // `openssl ecparam -genkey` writes the curve's parameters before the key.
  if (blocks.length === 2 && blocks[0].label === 'EC PARAMETERS' && blocks[1].label === 'EC PRIVATE KEY') blocks = [blocks[1]];
  if (blocks.length > 1) throw new KeyFormatError('more than one key given; give one key', 'multiple');
  const block = blocks[0];
  if (block.style === 'pem' && block.label === 'OPENSSH PRIVATE KEY') return readOpenssh(block, passphrase);
  if (block.style === 'pem' && (Object.hasOwn(PEM_DER_TYPE, block.label) || block.label === 'DSA PRIVATE KEY')) return readPem(block, passphrase);
  if (block.label === 'SSH2 ENCRYPTED PRIVATE KEY') throw new KeyFormatError('ssh.com private keys are not supported: convert with puttygen KEY -O private-openssh -o KEY.pem', 'unsupported');
  throw new KeyFormatError(`"${block.label.slice(0, 40)}" is not a private key format dew reads: give an OpenSSH, PKCS#8, PKCS#1 or SEC1 PEM key, or a PuTTY .ppk`, 'unsupported');
}

/** Reads one private key and answers its canonical form and public key. */
export function parsePrivateKey(text: string, passphrase?: string): { public: PublicKeyInfo; privateKey: string } {
  return keyPairResult(loadPrivateKey(text, passphrase));
}

/** The stored canonical text back as a key; anything else is a programming or storage fault, not a user's error. */
export function readCanonical(canonical: string): LoadedKey {
  if (typeof canonical !== 'string' || !canonical.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) throw new Error('readCanonical: not a canonical (OpenSSH) private key');
  let k: sshpk.PrivateKey;
  try {
    k = sshpk.parsePrivateKey(canonical, 'ssh-private');
  } catch {
    throw new Error('readCanonical: the canonical private key is unreadable');
  }
  return { ssh: k, node: toNodePrivate(k), publicKey: k.toPublic(), comment: normaliseComment(k.comment) };
}

/** A canonical private key as a file's text in `format`, unencrypted; `comment` (else the stored one) where the format has one. */
export function exportPrivateKey(canonical: string, format: PrivateKeyFormat, comment?: string): string {
  const key = readCanonical(canonical);
  const c = comment !== undefined ? normaliseComment(comment) : key.comment;
  switch (format) {
    case 'openssh':
      return canonicalOf(key, c);
    case 'pkcs8':
      return key.node.export({ type: 'pkcs8', format: 'pem' }) as string;
    case 'pkcs1':
      // PKCS#1 is RSA's; for the others "traditional PEM" means SEC1 (EC) and OpenSSL's DSA form, as ssh-keygen -m PEM writes.
      switch (key.ssh.type) {
        case 'rsa':
          return key.node.export({ type: 'pkcs1', format: 'pem' }) as string;
        case 'ecdsa':
          return key.node.export({ type: 'sec1', format: 'pem' }) as string;
        case 'dsa':
          return key.ssh.toString('pkcs1');
        default:
          throw new KeyFormatError('Ed25519 keys have no PKCS#1 or SEC1 form; use openssh or pkcs8', 'no_such_form');
      }
    case 'ppk':
      return writePpk(key.ssh, 3, c ?? '');
    case 'ppk2':
      return writePpk(key.ssh, 2, c ?? '');
    default:
      throw new KeyFormatError(`unknown private key format "${String(format)}" (${PRIVATE_KEY_FORMATS.join(', ')})`, 'no_such_form');
  }
}

/** True when the canonical private key belongs to this public key (the key blobs compared; comments ignored); a malformed public key is a KeyFormatError. */
export function matchesPublicKey(canonical: string, publicOpenssh: string): boolean {
  const ours = readCanonical(canonical).publicKey.toBuffer('rfc4253');
  const theirs = Buffer.from(parsePublicKey(publicOpenssh).openssh.split(' ')[1], 'base64');
  return ours.equals(theirs);
}
