/** Adapts a Fetch `Request` (what Hono hands a handler) to the signature verifier's input, keeping the path raw. */
import type { SdkSignedRequest } from './sdk-signature.js';

/**
 * `body` must be the exact bytes received (read them once with `arrayBuffer()` before parsing JSON).
 * The path and query are cut out of `request.url` as sent; Hono's `c.req.path` is decoded and must not be used.
 */
export function toSdkSignedRequest(request: Request, body: Uint8Array | string): SdkSignedRequest {
  if (typeof request?.url !== 'string') throw new TypeError('request must be a Fetch Request');
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('body must be a string or Uint8Array');
  const { path, rawQuery } = splitRequestUrl(request.url);
  const headers = request.headers;
  return {
    method: request.method,
    path,
    rawQuery,
    header: (name) => headers.get(name) ?? undefined,
    body,
  };
}

/** Splits an absolute URL (`scheme://authority/path?query#fragment`) into raw path and raw query. */
export function splitRequestUrl(url: string): { path: string; rawQuery: string } {
  if (typeof url !== 'string') throw new TypeError('url must be a string');
  const scheme = url.indexOf('://');
  let start = scheme < 0 ? 0 : url.indexOf('/', scheme + 3);
  if (start < 0) start = url.length;
  let end = url.indexOf('#', start);
  if (end < 0) end = url.length;
  const q = url.indexOf('?', start);
  if (q >= 0 && q < end) return { path: url.slice(start, q) || '/', rawQuery: url.slice(q + 1, end) };
  return { path: url.slice(start, end) || '/', rawQuery: '' };
}
