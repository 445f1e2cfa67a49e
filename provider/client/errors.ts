/** Errors of the daemon client: `DewApiError` for error responses (reference §3 shapes), `DewNetworkError` when no response came. */

/** An error response from the daemon; `code` is the reference code (e.g. `KMS.0207`, `APIGW.0301`). */
export class DewApiError extends Error {
  override readonly name = 'DewApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** The daemon could not be reached or the connection broke before a full response. */
export class DewNetworkError extends Error {
  override readonly name = 'DewNetworkError';
  readonly code = 'NETWORK';
  readonly hint: string;
  constructor(endpoint: string, options: { cause: unknown }) {
    super(`cannot reach the dew daemon at ${endpoint}`, options);
    this.hint = 'start the daemon with `dew daemon`, or check the endpoint in your credentials';
  }
}

/**
 * Maps an error response to `DewApiError`. Reads, like the Huawei SDK parser (§3): KMS
 * `{"error":{"error_code","error_msg"}}`, gateway/CSMS top-level `{"error_code","error_msg"}`, then `code`/`message`.
 */
export function toDewApiError(status: number, headers: Readonly<Record<string, string>>, body: unknown): DewApiError {
  if (!Number.isInteger(status)) throw new TypeError('status must be an integer');
  const top = isRecord(body) ? body : undefined;
  const nested = top !== undefined && isRecord(top.error) ? top.error : undefined;
  const pick = (o: Record<string, unknown> | undefined, code: string, msg: string): [string, string] | undefined =>
    o !== undefined && typeof o[code] === 'string' ? [o[code] as string, typeof o[msg] === 'string' ? (o[msg] as string) : ''] : undefined;
  const found =
    pick(nested, 'error_code', 'error_msg') ??
    pick(top, 'error_code', 'error_msg') ??
    pick(nested, 'code', 'message') ??
    pick(top, 'code', 'message');
  const [code, message] = found ?? [`HTTP.${status}`, typeof body === 'string' && body.length > 0 ? body.slice(0, 200) : `HTTP ${status}`];
  const requestId = headers['x-request-id'] ?? (top !== undefined && typeof top.request_id === 'string' ? top.request_id : undefined);
  return new DewApiError(status, code, message || `HTTP ${status}`, requestId);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
