/**
 * KMS aliases (reference 1g, as huaweicloud_kms_alias): `alias/…` names for a key, unique per
 * project, usable wherever a key_id is. Held in memory (O(1) lookup on the data path); changes made
 * by other daemons arrive through the change feed (kind 'alias').
 */
import { DewError, kmsErrors } from '../errors.js';
import { parseAliasEventId, type AliasRepo, type AliasRow } from '../store/alias-repo.js';
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

const slot = (projectId: string, alias: string) => `${projectId}\u0000${alias}`;

export class AliasService {
  private readonly byName = new Map<string, AliasRow>();

  constructor(
    private readonly repo: AliasRepo,
    private readonly keys: KeyService,
    private readonly opts: { region: string; now: () => number },
  ) {}

  async load(): Promise<void> {
    for (const r of await this.repo.loadAll()) this.byName.set(slot(r.projectId, r.alias), r);
  }

  /** Reloads aliases changed elsewhere (change-feed object ids `project_id:alias`). */
  async reload(ids: string[]): Promise<void> {
    for (const id of ids) {
      const { projectId, alias } = parseAliasEventId(id);
      const row = await this.repo.loadOne(projectId, alias);
      if (row) this.byName.set(slot(projectId, alias), row);
      else this.byName.delete(slot(projectId, alias));
    }
  }

  /** The key an alias names, for KeyService.find (synchronous, O(1)). */
  lookup(projectId: string, alias: string): string | undefined {
    return alias.startsWith('alias/') ? this.byName.get(slot(projectId, alias))?.keyId : undefined;
  }

  get(caller: Caller, alias: string): AliasRow | undefined {
    return this.byName.get(slot(caller.projectId, alias));
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
    if (!ALIAS_RE.test(alias)) throw new DewError('KMS.0308', 400, 'Invalid alias: it must start with "alias/" followed by 1 to 249 of A-Z a-z 0-9 : / _ -.');
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
    if (this.byName.has(slot(caller.projectId, alias)) || this.keys.find(caller, alias)) throw kmsErrors.aliasExists();
    const now = this.opts.now();
    const row: AliasRow = { projectId: caller.projectId, alias, keyId: k.keyId, domainId: k.domainId, createTime: now, updateTime: now, revision: 1 };
    if (!(await this.repo.insert(row, this.keys.auditHook(caller)))) throw kmsErrors.aliasExists();
    this.byName.set(slot(row.projectId, alias), row);
    return this.toEntity(row);
  }

  /** Deletes aliases of one key; all must exist and name that key, else nothing is deleted. Works while the key is pending deletion. */
  async delete(caller: Caller, keyId: string, aliases: string[]): Promise<void> {
    const k = this.keys.find(caller, keyId);
    if (!k) throw kmsErrors.notFound();
    for (const a of aliases) {
      const r = this.byName.get(slot(caller.projectId, a));
      if (!r || r.keyId !== k.keyId) throw new DewError('KMS.0207', 404, `The alias ${a} does not exist for key ${k.keyId}.`);
    }
    await this.repo.deleteMany(caller.projectId, k.keyId, aliases, this.keys.auditHook(caller));
    for (const a of aliases) this.byName.delete(slot(caller.projectId, a));
  }

  list(caller: Caller, keyId: string | undefined, limit: number, marker: number): { aliases: AliasEntity[]; page_info: { next_marker: string; current_count: number } } {
    let keyFilter: string | undefined;
    if (keyId) {
      const k = this.keys.find(caller, keyId);
      if (!k) throw kmsErrors.notFound();
      keyFilter = k.keyId;
    }
    const all: AliasRow[] = [];
    for (const r of this.byName.values()) if (r.projectId === caller.projectId && (!keyFilter || r.keyId === keyFilter)) all.push(r);
    all.sort((a, b) => a.createTime - b.createTime || (a.alias < b.alias ? -1 : 1));
    const page = all.slice(marker, marker + limit);
    const more = marker + page.length < all.length;
    return { aliases: page.map((r) => this.toEntity(r)), page_info: { next_marker: more ? String(marker + page.length) : '', current_count: page.length } };
  }

  /** Points an existing alias at another key of the project. */
  async associate(caller: Caller, alias: string, targetKeyId: string): Promise<AliasEntity> {
    this.assertName(alias);
    const r = this.byName.get(slot(caller.projectId, alias));
    if (!r) throw new DewError('KMS.0207', 404, `The alias ${alias} does not exist.`);
    const k = await this.usableKey(caller, targetKeyId);
    const now = this.opts.now();
    if (!(await this.repo.associate(caller.projectId, alias, k.keyId, now, this.keys.auditHook(caller)))) throw new DewError('KMS.0207', 404, `The alias ${alias} does not exist.`);
    const next: AliasRow = { ...r, keyId: k.keyId, updateTime: now, revision: r.revision + 1 };
    this.byName.set(slot(caller.projectId, alias), next);
    return this.toEntity(next);
  }
}
