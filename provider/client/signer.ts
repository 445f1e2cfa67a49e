/** Signs outgoing requests with Huawei `SDK-HMAC-SHA256` (reference §7), as the Huawei SDKs do; the client side twin of the daemon's verifier. */
import { createHash, createHmac } from 'node:crypto';

export interface SigningKey {
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: string | URL;
  /** Headers that will be sent; names in any case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes that will be sent (a string is sent as UTF-8). */
  readonly body?: string | Uint8Array;
}

export interface SignatureHeaders {
  readonly 'X-Sdk-Date': string;
  readonly Authorization: string;
}

const ALGORITHM = 'SDK-HMAC-SHA256';
/** §7 step 5: we sign what the SDKs sign and the daemon relies on; other headers stay unsigned. */
const SIGNABLE = Object.freeze(['content-type', 'host', 'x-project-id', 'x-sdk-content-sha256', 'x-sdk-date', 'x-security-token']);

/** Returns the headers to add. `clock` gives epoch ms; an `X-Sdk-Date` already in `headers` wins (§7 step 1). */
export function signRequest(req: RequestToSign, key: SigningKey, clock: () => number = Date.now): SignatureHeaders {
  if (typeof req?.method !== 'string' || req.method.length === 0) throw new TypeError('req.method must be a non-empty string');
  if (typeof req.headers !== 'object' || req.headers === null) throw new TypeError('req.headers must be an object');
  if (typeof key?.accessKey !== 'string' || key.accessKey.length === 0) throw new TypeError('key.accessKey must be a non-empty string');
  if (typeof key.secretKey !== 'string' || key.secretKey.length === 0) throw new TypeError('key.secretKey must be a non-empty string');
  const url = new URL(req.url);
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers)) lower.set(name.toLowerCase(), value);
  const date = lower.get('x-sdk-date') ?? formatSdkDate(clock());
  lower.set('x-sdk-date', date);
  if (!lower.has('host')) lower.set('host', url.host);

  const names = SIGNABLE.filter((name) => lower.has(name));
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${(lower.get(name) ?? '').trim()}\n`).join('');
  const payloadHash = lower.get('x-sdk-content-sha256') ?? sha256Hex(req.body ?? '');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, date, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', key.secretKey).update(stringToSign).digest('hex');
  return {
    'X-Sdk-Date': date,
    Authorization: `${ALGORITHM} Access=${key.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** §7 step 1: UTC `YYYYMMDDTHHMMSSZ`. */
export function formatSdkDate(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new TypeError('epochMs must be a finite number');
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** §7 step 3, as Python: decode the whole path, split on `/`, encode each segment, end with `/`. */
function canonicalUri(pathname: string): string {
  const encoded = unquote(pathname).split('/').map(encode).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** §7 step 4: sorted by key then value, one `enc(k)=enc(v)` per value. */
function canonicalQuery(params: URLSearchParams): string {
  const pairs = [...params.entries()];
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}

/** Percent-encodes UTF-8 bytes except `A–Z a–z 0–9 - _ . ~`, uppercase hex. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Python `unquote`: decodes valid `%XX` escapes to bytes, keeps the rest, reads UTF-8 leniently. */
function unquote(s: string): string {
  const bytes: number[] = [];
  for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 && i + 2 < bytes.length ? String.fromCharCode(bytes[i + 1], bytes[i + 2]) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(bytes[i]);
    }
  }
  return Buffer.from(out).toString('utf8');
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
