/**
 * Public keys in the forms users bring (one-line OpenSSH, RFC 4716, SPKI and PKCS#1 PEM), checked
 * strictly and described as `ssh-keygen -l` would: type, bits, SHA256 and MD5 fingerprints.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import sshpk from 'sshpk';
import { SSH_KEY_TYPES, algorithmName, assertKeyRules } from './algorithms.js';
import { KeyFormatError } from './key-format-error.js';
import { keyKind, looksLikeOneLineKey, quotable, PUBLIC_PEM_LABELS } from './key-kind.js';
import { armouredBlocks, assertOneDerSequence, isArmourBegin, keyLines, pemBody, strictBase64 } from './key-text.js';
import { RFC4716_LABEL, readRfc4716, writeRfc4716 } from './rfc4716.js';
import { SshReader } from './ssh-wire.js';

export interface PublicKeyInfo {
  /** One-line OpenSSH form "ssh-ed25519 AAAA… [comment]" (comment kept if given, normalised whitespace). */
  openssh: string;
  /** SSH_RSA_2048, SSH_RSA_3072, SSH_RSA_4096 (other sizes SSH_RSA_<bits>), SSH_ED25519, ECDSA_NISTP256/384/521, SSH_DSS. */
  algorithm: string;
  bits: number;
  /** Exactly the hash part `ssh-keygen -lf` prints: "SHA256:…". */
  fingerprint: string;
  /** "MD5:aa:bb:…" as `ssh-keygen -E md5 -lf` prints. */
  fingerprintMd5: string;
}

export type PublicKeyFormat = 'openssh' | 'rfc4716' | 'pem';

/** How many values follow the type name in a public key blob (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4). */
const PUBLIC_FIELDS: Readonly<Record<string, number>> = Object.freeze({ 'ssh-rsa': 2, 'ssh-dss': 4, 'ssh-ed25519': 1, 'ecdsa-sha2-nistp256': 2, 'ecdsa-sha2-nistp384': 2, 'ecdsa-sha2-nistp521': 2 });

/** A comment as one line: runs of white space (new lines included) become one space; empty is none. */
export function normaliseComment(comment: string | undefined): string | undefined {
  const c = comment?.replace(/\s+/g, ' ').trim();
  return c ? c : undefined;
}

/** The SSH type name a key blob starts with (RFC 4253 §6.6). */
export function blobType(blob: Buffer): string {
  return new SshReader(blob, 'the key data').string().toString('latin1');
}

/** OpenSSL's view of an sshpk public key; refuses values that cannot be a key (an EC point off its curve). */
export function nodePublicKey(key: sshpk.Key): KeyObject {
  try {
    return createPublicKey({ key: key.toString('pkcs8'), format: 'pem' });
  } catch {
    throw new KeyFormatError("the key's values are invalid (not a point on its curve, or not a usable key)", 'malformed');
  }
}

/**
 * The public key of an RFC 4253 §6.6 blob, held to every rule: the type named outside (when given)
 * is the type inside, the blob has exactly its parts, the size rules hold and OpenSSL accepts the values.
 */
export function publicKeyFromBlob(blob: Buffer, outerType?: string): sshpk.Key {
  const inner = blobType(blob);
  if (outerType !== undefined && inner !== outerType) {
    throw new KeyFormatError(`the key says it is ${outerType} but its data is ${SSH_KEY_TYPES.includes(inner) ? inner : 'of another type'}`, 'malformed');
  }
  if (!SSH_KEY_TYPES.includes(inner)) throw new KeyFormatError(`unsupported key type${quotable(inner) ? ` "${inner}"` : ''} (use RSA, Ed25519, ECDSA on the NIST curves, or DSA)`, 'unsupported');
  // Exactly the type's public fields: sshpk would read extra ones as a private key and quietly drop them.
  const r = new SshReader(blob, `the ${inner} key data`);
  for (let i = 0; i <= PUBLIC_FIELDS[inner]; i++) r.string();
  if (r.remaining !== 0) throw new KeyFormatError(`the ${inner} key data has bytes after its end`, 'trailing');
  let key: sshpk.Key;
  try {
    key = sshpk.parseKey(blob, 'rfc4253');
  } catch {
    throw new KeyFormatError(`the ${inner} key data is malformed`, 'malformed');
  }
  if (sshpk.PrivateKey.isPrivateKey(key, [1, 6])) throw new KeyFormatError(`the ${inner} key data holds more than a public key`, 'malformed');
  assertKeyRules(key);
  nodePublicKey(key);
  return key;
}

/** The description of an accepted key. */
export function publicInfo(key: sshpk.Key, comment?: string): PublicKeyInfo {
  const blob = key.toBuffer('rfc4253');
  const c = normaliseComment(comment);
  const { algorithm, bits } = algorithmName(key);
  return {
    openssh: `${blobType(blob)} ${blob.toString('base64')}${c ? ` ${c}` : ''}`,
    algorithm,
    bits,
    fingerprint: key.fingerprint('sha256').toString(),
    fingerprintMd5: `MD5:${key.fingerprint('md5').toString('hex')}`,
  };
}

