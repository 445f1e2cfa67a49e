/**
 * SSH public key blobs as the authorized_keys file and the host key check need them: the one-line
 * OpenSSH form `type base64 [comment]` (RFC 4253 §6.6 blob, OpenSSH sshd(8) AUTHORIZED_KEYS FILE
 * FORMAT), the blob's own type string, and the SHA-256 fingerprint as `ssh-keygen -l` prints it.
 */
import { createHash } from 'node:crypto';

/** Key type names OpenSSH reads in authorized_keys and known_hosts (sshkey.c keytypes[]), certificates included. */
const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ecdsa-sha2-nistp256|ssh-ed25519)@openssh\.com|ssh-xmss@openssh\.com)(-cert-v01@openssh\.com)?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface KeyBlob {
  /** The key type name, e.g. `ssh-ed25519`. */
  type: string;
  /** The decoded public key blob (RFC 4253 §6.6). */
  blob: Buffer;
}

export function isKeyType(word: string): boolean {
  return KEY_TYPE.test(word);
}

/** The type string a blob starts with (uint32 length ‖ name), or undefined when the blob is malformed. */
export function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > blob.length) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

/**
 * Whether a plain key blob is a whole sequence of SSH strings (RFC 4251 §5: string and mpint
 * alike are uint32 length ‖ bytes) with key data after the type. Certificates carry uint64 and
 * uint32 fields, so only their type is checked.
 */
function wellFormed(type: string, blob: Buffer): boolean {
  if (type.endsWith('-cert-v01@openssh.com')) return true;
  let off = 0;
  let fields = 0;
  while (off < blob.length) {
    if (off + 4 > blob.length) return false;
    off += 4 + blob.readUInt32BE(off);
    fields++;
  }
  if (off !== blob.length || fields < 2) return false;
  // An Ed25519 public key is exactly 32 bytes (RFC 8709 §4).
  return type !== 'ssh-ed25519' || (fields === 2 && blob.length === 4 + type.length + 4 + 32);
}

/** Decodes `type` and `base64` as found in a key line; undefined unless the blob is well formed and names the same type. */
export function decodeKey(type: string, base64: string): KeyBlob | undefined {
  if (!isKeyType(type) || !BASE64.test(base64) || base64.length % 4 !== 0) return undefined;
  const blob = Buffer.from(base64, 'base64');
  return blobType(blob) === type && wellFormed(type, blob) ? { type, blob } : undefined;
}

/**
 * Parses a one-line OpenSSH public key `type base64 [comment]` (no options, one line). Throws a
 * TypeError naming `what` when it is not one: this text goes into authorized_keys verbatim, so a
 * line break or an options prefix must never pass.
 */
export function parseKeyLine(text: string, what: string): KeyBlob & { line: string } {
  if (typeof text !== 'string') throw new TypeError(`${what}: expected a string`);
  // Control characters (a line break above all) would smuggle a second authorized_keys line in.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) throw new TypeError(`${what}: must be a single line of printable text`);
  const line = text.trim();
  const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  const key = m ? decodeKey(m[1], m[2]) : undefined;
  if (!key) throw new TypeError(`${what}: not a one-line OpenSSH public key ("ssh-ed25519 AAAA… [comment]")`);
  if (key.type.endsWith('-cert-v01@openssh.com')) throw new TypeError(`${what}: certificates are not accepted, give the plain public key`);
  return { ...key, line };
}

/** The one-line form of a blob without a comment: `ssh-ed25519 AAAA…`. */
export function keyLineOf(blob: Buffer): string {
  const type = blobType(blob);
  if (type === undefined) throw new TypeError('blob: not an SSH public key blob');
  return `${type} ${blob.toString('base64')}`;
}

/** `SHA256:<unpadded base64>` of the blob, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The host key algorithms to offer for a host key of `type` (RFC 8332: an RSA key signs with
 * rsa-sha2-*), so the server shows the pinned key and not another of its keys; with no pin, the
 * strongest first.
 */
export function hostKeyAlgorithms(type: string | undefined): string[] {
  switch (type) {
    case undefined:
      return ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    case 'ssh-rsa':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    case 'ssh-ed25519':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'ssh-dss':
      return [type];
    default:
      throw new TypeError(`target.hostKey: host keys of type ${type} are not supported`);
  }
}
