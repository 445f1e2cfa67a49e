/**
 * Webhook delivery of CSMS event notifications: the target URL rule, the signature a delivery
 * carries and a receiver checks, and one HTTP POST with a deadline.
 *
 * Signature (dew's; the reference delivers through SMN and publishes none): the header
 *   X-Dew-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>
 * where key is the 32 bytes whose hex the event's create answer gave once (`signing_key`), and
 * body the exact bytes POSTed. A receiver recomputes it, compares in constant time and refuses a
 * `t` outside its tolerance (a replayed delivery). With openssl:
 *   printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$SIGNING_KEY
 * `X-Dew-Delivery` is the notification record id (the same on every retry: receivers deduplicate
 * on it) and `X-Dew-Event` the event type.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { csmsErrors } from '../../errors.js';

export const MAX_URL_LENGTH = 2048;

/** The URL a WEBHOOK target names, checked: http or https, a host, no user:password, no fragment. Throws CSMS.0002 on `field`. */
export function parseWebhookUrl(value: unknown, field = 'notification.target_id'): URL {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) throw csmsErrors.invalid(field, `an http or https URL of at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw csmsErrors.invalid(field, 'it is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw csmsErrors.invalid(field, 'the URL must be http or https');
  if (!url.hostname) throw csmsErrors.invalid(field, 'the URL has no host');
  // Credentials in a URL end up in listings, records and logs: the signature is the authentication.
  if (url.username || url.password) throw csmsErrors.invalid(field, 'the URL must not carry a user name or password (deliveries are signed instead)');
  if (url.hash) throw csmsErrors.invalid(field, 'the URL must not have a #fragment');
  return url;
}

function keyBytes(key: Uint8Array | string): Uint8Array {
  if (typeof key !== 'string') return key;
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(key)) throw new TypeError('key: hex expected');
  return Buffer.from(key, 'hex');
}

/** hex HMAC-SHA256(key, "<t>.<body>"). */
function mac(key: Uint8Array, t: number, body: string): string {
  return createHmac('sha256', key).update(`${t}.`).update(body, 'utf8').digest('hex');
}

/** The X-Dew-Signature value for `body` sent at `timeSec` (unix seconds). */
export function signDelivery(key: Uint8Array | string, body: string, timeSec: number): string {
  if (!Number.isSafeInteger(timeSec) || timeSec < 0) throw new TypeError('timeSec: unix seconds expected');
  if (typeof body !== 'string') throw new TypeError('body: string expected');
  return `t=${timeSec},v1=${mac(keyBytes(key), timeSec, body)}`;
}

/**
 * What a receiver runs: true when `header` (X-Dew-Signature) signs `body` under `key` (the hex
 * signing_key or its bytes) with a time within `toleranceSec` of `nowSec`. Any `v1` may match (a
 * header can carry several); a malformed header is false, never a throw.
 */
export function verifyDeliverySignature(key: Uint8Array | string, header: string, body: string, nowSec: number, toleranceSec: number): boolean {
  if (!Number.isFinite(nowSec) || !Number.isFinite(toleranceSec) || toleranceSec < 0) throw new TypeError('nowSec, toleranceSec: numbers expected');
  if (typeof header !== 'string' || typeof body !== 'string') return false;
  let t: number | undefined;
  const sigs: Buffer[] = [];
  for (const part of header.split(',')) {
    const m = /^\s*(t|v1)=([0-9a-fA-F]+)\s*$/.exec(part);
    if (!m) continue;
    if (m[1] === 't' && /^[0-9]{1,15}$/.test(m[2])) t = Number(m[2]);
    else if (m[1] === 'v1' && m[2].length === 64) sigs.push(Buffer.from(m[2], 'hex'));
  }
  if (t === undefined || sigs.length === 0 || Math.abs(nowSec - t) > toleranceSec) return false;
  const want = Buffer.from(mac(keyBytes(key), t, body), 'hex');
  let ok = false;
  for (const s of sigs) ok = timingSafeEqual(s, want) || ok;
  return ok;
}

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One POST: resolves to the HTTP status, rejects on a network error or the deadline (messages safe to record). */
export type WebhookSender = (req: WebhookRequest, timeoutMs: number) => Promise<number>;

/** The headers of one delivery attempt. */
export function deliveryHeaders(o: { key: Uint8Array; body: string; eventType: string; recordId: string; timeSec: number }): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'dew-csms-webhook/1',
    'X-Dew-Event': o.eventType,
    'X-Dew-Delivery': o.recordId,
    'X-Dew-Signature': signDelivery(o.key, o.body, o.timeSec),
  };
}

/** An error whose message names what failed without the target's answer or any header. */
export class WebhookError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'WebhookError';
  }
}

/**
 * The real sender: node's http/https client, no connection reuse, no redirects followed (a 3xx is
 * an answer like any other non-2xx), the response body discarded unread; the deadline covers the
 * whole exchange. The status line decides; the answer's body never reaches a record.
 */
export const sendWebhook: WebhookSender = (req, timeoutMs) =>
  new Promise<number>((resolve, reject) => {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('timeoutMs: a positive integer expected');
    const url = new URL(req.url);
    const body = Buffer.from(req.body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    let status: number | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const r = send(url, { method: 'POST', agent: false, headers: { ...req.headers, 'Content-Length': String(body.length) } }, (res) => {
      const code = res.statusCode ?? 0;
      status = code;
      res.resume();
      res.once('end', () => finish(() => resolve(code)));
      res.once('error', () => finish(() => resolve(code)));
    });
    const timer = setTimeout(() => {
      // An answer whose body is still coming when time is up: its status stands.
      const code = status;
      finish(() => (code === undefined ? reject(new WebhookError(`no answer within ${timeoutMs} ms`)) : resolve(code)));
      r.destroy();
    }, timeoutMs);
    r.once('error', (err: NodeJS.ErrnoException) => finish(() => reject(new WebhookError(`network error: ${err.code ?? err.name}`, err))));
    r.end(body);
  });