function parseOneLine(lines: readonly string[]): { key: sshpk.Key; comment?: string } {
  const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(lines[0].trim());
  const type = m?.[1] ?? /^\S+/.exec(lines[0])?.[0];
  const known = type !== undefined && SSH_KEY_TYPES.includes(type);
  const rest = lines.slice(1).filter((l) => l.trim() !== '');
  if (rest.length) {
    if (!known && rest.some(isArmourBegin)) throw new KeyFormatError('unexpected text before the key', 'malformed');
    if (rest.some((l) => looksLikeOneLineKey(l) || isArmourBegin(l))) throw new KeyFormatError('more than one key given; give one key', 'multiple');
    if (known) throw new KeyFormatError('unexpected text after the key (the OpenSSH form is one line: TYPE BASE64 [COMMENT])', 'trailing');
  }
  if (!known) {
    if (type?.endsWith('-cert-v01@openssh.com')) throw new KeyFormatError('OpenSSH certificates are not supported; give the plain public key', 'unsupported');
    if (type?.startsWith('sk-')) throw new KeyFormatError('security-key (FIDO) keys are not supported', 'unsupported');
    if (looksLikeOneLineKey(lines[0])) throw new KeyFormatError('remove the authorized_keys options before the key type', 'malformed');
    throw new KeyFormatError(`not a public key dew reads${quotable(type) ? ` (unknown key type "${type}")` : ''}: give a one-line OpenSSH key, RFC 4716, or PEM`, 'unsupported');
  }
  if (!m) throw new KeyFormatError(`the ${type} key has no key data after its type`, 'malformed');
  const comment = m[3];
  if (comment !== undefined && looksLikeOneLineKey(comment)) throw new KeyFormatError('more than one key given; give one key', 'multiple');
  return { key: publicKeyFromBlob(strictBase64(m[2], `the ${type} key data`), type), comment };
}

function parsePem(label: string, der: Buffer): sshpk.Key {
  assertOneDerSequence(der, `the ${label}`);
  let node: KeyObject;
  try {
    node = createPublicKey({ key: der, format: 'der', type: label === 'PUBLIC KEY' ? 'spki' : 'pkcs1' });
  } catch {
    throw new KeyFormatError(`the ${label} is malformed`, 'malformed');
  }
  return sshpkFromNodePublic(node);
}

/** An OpenSSL public key as an accepted sshpk key (same checks as a blob). */
export function sshpkFromNodePublic(node: KeyObject): sshpk.Key {
  const type = node.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'dsa' && type !== 'ec' && type !== 'ed25519') {
    throw new KeyFormatError(`${type ? `${type.toUpperCase()} keys` : 'this key type'} cannot be used for SSH (use RSA, Ed25519, ECDSA on the NIST curves, or DSA)`, 'unsupported');
  }
  if (type === 'ec' && !['prime256v1', 'secp384r1', 'secp521r1'].includes(node.asymmetricKeyDetails?.namedCurve ?? '')) {
    throw new KeyFormatError('ECDSA keys must be on nistp256, nistp384 or nistp521', 'unsupported');
  }
  let key: sshpk.Key;
  try {
    key = sshpk.parseKey(node.export({ type: 'spki', format: 'pem' }) as string, 'pkcs8');
  } catch {
    throw new KeyFormatError('the key cannot be expressed as an SSH key', 'unsupported');
  }
  return publicKeyFromBlob(key.toBuffer('rfc4253'));
}

/** Reads one public key (see key-formats.ts for the accepted forms and the rejections). */
export function parsePublicKey(text: string): PublicKeyInfo {
  const lines = keyLines(text, 'public');
  if (keyKind(lines[0]) === 'private') throw new KeyFormatError('this is a private key; give the public key (the .pub file, or the one line PuTTYgen shows for pasting into authorized_keys)', 'private_given');
  if (!isArmourBegin(lines[0])) {
    const { key, comment } = parseOneLine(lines);
    return publicInfo(key, comment);
  }
  const blocks = armouredBlocks(lines);
  if (blocks.length > 1) throw new KeyFormatError('more than one key given; give one key', 'multiple');
  const block = blocks[0];
  if (block.style === 'rfc4716' && block.label === RFC4716_LABEL) {
    const { blob, comment } = readRfc4716(block);
    return publicInfo(publicKeyFromBlob(blob), comment);
  }
  if (block.style === 'pem' && PUBLIC_PEM_LABELS.includes(block.label)) {
    const { headers, bytes } = pemBody(block, `the ${block.label}`);
    if (headers.length) throw new KeyFormatError(`the ${block.label} has header lines; a public key has none`, 'malformed');
    return publicInfo(parsePem(block.label, bytes));
  }
  throw new KeyFormatError(`"${block.label.slice(0, 40)}" is not a public key format dew reads: give a one-line OpenSSH key, RFC 4716, or PEM`, 'unsupported');
}

/** A public key as a file's text (ending in a new line): one-line OpenSSH, RFC 4716, or SPKI PEM. */
export function exportPublicKey(info: PublicKeyInfo, format: PublicKeyFormat): string {
  const lines = keyLines(info.openssh, 'public');
  const { key, comment } = parseOneLine(lines);
  const c = normaliseComment(comment);
  switch (format) {
    case 'openssh':
      return publicInfo(key, c).openssh + '\n';
    case 'rfc4716':
      return writeRfc4716(key.toBuffer('rfc4253'), c);
    case 'pem':
      return nodePublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
    default:
      throw new KeyFormatError(`unknown public key format "${String(format)}" (openssh, rfc4716 or pem)`, 'no_such_form');
  }
}
