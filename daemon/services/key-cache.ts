/**
 * Every key's metadata in memory, so the data path makes no database read. Changes made by this
 * daemon update it directly; changes made by other daemons on the same database arrive through
 * the change-event log, which `sync()` polls.
 */
import type { KeyRepo, KeyRow, TagRow } from '../store/key-repo.js';
import type { KeyRecord } from './key-record.js';

export class KeyCache {
  private readonly byId = new Map<string, KeyRecord>();
  private readonly byAlias = new Map<string, string>();

  constructor(
    private readonly repo: KeyRepo,
    /** Catches up with changes made elsewhere (the shared change feed). */
    readonly sync: () => Promise<unknown>,
  ) {}

  private static aliasKey(projectId: string, alias: string): string {
    return `${projectId}\u0000${alias}`;
  }

  /** Loads every key; call once at start, after the change feed has started. */
  async load(): Promise<void> {
    const { rows, tags } = await this.repo.loadAll();
    this.apply(rows, tags, []);
  }

  /** Reloads the given keys (changed elsewhere); keys no longer stored are dropped. */
  async reload(ids: string[]): Promise<void> {
    const { rows, tags } = await this.repo.loadMany(ids);
    const found = new Set(rows.map((r) => r.keyId));
    this.apply(rows, tags, ids.filter((id) => !found.has(id)));
  }

  private apply(rows: KeyRow[], tags: TagRow[], removed: string[]): void {
    const tagMap = new Map<string, Record<string, string>>();
    for (const t of tags) {
      let m = tagMap.get(t.keyId);
      if (!m) tagMap.set(t.keyId, (m = {}));
      m[t.tagKey] = t.tagValue;
    }
    for (const id of removed) this.remove(id);
    for (const row of rows) {
      // A reload that read the row before this daemon's own newer write must not undo it.
      const cached = this.byId.get(row.keyId);
      if (cached && cached.revision > row.revision) continue;
      this.put({ ...row, tags: tagMap.get(row.keyId) ?? {} });
    }
  }

  put(rec: KeyRecord): void {
    const old = this.byId.get(rec.keyId);
    if (old && old.keyAlias !== rec.keyAlias) {
      const ak = KeyCache.aliasKey(old.projectId, old.keyAlias);
      if (this.byAlias.get(ak) === old.keyId) this.byAlias.delete(ak);
    }
    this.byId.set(rec.keyId, rec);
    this.byAlias.set(KeyCache.aliasKey(rec.projectId, rec.keyAlias), rec.keyId);
  }

  remove(keyId: string): void {
    const old = this.byId.get(keyId);
    if (!old) return;
    this.byId.delete(keyId);
    const ak = KeyCache.aliasKey(old.projectId, old.keyAlias);
    if (this.byAlias.get(ak) === keyId) this.byAlias.delete(ak);
  }

  get(keyId: string): KeyRecord | undefined {
    return this.byId.get(keyId);
  }

  getByAlias(projectId: string, alias: string): KeyRecord | undefined {
    const id = this.byAlias.get(KeyCache.aliasKey(projectId, alias));
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** The keys of a project, oldest first (stable paging order). */
  listProject(projectId: string): KeyRecord[] {
    const out: KeyRecord[] = [];
    for (const k of this.byId.values()) if (k.projectId === projectId) out.push(k);
    return out.sort((a, b) => a.creationDate - b.creationDate || (a.keyId < b.keyId ? -1 : 1));
  }
}
