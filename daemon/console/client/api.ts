/**
 * The console's API client (console contract): the same HTTP API, roles and audit as any client.
 * The session token lives in this module's variable only (never storage, never a cookie) and is
 * sent as `X-Auth-Token`; a non-2xx answer throws ApiError parsed from the reference error shape.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

let token: string | undefined;
let projectId = '';
let onUnauthorized: ((err: ApiError) => void) | undefined;

/** Sets (or with undefined, forgets) the credential every call sends. */
export function setCredentials(t: string | undefined, project: string): void {
  token = t;
  projectId = project;
}

/** Called when the API refuses the session (401): the shell shows the signed-out screen. */
export function whenUnauthorized(fn: (err: ApiError) => void): void {
  onUnauthorized = fn;
}

/** `/v1.0/<project_id>` + path (`/kms/list-keys`); `version` for the services under `/v1` or `/v3`. */
export function projectPath(path: string, version: 'v1.0' | 'v1' | 'v3' = 'v1.0'): string {
  return `/${version}/${encodeURIComponent(projectId)}${path}`;
}

/** `path?name=value&…` leaving out undefined and empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

function errorOf(status: number, body: unknown, fallback: string): ApiError {
  const b = (body ?? {}) as { error_code?: unknown; error_msg?: unknown; error?: { error_code?: unknown; error_msg?: unknown; code?: unknown; message?: unknown } };
  const e = b.error && typeof b.error === 'object' ? b.error : b;
  const code = typeof e.error_code === 'string' ? e.error_code : typeof (e as { code?: unknown }).code === 'string' ? String((e as { code?: unknown }).code) : `HTTP.${status}`;
  const msg = typeof e.error_msg === 'string' ? e.error_msg : typeof (e as { message?: unknown }).message === 'string' ? String((e as { message?: unknown }).message) : fallback;
  return new ApiError(status, code, msg);
}

/** One API call; resolves to the JSON answer (undefined for an empty one). */
export async function api<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
  if (!path.startsWith('/') || path.startsWith('//')) throw new TypeError('api: path must be an absolute path on this daemon');
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers['X-Auth-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `The daemon did not answer (${(err as Error).message}). Is it still running?`);
  }
  const text = await res.text();
  let parsed: unknown;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const err = errorOf(res.status, parsed, `The daemon answered ${res.status}.`);
    if (res.status === 401 && token) onUnauthorized?.(err);
    throw err;
  }
  return parsed as T;
}

export type Api = typeof api;
