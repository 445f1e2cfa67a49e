/** Who is calling: established by the auth middleware, passed to every service call. */
export interface Caller {
  readonly domainId: string;
  readonly projectId: string;
  readonly userId: string;
  readonly accessKey: string;
  readonly roles: readonly string[];
  readonly sourceIp: string;
}
