/**
 * The audit trail of API calls: one record per call, allowed or refused (401s, 404s and validation
 * errors too). `open` starts a request's record before authentication with the declared route's
 * operation (`unknown-api` until a route matches), `bindCaller` ties it to the caller once known (so
 * services can find it), `close` records it once the response is known, unless a state change
 * already committed it in its own batch. `AuditTrail` is framework-neutral (the op lane uses it
 * directly); `auditTrail` wraps it as Hono middleware for API paths. Bodies are never read: no
 * plaintext, key material, data keys, secrets or signatures reach the trail.
 */
import type { MiddlewareHandler } from 'hono';
import type { IncomingMessage } from 'node:http';
import { DewError } from '../errors.js';
import { outcomeOf, type AuditDraft, type AuditSink } from '../services/audit.js';
import type { AppEnv } from './env.js';
import type { Caller } from '../services/caller.js';

export interface AuditTrailDeps {
  audit: AuditSink;
  now: () => number;
  /** Who an access key belongs to, for refused calls that carry a known AK. */
  ownerOf?: (accessKey: string) => { domainId: string; userId: string } | undefined;
}

const AK_IN_HEADER = /Access=([A-Za-z0-9]{1,64})/;

/** The route layer names the resource a request is about (an alias first, the key id once resolved). */
export function noteResource(draft: AuditDraft | undefined, keyId: unknown): void {
  if (draft && typeof keyId === 'string' && keyId.length > 0 && keyId.length <= 255) draft.resourceId = keyId;
}

function fillCaller(draft: AuditDraft, caller: Caller): void {
  draft.domainId = caller.domainId;
  draft.userId = caller.userId;
  draft.accessKey = caller.accessKey;
  draft.sourceIp = caller.sourceIp;
}

export class AuditTrail {
  constructor(private readonly deps: AuditTrailDeps) {
    if (!deps?.audit || typeof deps.now !== 'function') throw new TypeError('deps: audit and now are required');
  }

  /** A new draft for an API call; the route names its resource once the request is read. */
  open(operation: string, requestId: string): AuditDraft {
    return {
      at: this.deps.now(),
      requestId,
      domainId: '',
      userId: '',
      accessKey: '',
      sourceIp: '',
      operation,
      resourceId: '',
      outcome: 'allowed',
      status: 0,
      errorCode: '',
      committed: false,
    };
  }

  bindCaller(draft: AuditDraft | undefined, caller: Caller): void {
    if (!draft) return;
    fillCaller(draft, caller);
    this.deps.audit.bind(caller, draft);
  }

  /**
   * Records the call with its answer. `caller` is absent when the call was refused before one was
   * established: the record then keeps what the request claimed (the AK in `authorization` only).
   */
  close(draft: AuditDraft | undefined, caller: Caller | undefined, authorization: string | undefined, sourceIp: string, status: number, error: unknown): void {
    if (!draft || draft.committed) return;
    const deps = this.deps;
    if (caller) {
      fillCaller(draft, caller);
    } else {
      const ak = AK_IN_HEADER.exec(authorization ?? '')?.[1] ?? '';
      const owner = ak ? deps.ownerOf?.(ak) : undefined;
      draft.accessKey = ak;
      draft.domainId = owner?.domainId ?? '';
      draft.userId = owner?.userId ?? '';
      draft.sourceIp = sourceIp;
    }
    draft.status = status;
    draft.outcome = outcomeOf(status);
    draft.errorCode = error instanceof DewError ? error.code : status >= 500 ? 'KMS.0101' : status === 404 ? 'APIGW.0101' : '';
    deps.audit.record(draft);
  }
}

/** What an API call not matched by any route is recorded as. */
export const UNKNOWN_API = 'unknown-api';

/**
 * The trail as Hono middleware for calls under the API prefixes (`/v1.0/`, `/v3/`, …; never the
 * health and discovery documents): the draft is opened before routing, the matched route names its
 * operation (daemon/app.ts), and the record is closed with the answer.
 */
export function auditTrail(t: AuditTrail, prefixes: readonly string[]): MiddlewareHandler<AppEnv> {
  const heads = prefixes.map((p) => `/${p}/`);
  return async (c, next) => {
    const path = c.req.path;
    if (!heads.some((h) => path.startsWith(h))) return next();
    const draft = t.open(UNKNOWN_API, c.get('requestId') ?? '');
    c.set('audit', draft);
    await next();
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    t.close(draft, c.get('caller'), c.req.header('authorization'), incoming?.socket.remoteAddress ?? '', c.res.status, c.error);
  };
}
