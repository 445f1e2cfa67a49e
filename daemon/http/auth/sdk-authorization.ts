/** Parses the `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header (reference §7 step 10). */

export const SDK_ALGORITHM = 'SDK-HMAC-SHA256';

/** The parsed header. `signedHeaders` is kept verbatim: it is part of the canonical request (§7 step 7). */
export interface SdkAuthorization {
  readonly accessKey: string;
  readonly signedHeaders: string;
  readonly signedHeaderNames: readonly string[];
  /** The 64 hex digits sent, lowercase. */
  readonly signatureHex: string;
}

const PREFIX = SDK_ALGORITHM + ' ';
const MAX_HEADER_LENGTH = 4096;
const MAX_ACCESS_KEY_LENGTH = 128;
const MAX_SIGNED_HEADERS = 32;
const SIGNATURE_HEX_LENGTH = 64;
const LOWER_HEX = /^[0-9a-f]{64}$/;
const ANY_HEX = /^[0-9a-fA-F]{64}$/;

/** Returns undefined for anything that is not exactly one Access, SignedHeaders and Signature part. */
export function parseSdkAuthorization(value: string): SdkAuthorization | undefined {
  if (value.length > MAX_HEADER_LENGTH || !value.startsWith(PREFIX)) return undefined;
  let accessKey: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let pos = PREFIX.length;
  for (let part = 0; part < 3; part++) {
    while (value.charCodeAt(pos) === 0x20) pos++;
    let end = value.indexOf(',', pos);
    if (end < 0) end = value.length;
    else if (part === 2) return undefined;
    let last = end;
    while (last > pos && value.charCodeAt(last - 1) === 0x20) last--;
    if (accessKey === undefined && value.startsWith('Access=', pos)) accessKey = value.slice(pos + 7, last);
    else if (signedHeaders === undefined && value.startsWith('SignedHeaders=', pos)) signedHeaders = value.slice(pos + 14, last);
    else if (signature === undefined && value.startsWith('Signature=', pos)) signature = value.slice(pos + 10, last);
    else return undefined;
    pos = end + 1;
  }
  if (accessKey === undefined || signedHeaders === undefined || signature === undefined) return undefined;
  if (!isAccessKey(accessKey) || signature.length !== SIGNATURE_HEX_LENGTH) return undefined;
  const signatureHex = LOWER_HEX.test(signature) ? signature : ANY_HEX.test(signature) ? signature.toLowerCase() : undefined;
  if (signatureHex === undefined) return undefined;
  const signedHeaderNames = signedHeaders.split(';');
  if (signedHeaderNames.length > MAX_SIGNED_HEADERS) return undefined;
  for (const name of signedHeaderNames) {
    if (!isLowerHeaderName(name) || name === 'authorization') return undefined;
  }
  return { accessKey, signedHeaders, signedHeaderNames, signatureHex };
}

/** Visible ASCII without separators, so an AK can be logged and looked up safely. */
function isAccessKey(s: string): boolean {
  if (s.length === 0 || s.length > MAX_ACCESS_KEY_LENGTH) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x2c || c === 0x3b || c === 0x3d) return false;
  }
  return true;
}

/** §7 step 5: signed header names are lowercase HTTP tokens. */
function isLowerHeaderName(s: string): boolean {
  if (s.length === 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e;
    if (!ok) return false;
  }
  return true;
}
