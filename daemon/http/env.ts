/** Hono context variables set by the middleware and read by routes. */
import type { Caller } from '../services/caller.js';
import type { AuditDraft } from '../services/audit.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    /** The exact request body bytes (signatures are computed over them). */
    rawBody: Uint8Array;
    caller: Caller;
    /** This request's audit record in progress (http/audit-trail.ts); routes name the key in it. */
    audit: AuditDraft | undefined;
  };
};
