/**
 * Strict framing of key text before any parser sees it: one block of PEM (RFC 7468) or RFC 4716
 * armour and nothing around it, canonical base64, DER that ends where its outer SEQUENCE says.
 * The parsers we hand the bytes to (sshpk, OpenSSL) forgive stray text; users deserve to hear about it.
 */
import { KeyFormatError } from './key-format-error.js';
import { looksLikeOneLineKey } from './key-kind.js';

/** Longer than any key file (an RSA 16384 .ppk is about 12 KB). */
export const MAX_KEY_TEXT = 64 * 1024;

/** The input as lines: size-checked, a byte-order mark dropped, CRLF/CR as LF, outer blank space trimmed (lines keep their own). */
export function keyLines(text: string, kind: 'public' | 'private'): string[] {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  if (text.length > MAX_KEY_TEXT) throw new KeyFormatError(`the ${kind} key text is larger than ${MAX_KEY_TEXT / 1024} KiB; no key is that long`, 'malformed');
  const body = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').trim();
  if (body === '') throw new KeyFormatError(`no ${kind} key given (the input is empty)`, 'empty');
  return body.split('\n');
}

/** Canonical standard base64 (RFC 4648 §4, padded, zero pad bits) of `s`, else a KeyFormatError naming `what`. */
export function strictBase64(s: string, what: string): Buffer {
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new KeyFormatError(`${what} is not valid base64`, 'malformed');
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64') !== s) throw new KeyFormatError(`${what} is not valid base64`, 'malformed');
  return b;
}

/** One armoured block: the label between BEGIN and END, and the lines inside. */
export interface ArmouredBlock {
  readonly style: 'pem' | 'rfc4716';
  readonly label: string;
  readonly inner: readonly string[];
}

const BEGIN = { pem: /^-----BEGIN ([A-Z0-9][A-Z0-9 ]*[A-Z0-9])-----$/, rfc4716: /^---- BEGIN ([A-Z0-9][A-Z0-9 ]*[A-Z0-9]) ----$/ } as const;

/** True when the line opens an armoured block of either style. */
export function isArmourBegin(line: string): boolean {
  return BEGIN.pem.test(line.trimEnd()) || BEGIN.rfc4716.test(line.trimEnd());
}

/**
 * Every armoured block of `lines`, in order; any other non-blank line (before, between or after the
 * blocks) is a KeyFormatError, and so is a block without its END line.
 */
export function armouredBlocks(lines: readonly string[]): ArmouredBlock[] {
  const blocks: ArmouredBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    if (line === '') continue;
    const pem = BEGIN.pem.exec(line);
    const rfc = pem ? null : BEGIN.rfc4716.exec(line);
    if (!pem && !rfc) {
      if (blocks.length && looksLikeOneLineKey(line)) throw new KeyFormatError('more than one key given; give one key', 'multiple');
      throw new KeyFormatError(blocks.length ? 'unexpected text after the key' : 'unexpected text before the key', blocks.length ? 'trailing' : 'malformed');
    }
    const style = pem ? 'pem' : 'rfc4716';
    const label = (pem ?? rfc)![1];
    const end = style === 'pem' ? `-----END ${label}-----` : `---- END ${label} ----`;
    const j = lines.findIndex((l, k) => k > i && l.trimEnd() === end);
    if (j < 0) throw new KeyFormatError(`the key has no "${style === 'pem' ? '-----' : '---- '}END ${label}${style === 'pem' ? '-----' : ' ----'}" line`, 'malformed');
    blocks.push({ style, label, inner: lines.slice(i + 1, j).map((l) => l.trimEnd()) });
    i = j;
  }
  return blocks;
}

/** RFC 1421 header lines of a PEM block, names as written (legacy encrypted keys: Proc-Type, DEK-Info). */
export type PemHeaders = readonly (readonly [name: string, value: string])[];

/** The body of a PEM block: its headers and the decoded bytes. */
export function pemBody(block: ArmouredBlock, what: string): { headers: PemHeaders; bytes: Buffer } {
  const headers: [string, string][] = [];
  let i = 0;
  if (block.inner.length && block.inner[0].includes(':')) {
    for (; i < block.inner.length && block.inner[i].trim() !== ''; i++) {
      const m = /^([A-Za-z0-9-]+):[ \t]*(.*)$/.exec(block.inner[i]);
      if (!m) throw new KeyFormatError(`${what} has a malformed header line`, 'malformed');
      headers.push([m[1], m[2].trim()]);
    }
  }
  const b64 = block.inner.slice(i).map((l) => l.trim()).join('');
  return { headers, bytes: strictBase64(b64, what) };
}

/** A header's value by case-insensitive name. */
export function pemHeader(headers: PemHeaders, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** The block again as canonical PEM text (64-column body), for parsers that want PEM text. */
export function toPem(label: string, bytes: Buffer, headers: PemHeaders = []): string {
  const head = headers.length ? headers.map(([n, v]) => `${n}: ${v}\n`).join('') + '\n' : '';
  const body = bytes.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${head}${body}\n-----END ${label}-----\n`;
}

/** Asserts that `der` is one DER SEQUENCE and nothing after it (OpenSSL ignores trailing bytes). */
export function assertOneDerSequence(der: Buffer, what: string): void {
  const bad = () => new KeyFormatError(`${what} is not valid DER`, 'malformed');
  if (der.length < 2 || der[0] !== 0x30) throw bad();
  let len = der[1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || der.length < 2 + n) throw bad();
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + der[2 + k];
    header += n;
  }
  if (header + len !== der.length) throw new KeyFormatError(`${what} has bytes after its end`, 'trailing');
}
