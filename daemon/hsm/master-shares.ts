/**
 * The master key split into N shares, any K of which rebuild it (Shamir's secret sharing over
 * GF(2^8), by the audited `shamir-secret-sharing` package), and the text form an operator keeps:
 * `dew1-` + base64url of [version 1][set id 4][K 1][N 1][share number 1][share 33][check 4]. The set
 * id names one split (a share of another installation or an older split is refused by name, not by a
 * failed combine); the check (first 4 bytes of SHA-256 over what precedes it) catches a typo. A share
 * alone carries no information about the key (Shamir 1979): K−1 shares are consistent with every key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { split, combine } from 'shamir-secret-sharing';

const PREFIX = 'dew1-';
const VERSION = 1;
const SHARE_BYTES = 33;
const HEADER_BYTES = 1 + 4 + 1 + 1 + 1;
const CHECK_BYTES = 4;
const TOTAL_BYTES = HEADER_BYTES + SHARE_BYTES + CHECK_BYTES;

/** Bounds of a split: K = 1 would make every share the key itself (and the library refuses it). */
export const SHARES_MIN = 2;
export const SHARES_MAX = 16;

export interface ShareScheme {
  /** Shares made. */
  n: number;
  /** Shares needed. */
  k: number;
  /** 8 hex chars naming this split. */
  set: string;
}

/** One decoded share: which split it belongs to, its number, and its point on the polynomial (the caller owns `point`). */
export interface DecodedShare {
  set: string;
  k: number;
  n: number;
  index: number;
  /** The library's share: 32 y bytes then the x coordinate. */
  point: Buffer;
}

/** A share that is not one (bad prefix, length, check). The message never quotes the share. */
export class MalformedShareError extends Error {
  constructor(why: string) {
    super(`not a dew key share: ${why}`);
    this.name = 'MalformedShareError';
  }
}

/** Checks N and K; returns the reason they are refused, or undefined. */
export function schemeProblem(n: unknown, k: unknown): string | undefined {
  if (!Number.isInteger(n) || (n as number) < SHARES_MIN || (n as number) > SHARES_MAX) return `shares: an integer from ${SHARES_MIN} to ${SHARES_MAX} expected`;
  if (!Number.isInteger(k) || (k as number) < SHARES_MIN) return `threshold: at least ${SHARES_MIN} (with 1, each share would be the master key itself)`;
  if ((k as number) > (n as number)) return `threshold: at most the number of shares (${n as number})`;
  return undefined;
}

const checkOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest().subarray(0, CHECK_BYTES);

/** Splits a 32-byte master key into `scheme.n` share texts, `scheme.k` of them needed. `master` stays the caller's. */
export async function splitMasterKey(master: Buffer, scheme: ShareScheme): Promise<string[]> {
  if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
  const problem = schemeProblem(scheme.n, scheme.k);
  if (problem) throw new RangeError(problem);
  if (!/^[0-9a-f]{8}$/.test(scheme.set)) throw new TypeError('scheme.set: 8 hex characters expected');
  const points = await split(new Uint8Array(master.buffer, master.byteOffset, master.length), scheme.n, scheme.k);
  return points.map((point, i) => {
    const bytes = Buffer.alloc(TOTAL_BYTES);
    bytes[0] = VERSION;
    Buffer.from(scheme.set, 'hex').copy(bytes, 1);
    bytes[5] = scheme.k;
    bytes[6] = scheme.n;
    bytes[7] = i + 1;
    Buffer.from(point).copy(bytes, HEADER_BYTES);
    point.fill(0);
    checkOf(bytes.subarray(0, HEADER_BYTES + SHARE_BYTES)).copy(bytes, HEADER_BYTES + SHARE_BYTES);
    const text = PREFIX + bytes.toString('base64url');
    bytes.fill(0);
    return text;
  });
}

/** Decodes one share text (surrounding white space allowed); MalformedShareError when it is not a share. */
export function decodeShare(text: unknown): DecodedShare {
  if (typeof text !== 'string') throw new MalformedShareError('a string expected');
  const t = text.trim();
  if (!t.startsWith(PREFIX)) throw new MalformedShareError(`it does not start with ${PREFIX}`);
  const body = t.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new MalformedShareError('it holds characters other than base64url');
  const bytes = Buffer.from(body, 'base64url');
  try {
    if (bytes.length !== TOTAL_BYTES) throw new MalformedShareError(`${TOTAL_BYTES} bytes expected, the text gives ${bytes.length} (is it cut or joined?)`);
    if (bytes[0] !== VERSION) throw new MalformedShareError(`unknown share version ${bytes[0]}`);
    const expected = checkOf(bytes.subarray(0, HEADER_BYTES + SHARE_BYTES));
    if (!timingSafeEqual(expected, bytes.subarray(HEADER_BYTES + SHARE_BYTES))) throw new MalformedShareError('its check digits do not match (a typo?)');
    const k = bytes[5];
    const n = bytes[6];
    const index = bytes[7];
    if (schemeProblem(n, k) || index < 1 || index > n) throw new MalformedShareError('its header is inconsistent');
    return { set: bytes.subarray(1, 5).toString('hex'), k, n, index, point: Buffer.from(bytes.subarray(HEADER_BYTES, HEADER_BYTES + SHARE_BYTES)) };
  } finally {
    bytes.fill(0);
  }
}

/** Rebuilds the secret from K decoded points (the library's Lagrange interpolation at 0). The caller owns the result. */
export async function combinePoints(points: readonly Buffer[]): Promise<Buffer> {
  if (points.length < SHARES_MIN) throw new RangeError(`points: at least ${SHARES_MIN} expected`);
  const secret = await combine(points.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.length)));
  const out = Buffer.from(secret);
  secret.fill(0);
  return out;
}
