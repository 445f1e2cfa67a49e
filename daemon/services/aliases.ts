/**
 * KMS aliases (reference 1g, as huaweicloud_kms_alias): `alias/…` names for a key, unique per
 * project, usable wherever a key_id is. Held in memory (O(1) lookup on the data path); changes made
 * by other daemons arrive through the change feed (kind 'alias').
 */
import { kmsErrors } from '../errors.js';
import type { AliasRepo, AliasRow } from '../store/alias-repo.js';
import type { AliasIndex } from './alias-index.js';
import type { Caller } from './caller.js';
import { KEY_STATE } from './key-record.js';
import type { KeyService } from './keys.js';

/** `alias/` then 1–249 of the reference alias characters (255 in all). */
export const ALIAS_RE = /^alias\/[a-zA-Z0-9:/_-]{1,249}$/;

export interface AliasEntity {
  domain_id: string;
  key_id: string;
  alias: string;
  alias_urn: string;
  create_time: string;
  update_time: string;
}

export class AliasService {
  constructor(
    private readonly index: AliasIndex,
    private readonly repo: AliasRepo,
    private readonly keys: KeyService,
    private readonly opts: { region: string; now: () => number },
  ) {}

  get(caller: Caller, alias: string): AliasRow | undefined {
    return this.index.get(caller.projectId, alias);
  }

  toEntity(r: AliasRow): AliasEntity {
    return {
      domain_id: r.domainId,
      key_id: r.keyId,
      alias: r.alias,
      alias_urn: `kms:${this.opts.region}:${r.domainId}:alias:${r.alias}`,
      create_time: new Date(r.createTime).toISOString(),
      update_time: new Date(r.updateTime).toISOString(),
    };
  }

  private assertName(alias: string): void {
    if (!ALIAS_RE.test(alias)) throw kmsErrors.invalidAs('alias', 'it must start with "alias/" followed by 1 to 249 of A-Z a-z 0-9 : / _ -');
  }

  private async usableKey(caller: Caller, keyId: string) {
    const k = await this.keys.resolve(caller, keyId);
    if (k.defaultKeyFlag) throw kmsErrors.defaultKey();
    if (k.keyState === KEY_STATE.pendingDeletion) throw kmsErrors.pendingDeletion();
    return k;
  }

  async create(caller: Caller, keyId: string, alias: string): Promise<AliasEntity> {
    this.assertName(alias);
    const k = await this.usableKey(caller, keyId);
    if (this.index.get(caller.projectId, alias) !== undefined || this.keys.find(caller, alias)) throw kmsErrors.aliasExists();
    const now = this.opts.now();
    const row: AliasRow = { projectId: caller.projectId, alias, keyId: k.keyId, domainId: k.domainId, createTime: now, updateTime: now, revision: 1 };
    if (!(await this.repo.insert(row, this.keys.auditHook(caller)))) throw kmsErrors.aliasExists();
    this.index.put(row);
    return this.toEntity(row);
  }

  /** Deletes aliases of one key; all must exist and name that key, else nothing is deleted. Works while the key is pending deletion. */
  async delete(caller: Caller, keyId: string, aliases: string[]): Promise<void> {
    const k = this.keys.find(caller, keyId);
    if (!k) throw kmsErrors.notFound();
    for (const a of aliases) {
      const r = this.index.get(caller.projectId, a);
      if (!r || r.keyId !== k.keyId) throw kmsErrors.aliasNotFound(a, k.keyId);
    }
    await this.repo.deleteMany(caller.projectId, k.keyId, aliases, this.keys.auditHook(caller));
    for (const a of aliases) this.index.drop(caller.projectId, a);
  }

  list(caller: Caller, keyId: string | undefined, limit: number, marker: number): { aliases: AliasEntity[]; page_info: { next_marker: string; current_count: number } } {
    let keyFilter: string | undefined;
    if (keyId) {
      const k = this.keys.find(caller, keyId);
      if (!k) throw kmsErrors.notFound();
      keyFilter = k.keyId;
    }
    const all: AliasRow[] = [];
    for (const r of this.index.all()) if (r.projectId === caller.projectId && (!keyFilter || r.keyId === keyFilter)) all.push(r);
    all.sort((a, b) => a.createTime - b.createTime || (a.alias < b.alias ? -1 : 1));
    const page = all.slice(marker, marker + limit);
    const more = marker + page.length < all.length;
    return { aliases: page.map((r) => this.toEntity(r)), page_info: { next_marker: more ? String(marker + page.length) : '', current_count: page.length } };
  }

  /** Points an existing alias at another key of the project. */
  async associate(caller: Caller, alias: string, targetKeyId: string): Promise<AliasEntity> {
    this.assertName(alias);
    const r = this.index.get(caller.projectId, alias);
    if (!r) throw kmsErrors.aliasNotFound(alias);
    const k = await this.usableKey(caller, targetKeyId);
    const now = this.opts.now();
    if (!(await this.repo.associate(caller.projectId, alias, k.keyId, now, this.keys.auditHook(caller)))) throw kmsErrors.aliasNotFound(alias);
    const next: AliasRow = { ...r, keyId: k.keyId, updateTime: now, revision: r.revision + 1 };
    this.index.put(next);
    return this.toEntity(next);
  }
}
