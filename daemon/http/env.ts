/** Hono context variables set by the middleware and read by routes. */
import type { Caller } from '../services/caller.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    /** The exact request body bytes (signatures are computed over them). */
    rawBody: Uint8Array;
    caller: Caller;
  };
};
