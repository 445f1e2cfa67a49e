/**
 * Audit middleware: one record per API call, allowed or refused (401s and validation errors too).
 * `trail` runs before authentication and records once the response is known, unless a state change
 * already committed the record in its own batch; `bindCaller` runs after authentication so services
 * can find the request's record from its caller. Bodies are never read: no plaintext, key material,
 * data keys, secrets or signatures reach the trail.
 */
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { DewError } from '../errors.js';
import { accessFor } from '../services/authorization.js';
import { outcomeOf, type AuditDraft, type AuditLog } from '../services/audit.js';
import type { AppEnv } from './env.js';
import type { Caller } from '../services/caller.js';

export interface AuditTrailDeps {
  audit: AuditLog;
  now: () => number;
  /** Who an access key belongs to, for refused calls that carry a known AK. */
  ownerOf?: (accessKey: string) => { domainId: string; userId: string } | undefined;
  /** The key id an alias names for the caller (failed calls never answered with one). */
  keyIdOf?: (caller: Caller, keyIdOrAlias: string) => string | undefined;
}

const UUID = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/;

const KEY_IN_PATH = /^\/v1\.0\/[^/]+\/kms\/([0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12})\//;
const AK_IN_HEADER = /Access=([A-Za-z0-9]{1,64})/;

/** The route layer names the key a request is about (an alias first, the key id once resolved). */
export function noteResource(draft: AuditDraft | undefined, keyId: unknown): void {
  if (draft && typeof keyId === 'string' && keyId.length > 0 && keyId.length <= 255) draft.resourceId = keyId;
}

function fillCaller(draft: AuditDraft, caller: Caller): void {
  draft.domainId = caller.domainId;
  draft.userId = caller.userId;
  draft.accessKey = caller.accessKey;
  draft.sourceIp = caller.sourceIp;
}

function remoteAddress(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return '';
  }
}

export function auditTrail(deps: AuditTrailDeps): { trail: MiddlewareHandler<AppEnv>; bindCaller: MiddlewareHandler<AppEnv> } {
  if (!deps?.audit || typeof deps.now !== 'function') throw new TypeError('deps: audit and now are required');
  const { audit } = deps;
  const trail: MiddlewareHandler<AppEnv> = async (c, next) => {
    const path = c.req.path;
    // API calls only: /v1.0/{project_id}/… and /v3/auth/…; health and discovery documents are not.
    if (!(path.startsWith('/v1.0/') || path.startsWith('/v3/'))) return next();
    const draft: AuditDraft = {
      at: deps.now(),
      requestId: c.get('requestId') ?? '',
      domainId: '',
      userId: '',
      accessKey: '',
      sourceIp: '',
      operation: accessFor(c.req.method, path).operation,
      resourceId: KEY_IN_PATH.exec(path)?.[1] ?? '',
      outcome: 'allowed',
      status: 0,
      errorCode: '',
      committed: false,
    };
    c.set('audit', draft);
    await next();
    if (draft.committed) return;
    const caller = c.get('caller');
    if (caller) {
      fillCaller(draft, caller);
      if (draft.resourceId && !UUID.test(draft.resourceId) && deps.keyIdOf) {
        try {
          draft.resourceId = deps.keyIdOf(caller, draft.resourceId) ?? draft.resourceId;
        } catch {
          // a lookup refused for this caller: keep the name as given
        }
      }
    } else {
      // Refused before a caller was established: keep what the request claimed (the AK only).
      const ak = AK_IN_HEADER.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      const owner = ak ? deps.ownerOf?.(ak) : undefined;
      draft.accessKey = ak;
      draft.domainId = owner?.domainId ?? '';
      draft.userId = owner?.userId ?? '';
      draft.sourceIp = remoteAddress(c);
    }
    const status = c.res.status;
    draft.status = status;
    draft.outcome = outcomeOf(status);
    draft.errorCode = c.error instanceof DewError ? c.error.code : status >= 500 ? 'KMS.0101' : status === 404 ? 'APIGW.0101' : '';
    audit.record(draft);
  };
  const bindCaller: MiddlewareHandler<AppEnv> = async (c, next) => {
    const draft = c.get('audit');
    const caller = c.get('caller');
    if (draft && caller) {
      fillCaller(draft, caller);
      audit.bind(caller, draft);
    }
    return next();
  };
  return { trail, bindCaller };
}
