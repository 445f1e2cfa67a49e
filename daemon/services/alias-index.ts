/**
 * KMS aliases held in memory (project + alias → row), so a key_id naming an alias resolves with
 * one map read on the data path. Loaded from the alias table and reloaded through the change feed
 * (object ids `project_id:alias`); it depends on nothing but the repository, so KeyService takes
 * its `lookup` at construction and AliasService (which needs KeyService) writes through it.
 */
import { parseAliasEventId, type AliasRepo, type AliasRow } from '../store/alias-repo.js';

export interface AliasLookup {
  /** The key an alias names in a project (synchronous, O(1)); undefined for anything else. */
  lookup(projectId: string, alias: string): string | undefined;
}

const slot = (projectId: string, alias: string) => `${projectId}\u0000${alias}`;

export class AliasIndex implements AliasLookup {
  private readonly byName = new Map<string, AliasRow>();

  constructor(private readonly repo: Pick<AliasRepo, 'loadAll' | 'loadOne'>) {}

  async load(): Promise<void> {
    for (const r of await this.repo.loadAll()) this.put(r);
  }

  /** Reloads aliases changed elsewhere. */
  async reload(ids: string[]): Promise<void> {
    for (const id of ids) {
      const { projectId, alias } = parseAliasEventId(id);
      const row = await this.repo.loadOne(projectId, alias);
      if (row) this.put(row);
      else this.drop(projectId, alias);
    }
  }

  lookup(projectId: string, alias: string): string | undefined {
    return alias.startsWith('alias/') ? this.byName.get(slot(projectId, alias))?.keyId : undefined;
  }

  get(projectId: string, alias: string): AliasRow | undefined {
    return this.byName.get(slot(projectId, alias));
  }

  put(row: AliasRow): void {
    this.byName.set(slot(row.projectId, row.alias), row);
  }

  drop(projectId: string, alias: string): void {
    this.byName.delete(slot(projectId, alias));
  }

  all(): IterableIterator<AliasRow> {
    return this.byName.values();
  }
}
