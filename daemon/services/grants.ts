/**
 * KMS grants (reference 1d): operations on one key given to a user of the key's account or to a
 * whole account (domain). A grant adds permissions on that key on top of the caller's roles, so a
 * user without a role that allows encrypt-data may still encrypt with a key granted to them.
 * Held in memory (key → principal → operations) so the check is two map reads; reloaded through
 * the change feed, so a grant made or revoked on one daemon applies on all within the sync interval.
 */
import { randomBytes } from 'node:crypto';
import { DewError, kmsErrors } from '../errors.js';
import type { GrantRepo, GrantRow } from '../store/grant-repo.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import type { KeyRecord } from './key-record.js';
import { KEY_STATE } from './key-record.js';
import type { IdentityService } from './identity.js';

/** Reference §2 / SPEC quotas: 100 grants per key. */
export const GRANTS_PER_KEY = 100;

export type GranteeType = 'user' | 'domain';

export interface Grant {
  readonly grantId: string;
  readonly keyId: string;
  readonly domainId: string;
  readonly projectId: string;
  readonly granteePrincipal: string;
  readonly granteePrincipalType: GranteeType;
  readonly operations: readonly string[];
  readonly issuingPrincipal: string;
  readonly retiringPrincipal: string | null;
  readonly name: string | null;
  readonly creationDate: number;
}

export interface CreateGrantInput {
  key_id: string;
  grantee_principal: string;
  grantee_principal_type?: GranteeType;
  operations: string[];
  name?: string;
  retiring_principal?: string;
}

export interface GrantPage {
  grants: Record<string, unknown>[];
  next_marker: string;
  truncated: 'true' | 'false';
  total: number;
}

export const grantErrors = Object.freeze({
  onlyCreateGrant: () => new DewError('KMS.2401', 400, 'create-grant cannot be the only operation in a grant.'),
  invalidPrincipal: (what: string) => new DewError('KMS.2402', 400, `Invalid principal: ${what}.`),
  tooMany: () => new DewError('KMS.2404', 400, `No more grants can be created for the CMK: a key has at most ${GRANTS_PER_KEY} grants.`),
  notFound: () => new DewError('KMS.2501', 404, 'The grant does not exist.'),
  wrongKey: () => new DewError('KMS.2502', 400, 'The grant_id does not match the key_id.'),
});

function toGrant(r: GrantRow): Grant {
  return {
    grantId: r.grantId,
    keyId: r.keyId,
    domainId: r.domainId,
    projectId: r.projectId,
    granteePrincipal: r.granteePrincipal,
    granteePrincipalType: r.granteePrincipalType as GranteeType,
    operations: Object.freeze(JSON.parse(r.operations) as string[]),
    issuingPrincipal: r.issuingPrincipal,
    retiringPrincipal: r.retiringPrincipal,
    name: r.name,
    creationDate: r.creationDate,
  };
}

/** The reference's Grant object. */
export function toGrantView(g: Grant): Record<string, unknown> {
  return {
    key_id: g.keyId,
    grant_id: g.grantId,
    grantee_principal: g.granteePrincipal,
    grantee_principal_type: g.granteePrincipalType,
    operations: [...g.operations],
    issuing_principal: g.issuingPrincipal,
    creation_date: String(g.creationDate),
    name: g.name ?? '',
    retiring_principal: g.retiringPrincipal ?? '',
  };
}

function page(all: Grant[], limit: number | undefined, marker: number | undefined): GrantPage {
  const offset = marker ?? 0;
  const size = limit ?? GRANTS_PER_KEY;
  const slice = all.slice(offset, offset + size);
  const truncated = offset + slice.length < all.length;
  return { grants: slice.map(toGrantView), next_marker: truncated ? String(offset + slice.length) : '', truncated: truncated ? 'true' : 'false', total: all.length };
}

const byAge = (a: Grant, b: Grant) => a.creationDate - b.creationDate || (a.grantId < b.grantId ? -1 : 1);

