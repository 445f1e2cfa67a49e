/**
 * Reading the audit trail through the API: an account's records for its administrators, one key's
 * records and usage counts for the key's owner (its project), and verification for administrators.
 */
import { kmsErrors } from '../errors.js';
import type { AuditRepo, AuditRow } from '../store/audit-repo.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import { ROLE } from './authorization.js';
import { verifyTrail, type VerifyReport } from './audit-verify.js';

export interface AuditListInput {
  keyId?: string;
  since?: number;
  limit?: number;
  marker?: number;
  /** `desc`: newest first, the marker paging towards older records. */
  order?: string;
  /** Only records of these operations (comma-separated on the wire). */
  operations?: readonly string[];
}

/** At most this many operations in one `operation` filter, each at most `MAX_OPERATION` characters. */
const MAX_OPERATIONS = 20;
const MAX_OPERATION = 128;

/** The wire shape of a record (snake_case, as the rest of the API). */
export function toWire(r: AuditRow): Record<string, unknown> {
  return {
    seq: r.seq,
    time: new Date(r.at).toISOString(),
    at: r.at,
    chain_id: r.chainId,
    chain_seq: r.chainSeq,
    request_id: r.requestId,
    domain_id: r.domainId,
    user_id: r.userId,
    access_key: r.accessKey,
    source_ip: r.sourceIp,
    operation: r.operation,
    resource_id: r.resourceId,
    outcome: r.outcome,
    status: r.status,
    error_code: r.errorCode,
    hash: r.hash,
  };
}

/** Calls counted by outcome, and in all. */
export interface Counts {
  allowed: number;
  refused: number;
  failed: number;
  total: number;
}

function noCounts(): Counts {
  return { allowed: 0, refused: 0, failed: 0, total: 0 };
}

/** Adds `count` calls of `outcome` to `c` (an outcome outside the vocabulary counts in the total only). */
function tally(c: Counts, outcome: string, count: number): void {
  if (outcome === 'allowed' || outcome === 'refused' || outcome === 'failed') c[outcome] += count;
  c.total += count;
}

/** The most days `usage` counts one by one (a year). */
export const MAX_USAGE_DAYS = 366;

const DAY_MS = 86_400_000;

export class AuditQueries {
  constructor(
    private readonly repo: AuditRepo,
    private readonly keys: KeyService,
    /** Flushes this daemon's queued records first, so a caller sees its own latest calls. */
    private readonly flush: () => Promise<void>,
    /** The operator account (the bootstrap one): its administrators verify every account's chains. */
    private readonly isOperatorAccount: (domainId: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  private isAdmin(caller: Caller): boolean {
    return caller.roles.includes(ROLE.admin);
  }

  /**
   * Whose records about `keyId` the caller may read: every record when the key is in the caller's
   * project (a grant does not make another account's trail readable); for an administrator, the
   * records of their own account about any other key id (a destroyed key's records stay readable
   * that way, and another account's key shows only what this account did with it).
   */
  private async keyScope(caller: Caller, keyId: string): Promise<{ resourceId: string; strictDomainId?: string }> {
    const k = this.keys.find(caller, keyId);
    if (k && k.projectId === caller.projectId) return { resourceId: k.keyId };
    if (this.isAdmin(caller) && /^[0-9a-z-]{36}$/.test(keyId)) return { resourceId: keyId, strictDomainId: caller.domainId };
    throw kmsErrors.notFound();
  }

  async list(caller: Caller, q: AuditListInput): Promise<{ records: Record<string, unknown>[]; next_marker: string }> {
    const limit = q.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw kmsErrors.reference('KMS.1601');
    if (q.marker !== undefined && (!Number.isInteger(q.marker) || q.marker < 0)) throw kmsErrors.reference('KMS.1602');
    if (q.since !== undefined && !Number.isFinite(q.since)) throw kmsErrors.invalid('since: epoch milliseconds or an ISO 8601 time');
    if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') throw kmsErrors.invalid('order: asc (trail order, the default) or desc (newest first)');
    const newestFirst = q.order === 'desc';
    if (q.operations !== undefined && (q.operations.length > MAX_OPERATIONS || q.operations.some((o) => o.length === 0 || o.length > MAX_OPERATION))) {
      throw kmsErrors.invalid(`operation: up to ${MAX_OPERATIONS} operation names, comma-separated, each 1 to ${MAX_OPERATION} characters`);
    }
    let query;
    if (q.keyId !== undefined) {
      query = await this.keyScope(caller, q.keyId);
    } else {
      if (!this.isAdmin(caller)) throw kmsErrors.noApiPermission('only a KMS Administrator reads the whole account trail; pass key_id for one of your keys');
      query = { domainId: caller.domainId, projectId: caller.projectId };
    }
    await this.flush();
    const paging = newestFirst ? { newestFirst, beforeSeq: q.marker } : { afterSeq: q.marker };
    const rows = await this.repo.list({ ...query, since: q.since, ...paging, operations: q.operations, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { records: page.map(toWire), next_marker: rows.length > limit ? String(page[page.length - 1].seq) : '' };
  }

  /**
   * A key's usage: counts by operation and outcome over the whole trail; with `days`, also
   * `per_day`, the counts of each of the last `days` UTC days (oldest first, today last).
   */
  async usage(caller: Caller, keyId: string, days?: number): Promise<{ key_id: string; total: number; operations: Record<string, Counts>; per_day?: ({ day: string } & Counts)[] }> {
    if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_USAGE_DAYS)) throw kmsErrors.invalid(`days: an integer from 1 to ${MAX_USAGE_DAYS}`);
    const scope = await this.keyScope(caller, keyId);
    await this.flush();
    const perDay = days === undefined ? undefined : await this.perDay(scope, days);
    const operations: Record<string, Counts> = {};
    let total = 0;
    for (const u of await this.repo.usage(scope.resourceId, scope.strictDomainId)) {
      tally((operations[u.operation] ??= noCounts()), u.outcome, u.count);
      total += u.count;
    }
    return { key_id: scope.resourceId, total, operations, ...(perDay ? { per_day: perDay } : {}) };
  }

  private async perDay(scope: { resourceId: string; strictDomainId?: string }, days: number): Promise<({ day: string } & Counts)[]> {
    const today = Math.floor(this.now() / DAY_MS);
    const first = today - days + 1;
    const out = Array.from({ length: days }, (_, i) => ({ day: new Date((first + i) * DAY_MS).toISOString().slice(0, 10), ...noCounts() }));
    for (const u of await this.repo.usagePerDay(scope.resourceId, first * DAY_MS, scope.strictDomainId)) {
      const d = out[u.day - first];
      if (d) tally(d, u.outcome, u.count);
    }
    return out;
  }

  async verify(caller: Caller): Promise<VerifyReport> {
    // The report spans every account's chains (counts, and the first bad record's request id).
    if (!this.isAdmin(caller) || !this.isOperatorAccount(caller.domainId)) {
      throw kmsErrors.noApiPermission('only a KMS Administrator of the operator account verifies the trail (or run `dew audit verify` against the database)');
    }
    await this.flush();
    return verifyTrail(this.repo);
  }
}
