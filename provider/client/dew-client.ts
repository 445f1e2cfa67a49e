/** Typed HTTP client for the dew daemon: signs (AK/SK) or carries a token, maps error bodies, retries idempotent calls. */
import { DewNetworkError, toDewApiError } from './errors.js';
import { backoffMs, retryKind, shouldRetry } from './retry.js';
import { signRequest } from './signer.js';

interface Common {
  readonly endpoint: string;
  readonly projectId: string;
  /** Test seams: all default to the real thing. */
  readonly fetch?: typeof fetch;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Per attempt; default 30 s. */
  readonly timeoutMs?: number;
}

export type DewClientOptions =
  | (Common & { readonly accessKey: string; readonly secretKey: string })
  | (Common & { readonly token: string });

export type QueryValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

export interface DewResponse {
  readonly status: number;
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, text when not JSON, undefined when empty. */
  readonly body: unknown;
}

const OPERATION = /^[a-z0-9][a-z0-9-]*$/;
const DEFAULT_TIMEOUT_MS = 30_000;

export class DewClient {
  readonly #endpoint: string;
  readonly #projectId: string;
  readonly #auth: { readonly accessKey: string; readonly secretKey: string } | { readonly token: string };
  readonly #fetch: typeof fetch;
  readonly #clock: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #timeoutMs: number;

  constructor(opts: DewClientOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('opts must be an object');
    if (typeof opts.endpoint !== 'string' || !/^https?:\/\/[^/]/.test(opts.endpoint)) throw new TypeError('opts.endpoint must be an http(s) URL');
    if (typeof opts.projectId !== 'string' || opts.projectId.length === 0) throw new TypeError('opts.projectId must be a non-empty string');
    if ('token' in opts) {
      if (typeof opts.token !== 'string' || opts.token.length === 0) throw new TypeError('opts.token must be a non-empty string');
      this.#auth = { token: opts.token };
    } else {
      if (typeof opts.accessKey !== 'string' || opts.accessKey.length === 0) throw new TypeError('opts.accessKey must be a non-empty string');
      if (typeof opts.secretKey !== 'string' || opts.secretKey.length === 0) throw new TypeError('opts.secretKey must be a non-empty string');
      this.#auth = { accessKey: opts.accessKey, secretKey: opts.secretKey };
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new TypeError('opts.timeoutMs must be positive');
    this.#endpoint = opts.endpoint.replace(/\/+$/, '');
    this.#projectId = opts.projectId;
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#clock = opts.clock ?? Date.now;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    this.#random = opts.random ?? Math.random;
    this.#timeoutMs = timeoutMs;
  }

  /** A KMS operation: POST `/v1.0/{project_id}/kms/{operation}` with a JSON body; returns the parsed body. */
  async kms(operation: string, body: object = {}): Promise<unknown> {
    if (typeof operation !== 'string' || !OPERATION.test(operation)) throw new TypeError('operation must be a kebab-case KMS operation name');
    if (typeof body !== 'object' || body === null) throw new TypeError('body must be an object');
    return (await this.request('POST', `/v1.0/{project_id}/kms/${operation}`, body)).body;
  }

  /**
   * Any call; `{project_id}` in `path` is filled in. Throws DewApiError for status ≥ 400, DewNetworkError without a response.
   * `extraHeaders` are sent besides the signed ones (an instance credential, `X-Hsm-Credential`); they are not signed.
   */
  async request(method: string, path: string, body?: object, query?: Readonly<Record<string, QueryValue | undefined>>, extraHeaders?: Readonly<Record<string, string>>): Promise<DewResponse> {
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) throw new TypeError('method must be an HTTP method');
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('path must start with /');
    const m = method.toUpperCase();
    const url = this.#endpoint + path.replaceAll('{project_id}', encodeURIComponent(this.#projectId)) + toQueryString(query);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const kind = retryKind(m, path);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(m, url, payload, extraHeaders);
      if ('response' in outcome) {
        const r = outcome.response;
        if (r.status < 400) return r;
        if (!shouldRetry(kind, attempt, { status: r.status })) throw toDewApiError(r.status, r.headers, r.body);
      } else if (!shouldRetry(kind, attempt, { networkError: true, afterResponse: outcome.afterResponse })) {
        throw new DewNetworkError(this.#endpoint, { cause: outcome.error });
      }
      await this.#sleep(backoffMs(attempt, this.#random));
    }
  }

  /** One try, signed afresh (new X-Sdk-Date). Failures are returned, split by whether a response had begun. */
  async #attempt(method: string, url: string, payload: string | undefined, extra?: Readonly<Record<string, string>>): Promise<{ response: DewResponse } | { error: unknown; afterResponse: boolean }> {
    const signed = this.#headers(method, url, payload);
    const init = { method, headers: extra ? { ...extra, ...signed } : signed, body: payload, signal: AbortSignal.timeout(this.#timeoutMs) };
    let response: Response;
    try {
      response = await this.#fetch(url, init);
    } catch (error) {
      return { error, afterResponse: false };
    }
    try {
      const text = await response.text();
      return { response: { status: response.status, headers: headersOf(response), body: parseBody(text) } };
    } catch (error) {
      return { error, afterResponse: true };
    }
  }

  #headers(method: string, url: string, payload: string | undefined): Record<string, string> {
    // Reference §0: the SDKs send `application/json;charset=UTF-8` with a body, `application/json` without.
    const headers: Record<string, string> = {
      'Content-Type': payload === undefined ? 'application/json' : 'application/json;charset=UTF-8',
      Accept: 'application/json',
      'X-Project-Id': this.#projectId,
    };
    if ('token' in this.#auth) return { ...headers, 'X-Auth-Token': this.#auth.token };
    return { ...headers, ...signRequest({ method, url, headers, body: payload }, this.#auth, this.#clock) };
  }
}

function toQueryString(query: Readonly<Record<string, QueryValue | undefined>> | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, String(one));
  }
  const s = params.toString();
  return s.length === 0 ? '' : `?${s}`;
}

function headersOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
