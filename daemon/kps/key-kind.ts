/** Tells a public key's text from a private key's by its first line, so each parser can say "you gave me the other half". */
import { SSH_KEY_TYPES } from './algorithms.js';

export const PRIVATE_PEM_LABELS: readonly string[] = Object.freeze(['OPENSSH PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);
export const PUBLIC_PEM_LABELS: readonly string[] = Object.freeze(['PUBLIC KEY', 'RSA PUBLIC KEY']);

/** A one-line OpenSSH key anywhere in `s` (a type name, white space, then a blob's base64 start). */
const KEY_LINE = /(^|\s)(ssh-rsa|ssh-dss|ssh-ed25519|ecdsa-sha2-nistp(256|384|521))\s+AAAA[A-Za-z0-9+/]/;

export function looksLikeOneLineKey(s: string): boolean {
  return KEY_LINE.test(s);
}

/** What the first line of a key text announces. */
export function keyKind(line: string): 'public' | 'private' | 'unknown' {
  const firstLine = line.trimEnd();
  const armour = /^-{4,5} ?BEGIN (.+?) ?-{4,5}$/.exec(firstLine);
  if (armour) {
    const label = armour[1];
    if (PRIVATE_PEM_LABELS.includes(label) || label === 'SSH2 ENCRYPTED PRIVATE KEY') return 'private';
    if (PUBLIC_PEM_LABELS.includes(label) || label === 'SSH2 PUBLIC KEY') return 'public';
    return 'unknown';
  }
  if (/^PuTTY-User-Key-File-\d+:/.test(firstLine)) return 'private';
  const type = /^(\S+)\s/.exec(firstLine)?.[1];
  if (type && (SSH_KEY_TYPES.includes(type) || type.endsWith('-cert-v01@openssh.com') || type.startsWith('sk-'))) return 'public';
  return 'unknown';
}

/** A token of the input fit to quote in an error message (a short type name), else undefined. */
export function quotable(token: string | undefined): string | undefined {
  return token !== undefined && /^[A-Za-z0-9@._-]{1,64}$/.test(token) ? token : undefined;
}
