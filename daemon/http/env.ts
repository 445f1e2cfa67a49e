/** Hono context variables set by the middleware and read by routes. */
import type { Caller } from '../services/caller.js';
import type { AuditDraft } from '../services/audit.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    caller: Caller;
    /** This request's audit record in progress (http/audit-trail.ts); the matched route names its operation and resource in it. */
    audit: AuditDraft | undefined;
  };
};
