/**
 * KMS grants (reference 1d): operations on one key given to a user of the key's account or to a
 * whole account (domain). A grant adds permissions on that key on top of the caller's roles, so a
 * user without a role that allows encrypt-data may still encrypt with a key granted to them.
 * Held in memory (key → principal → operations) so the check is two map reads; reloaded through
 * the change feed, so a grant made or revoked on one daemon applies on all within the sync interval.
 */
import { randomBytes } from 'node:crypto';
import { grantErrors, kmsErrors } from '../errors.js';
import type { GrantRepo, GrantRow } from '../store/grant-repo.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import { KEY_STATE } from './key-record.js';
import type { IdentityService } from './identity.js';
import { byAge, toGrant, type Grant, type GrantIndex, type GranteeType } from './grant-index.js';

export type { Grant, GranteeType } from './grant-index.js';

/** Reference §2 / SPEC quotas: 100 grants per key. */
export const GRANTS_PER_KEY = 100;

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

export class GrantService {
  constructor(
    private readonly index: GrantIndex,
    private readonly repo: GrantRepo,
    private readonly keys: KeyService,
    private readonly identity: IdentityService,
    private readonly now: () => number,
  ) {}

  async create(caller: Caller, input: CreateGrantInput): Promise<{ grant_id: string }> {
    const key = await this.keys.resolve(caller, input.key_id);
    if (key.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    const operations = [...new Set(input.operations)];
    if (operations.length === 1 && operations[0] === 'create-grant') throw grantErrors.onlyCreateGrant();
    // A caller who reached the key through a grant (another account, or no role allowing
    // create-grant) can pass on only operations it holds itself: a grant never escalates.
    if (caller.grantOnly || key.projectId !== caller.projectId) {
      const held = this.index.heldOperations(caller, key.keyId);
      const extra = operations.filter((op) => !held.has(op));
      if (extra.length > 0) {
        throw grantErrors.escalation(extra);
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
    if (this.index.grantsOf(key.keyId).length >= GRANTS_PER_KEY) throw grantErrors.tooMany(GRANTS_PER_KEY);
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
    if (!(await this.repo.insert(row, GRANTS_PER_KEY, this.keys.auditHook(caller)))) throw grantErrors.tooMany(GRANTS_PER_KEY);
    this.index.put(toGrant(row));
    return { grant_id: row.grantId };
  }

  async list(caller: Caller, keyId: string, limit?: number, marker?: number): Promise<GrantPage> {
    const key = await this.keys.resolve(caller, keyId);
    return page(this.index.grantsOf(key.keyId), limit, marker);
  }

  /** Grants, on any key, whose retiring principal is the caller. */
  listRetirable(caller: Caller, limit?: number, marker?: number): GrantPage {
    const mine = [...this.index.all()].filter((g) => g.retiringPrincipal === caller.userId).sort(byAge);
    return page(mine, limit, marker);
  }

  /** revoke-grant: the key's owner (a manage role in the key's project). */
  async revoke(caller: Caller, keyId: string, grantId: string): Promise<void> {
    const key = await this.keys.resolve(caller, keyId);
    const g = this.index.get(grantId);
    if (!g) throw grantErrors.notFound();
    if (g.keyId !== key.keyId) throw grantErrors.wrongKey();
    await this.remove(caller, g);
  }

  /** retire-grant: the grant's retiring principal or its grantee, from any account. */
  async retire(caller: Caller, keyId: string, grantId: string): Promise<void> {
    const g = this.index.get(grantId);
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
    this.index.drop(g);
  }

  /** For user-quotas: the most grants any one key of the project has. */
  mostGrantsPerKey(projectId: string): number {
    const counts = new Map<string, number>();
    for (const g of this.index.all()) if (g.projectId === projectId) counts.set(g.keyId, (counts.get(g.keyId) ?? 0) + 1);
    let max = 0;
    for (const n of counts.values()) max = Math.max(max, n);
    return max;
  }
}