export class GrantService {
  private readonly byId = new Map<string, Grant>();
  /** keyId → principal (user id or domain id) → operations, the union over that principal's grants. */
  private readonly access = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly repo: GrantRepo,
    private readonly keys: KeyService,
    private readonly identity: IdentityService,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    for (const r of await this.repo.loadAll()) this.byId.set(r.grantId, toGrant(r));
    for (const keyId of new Set([...this.byId.values()].map((g) => g.keyId))) this.rebuild(keyId);
  }

  /** Applies grants changed elsewhere (created, revoked, retired). */
  async reload(ids: string[]): Promise<void> {
    const rows = await this.repo.loadMany(ids);
    const touched = new Set<string>();
    for (const id of ids) {
      const old = this.byId.get(id);
      if (old) touched.add(old.keyId);
      this.byId.delete(id);
    }
    for (const r of rows) {
      this.byId.set(r.grantId, toGrant(r));
      touched.add(r.keyId);
    }
    for (const keyId of touched) this.rebuild(keyId);
  }

  private grantsOf(keyId: string): Grant[] {
    const out: Grant[] = [];
    for (const g of this.byId.values()) if (g.keyId === keyId) out.push(g);
    return out.sort(byAge);
  }

  private rebuild(keyId: string): void {
    const m = new Map<string, Set<string>>();
    for (const g of this.grantsOf(keyId)) {
      let ops = m.get(g.granteePrincipal);
      if (!ops) m.set(g.granteePrincipal, (ops = new Set()));
      for (const op of g.operations) ops.add(op);
    }
    if (m.size === 0) this.access.delete(keyId);
    else this.access.set(keyId, m);
  }

  /** The operations grants give the caller (as a user or through its account) on one key. */
  private heldOperations(caller: Caller, keyId: string): Set<string> {
    const m = this.access.get(keyId);
    return new Set([...(m?.get(caller.userId) ?? []), ...(m?.get(caller.domainId) ?? [])]);
  }

  /**
   * The data-path check KeyService.find calls: does a grant to the caller (its user id, or its
   * account for domain grants) allow `caller.operation` on `key`? `other-operation` when grants
   * exist for the caller on this key but not for this operation.
   */
  check = (caller: Caller, key: KeyRecord): 'allow' | 'other-operation' | 'none' => {
    if (this.access.size === 0) return 'none';
    const m = this.access.get(key.keyId);
    if (!m) return 'none';
    const op = caller.operation;
    const byUser = m.get(caller.userId);
    const byDomain = m.get(caller.domainId);
    if (op !== undefined && (byUser?.has(op) || byDomain?.has(op))) return 'allow';
    return byUser || byDomain ? 'other-operation' : 'none';
  };

  async create(caller: Caller, input: CreateGrantInput): Promise<{ grant_id: string }> {
    const key = await this.keys.resolve(caller, input.key_id);
    if (key.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    const operations = [...new Set(input.operations)];
    if (operations.length === 1 && operations[0] === 'create-grant') throw grantErrors.onlyCreateGrant();
    // A caller who reached the key through a grant (another account, or no role allowing
    // create-grant) can pass on only operations it holds itself: a grant never escalates.
    if (caller.grantOnly || key.projectId !== caller.projectId) {
      const held = this.heldOperations(caller, key.keyId);
      const extra = operations.filter((op) => !held.has(op));
      if (extra.length > 0) {
        throw new DewError('KMS.0306', 403, `The user has no permission to access the key: a grant can pass on only operations its grantee holds (not ${extra.join(', ')}).`);
      }
    }
    const type: GranteeType = input.grantee_principal_type ?? 'user';
    if (type === 'user') {
      const u = this.identity.user(input.grantee_principal);
      // A user grant stays inside the key's account; other accounts are reached by domain grants only.
      if (!u || u.domainId !== key.domainId) throw grantErrors.invalidPrincipal('grantee_principal is not a user of the key\u2019s account');
    } else if (!this.identity.account(input.grantee_principal)) {
      throw grantErrors.invalidPrincipal('grantee_principal is not an existing account (domain id)');
    }
    if (input.retiring_principal !== undefined && !this.identity.user(input.retiring_principal)) {
      throw grantErrors.invalidPrincipal('retiring_principal is not an existing user');
    }
    if (this.grantsOf(key.keyId).length >= GRANTS_PER_KEY) throw grantErrors.tooMany();
    const row: GrantRow = {
      grantId: randomBytes(32).toString('hex'),
      keyId: key.keyId,
      domainId: key.domainId,
      projectId: key.projectId,
      granteePrincipal: input.grantee_principal,
      granteePrincipalType: type,
      operations: JSON.stringify(operations),
      issuingPrincipal: caller.userId,
      retiringPrincipal: input.retiring_principal ?? null,
      name: input.name ?? null,
      creationDate: this.now(),
    };
    if (!(await this.repo.insert(row, GRANTS_PER_KEY, this.keys.auditHook(caller)))) throw grantErrors.tooMany();
    this.byId.set(row.grantId, toGrant(row));
    this.rebuild(key.keyId);
    return { grant_id: row.grantId };
  }

  async list(caller: Caller, keyId: string, limit?: number, marker?: number): Promise<GrantPage> {
    const key = await this.keys.resolve(caller, keyId);
    return page(this.grantsOf(key.keyId), limit, marker);
  }

  /** Grants, on any key, whose retiring principal is the caller. */
  listRetirable(caller: Caller, limit?: number, marker?: number): GrantPage {
    const mine = [...this.byId.values()].filter((g) => g.retiringPrincipal === caller.userId).sort(byAge);
    return page(mine, limit, marker);
  }

  /** revoke-grant: the key's owner (a manage role in the key's project). */
  async revoke(caller: Caller, keyId: string, grantId: string): Promise<void> {
    const key = await this.keys.resolve(caller, keyId);
    const g = this.byId.get(grantId);
    if (!g) throw grantErrors.notFound();
    if (g.keyId !== key.keyId) throw grantErrors.wrongKey();
    await this.remove(caller, g);
  }

  /** retire-grant: the grant's retiring principal or its grantee, from any account. */
  async retire(caller: Caller, keyId: string, grantId: string): Promise<void> {
    const g = this.byId.get(grantId);
    if (!g) throw grantErrors.notFound();
    const involved =
      g.retiringPrincipal === caller.userId ||
      (g.granteePrincipalType === 'user' ? g.granteePrincipal === caller.userId : g.granteePrincipal === caller.domainId);
    // Someone outside the grant learns nothing about it, unless they can see the key anyway.
    if (!involved) throw caller.projectId === g.projectId ? kmsErrors.noKeyPermission() : grantErrors.notFound();
    if (keyId !== g.keyId && this.findQuietly(caller, keyId) !== g.keyId) throw grantErrors.wrongKey();
    await this.remove(caller, g);
  }

  /** The key id an alias names for the caller, or undefined (never throws). */
  private findQuietly(caller: Caller, keyIdOrAlias: string): string | undefined {
    try {
      return this.keys.find({ ...caller, grantOnly: false }, keyIdOrAlias)?.keyId;
    } catch {
      return undefined;
    }
  }

  private async remove(caller: Caller, g: Grant): Promise<void> {
    await this.repo.delete(g.grantId, g.keyId, this.keys.auditHook(caller));
    this.byId.delete(g.grantId);
    this.rebuild(g.keyId);
  }

  /** For user-quotas: the most grants any one key of the project has. */
  mostGrantsPerKey(projectId: string): number {
    const counts = new Map<string, number>();
    for (const g of this.byId.values()) if (g.projectId === projectId) counts.set(g.keyId, (counts.get(g.keyId) ?? 0) + 1);
    let max = 0;
    for (const n of counts.values()) max = Math.max(max, n);
    return max;
  }
}
