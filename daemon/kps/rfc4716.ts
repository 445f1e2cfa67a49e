/**
 * The SSH public key file format of RFC 4716 ("---- BEGIN SSH2 PUBLIC KEY ----"), which PuTTYgen's
 * "Save public key" and `ssh-keygen -e` write. Written as PuTTYgen writes it: the Comment on one
 * line, backslash and double quote escaped by a backslash, even past §3's 72 bytes, because PuTTY
 * reads neither continuation lines nor unescaped quotes (sshpubk.c rfc4716_loadpub). Read either way.
 */
import { KeyFormatError } from './key-format-error.js';
import { strictBase64, type ArmouredBlock } from './key-text.js';

export const RFC4716_LABEL = 'SSH2 PUBLIC KEY';

/** §3.3: a header tag is 1..64 printable US-ASCII characters other than ':' and is followed by ": ". */
const HEADER = /^([\x21-\x39\x3b-\x7e]{1,64}): (.*)$/;

/** The key blob and the Comment header (quotes removed) of an RFC 4716 block; other headers are ignored as §3.3 says. */
export function readRfc4716(block: ArmouredBlock): { blob: Buffer; comment?: string } {
  const inner = block.inner;
  let comment: string | undefined;
  let i = 0;
  while (i < inner.length) {
    const m = HEADER.exec(inner[i]);
    if (!m) break;
    let value = m[2];
    // §3.3: a line ending in a backslash continues on the next line.
    while (value.endsWith('\\') && i + 1 < inner.length) value = value.slice(0, -1) + inner[++i];
    if (Buffer.byteLength(value) > 1024) throw new KeyFormatError('the RFC 4716 key has a header longer than 1024 bytes', 'malformed');
    if (m[1].toLowerCase() === 'comment') comment = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    i++;
  }
  const body = inner.slice(i).map((l) => l.trim()).join('');
  return { blob: strictBase64(body, 'the RFC 4716 key body'), comment };
}

/** RFC 4716 text of a key blob: a quoted Comment header, base64 in 64-column lines (as PuTTYgen writes). */
export function writeRfc4716(blob: Buffer, comment?: string): string {
  const lines = [`---- BEGIN ${RFC4716_LABEL} ----`];
  if (comment) lines.push(`Comment: "${comment.replace(/[\\"]/g, '\\$&')}"`);
  lines.push(...(blob.toString('base64').match(/.{1,64}/g) ?? []));
  lines.push(`---- END ${RFC4716_LABEL} ----`);
  return lines.join('\n') + '\n';
}
