/** Who is calling: established by the auth middleware, passed to every service call. */
export interface Caller {
  readonly domainId: string;
  readonly projectId: string;
  readonly userId: string;
  readonly accessKey: string;
  readonly roles: readonly string[];
  readonly sourceIp: string;
  /** The operation being performed (set for HTTP requests; grants match on it). */
  readonly operation?: string;
  /**
   * True when the caller's roles do not allow `operation` and only a grant on the key can
   * (services/authorization.ts). Absent for internal callers, which are trusted.
   */
  readonly grantOnly?: boolean;
  /** When the caller presented an `X-Auth-Token`: its expiry (epoch ms). A token it mints may not outlive it. */
  readonly tokenExpiresAtMs?: number;
}
