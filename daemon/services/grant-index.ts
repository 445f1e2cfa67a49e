/**
 * The grants held in memory (key → principal → operations), so the data-path check is two map
 * reads. Loaded from the grant table and reloaded through the change feed; it depends on nothing
 * but the repository, so KeyService takes its `check` at construction and GrantService (which needs
 * KeyService) writes through it.
 */
import type { GrantRepo, GrantRow } from '../store/grant-repo.js';
import type { Caller } from './caller.js';
import type { KeyRecord } from './key-record.js';

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

/** What a grant to the caller allows on a key: its operation, another operation only, or nothing. */
export type GrantAnswer = 'allow' | 'other-operation' | 'none';

export interface GrantCheck {
  check(caller: Caller, key: KeyRecord): GrantAnswer;
}

export function toGrant(r: GrantRow): Grant {
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

export const byAge = (a: Grant, b: Grant) => a.creationDate - b.creationDate || (a.grantId < b.grantId ? -1 : 1);

export class GrantIndex implements GrantCheck {
  private readonly byId = new Map<string, Grant>();
  /** keyId → principal (user id or domain id) → operations, the union over that principal's grants. */
  private readonly access = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly repo: Pick<GrantRepo, 'loadAll' | 'loadMany'>) {}

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

  /** Records a grant this daemon just wrote. */
  put(g: Grant): void {
    this.byId.set(g.grantId, g);
    this.rebuild(g.keyId);
  }

  /** Forgets a grant this daemon just deleted. */
  drop(g: Grant): void {
    this.byId.delete(g.grantId);
    this.rebuild(g.keyId);
  }

  get(grantId: string): Grant | undefined {
    return this.byId.get(grantId);
  }

  all(): IterableIterator<Grant> {
    return this.byId.values();
  }

  grantsOf(keyId: string): Grant[] {
    const out: Grant[] = [];
    for (const g of this.byId.values()) if (g.keyId === keyId) out.push(g);
    return out.sort(byAge);
  }

  /** The operations grants give the caller (as a user or through its account) on one key. */
  heldOperations(caller: Caller, keyId: string): Set<string> {
    const m = this.access.get(keyId);
    return new Set([...(m?.get(caller.userId) ?? []), ...(m?.get(caller.domainId) ?? [])]);
  }

  /**
   * The data-path check KeyService.find calls: does a grant to the caller (its user id, or its
   * account for domain grants) allow `caller.operation` on `key`? `other-operation` when grants
   * exist for the caller on this key but not for this operation.
   */
  check(caller: Caller, key: KeyRecord): GrantAnswer {
    if (this.access.size === 0) return 'none';
    const m = this.access.get(key.keyId);
    if (!m) return 'none';
    const op = caller.operation;
    const byUser = m.get(caller.userId);
    const byDomain = m.get(caller.domainId);
    if (op !== undefined && (byUser?.has(op) || byDomain?.has(op))) return 'allow';
    return byUser || byDomain ? 'other-operation' : 'none';
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
}
