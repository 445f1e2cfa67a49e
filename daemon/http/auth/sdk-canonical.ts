/** Canonical URI and canonical query string of SDK-HMAC-SHA256, server side (reference §7 steps 3–4). */

/** 1 for the RFC 3986 unreserved characters `A–Z a–z 0–9 - _ . ~` (§7 step 3), indexed by char code. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) UNRESERVED[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) UNRESERVED[c] = 1;
UNRESERVED[0x2d] = 1;
UNRESERVED[0x2e] = 1;
UNRESERVED[0x5f] = 1;
UNRESERVED[0x7e] = 1;

const HEX_UPPER = '0123456789ABCDEF';
const SLASH = 0x2f;

/**
 * §7 step 3. Like the Python SDK: percent-decode the whole path (so `%2F` becomes a separator),
 * split on `/`, encode each segment, re-join, append a trailing `/` if missing.
 * Fast path: a path made only of unreserved characters and `/` is its own encoding.
 */
export function canonicalUri(path: string): string {
  const n = path.length;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c !== SLASH && (c >= 128 || UNRESERVED[c] === 0)) {
      plain = false;
      break;
    }
  }
  if (plain) return n > 0 && path.charCodeAt(n - 1) === SLASH ? path : path + '/';
  const segments = percentDecode(path, false).split('/');
  let out = encodeComponent(segments[0]);
  for (let i = 1; i < segments.length; i++) out += '/' + encodeComponent(segments[i]);
  return out.endsWith('/') ? out : out + '/';
}

/**
 * §7 step 4. Decodes the raw query (`+` is a space, as Go and Python send it), sorts by key then
 * value, emits `enc(k)=enc(v)` per value joined with `&`; empty query gives ''.
 */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery.length === 0) return '';
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([percentDecode(k, true), percentDecode(v, true)]);
  }
  pairs.sort(comparePairs);
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    if (i > 0) out += '&';
    out += encodeComponent(pairs[i][0]) + '=' + encodeComponent(pairs[i][1]);
  }
  return out;
}

function comparePairs(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** Percent-encodes the UTF-8 bytes of `s`, keeping unreserved characters, uppercase hex. */
export function encodeComponent(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || UNRESERVED[c] === 0) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out += b < 128 && UNRESERVED[b] === 1 ? String.fromCharCode(b) : '%' + HEX_UPPER[b >> 4] + HEX_UPPER[b & 15];
  }
  return out;
}

/**
 * Python `unquote` semantics: `%XX` becomes a byte, malformed escapes stay literal, the bytes are
 * read as UTF-8 with U+FFFD for invalid sequences. Never throws.
 */
function percentDecode(s: string, plusIsSpace: boolean): string {
  if (s.indexOf('%') < 0 && (!plusIsSpace || s.indexOf('+') < 0)) return s;
  const src = Buffer.from(s, 'utf8');
  const dst = Buffer.allocUnsafe(src.length);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]);
      const lo = hexValue(src[i + 2]);
      if (hi >= 0 && lo >= 0) {
        dst[j++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    dst[j++] = plusIsSpace && b === 0x2b ? 0x20 : b;
  }
  return dst.toString('utf8', 0, j);
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}
