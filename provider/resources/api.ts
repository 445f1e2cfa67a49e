/** The slice of the daemon client the provider needs; provider/client/dew-client.ts satisfies it. */

export interface DewApi {
  /** POST /v1.0/{project_id}/kms/{operation} with a JSON body; throws on an error answer. */
  kms(operation: string, body?: object): Promise<unknown>;
  /** Any call; the path may contain {project_id}; throws on an error answer. */
  request(method: string, path: string, body?: object, query?: Record<string, string>): Promise<{ status: number; headers: unknown; body: unknown }>;
}

/** Reads an error's HTTP status and code without depending on the client's error class. */
export function apiErrorStatus(e: unknown): { status?: number; code?: string } {
  if (typeof e === 'object' && e !== null) {
    const o = e as { status?: unknown; code?: unknown };
    return { status: typeof o.status === 'number' ? o.status : undefined, code: typeof o.code === 'string' ? o.code : undefined };
  }
  return {};
}
