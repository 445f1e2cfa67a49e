/** The slice of the daemon client the provider needs; provider/client/dew-client.ts satisfies it. */

export interface DewApi {
  /** POST /v1.0/{project_id}/kms/{operation} with a JSON body; throws on an error answer. */
  kms(operation: string, body?: object): Promise<unknown>;
  /** Any call; the path may contain {project_id}; `headers` adds request headers (X-Hsm-Credential); throws on an error answer. */
  request(method: string, path: string, body?: object, query?: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; headers: unknown; body: unknown }>;
}

/**
 * Reads an error's HTTP status and code without depending on the client's error class; through `cause`
 * too, as the commands' session wraps the client's errors in CliErrors (commands/session.ts).
 */
export function apiErrorStatus(e: unknown): { status?: number; code?: string } {
  for (let x = e, depth = 0; typeof x === 'object' && x !== null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const o = x as { status?: unknown; code?: unknown };
    if (typeof o.status === 'number') return { status: o.status, code: typeof o.code === 'string' ? o.code : undefined };
  }
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : undefined };
  }
  return {};
}
