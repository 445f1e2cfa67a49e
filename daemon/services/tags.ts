/** Key tags (reference 1f): at most 10 a key, searchable across the project. */
import { kmsErrors } from '../errors.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import type { KeyRecord } from './key-record.js';

/** ASCII 0–31 and * < > \ = are not allowed in tag keys or values (reference 1f). */
export const FORBIDDEN_IN_TAGS = /[\u0000-\u001f*<>\\=]/;

export interface Tag {
  key: string;
  value: string;
}

export interface ResourceQuery {
  action: 'filter' | 'count';
  limit?: string | number;
  offset?: string | number;
  tags?: { key: string; values: string[] }[];
  matches?: { key: 'resource_name'; value: string }[];
}

function assertTag(t: Tag): void {
  const key = t.key.trim();
  if (key.length === 0 || [...key].length > 36 || FORBIDDEN_IN_TAGS.test(key)) throw kmsErrors.invalidTagKey();
  if ([...t.value].length > 43 || FORBIDDEN_IN_TAGS.test(t.value)) throw kmsErrors.invalidTagValue();
}

const toList = (k: KeyRecord): Tag[] => Object.entries(k.tags).map(([key, value]) => ({ key, value }));

export class TagService {
  constructor(private readonly keys: KeyService) {}

  async keyTags(caller: Caller, keyId: string): Promise<Tag[]> {
    return toList(await this.keys.resolve(caller, keyId));
  }

  async change(caller: Caller, keyId: string, action: 'create' | 'delete', tags: Tag[]): Promise<void> {
    if (action === 'create') {
      tags.forEach(assertTag);
      await this.keys.changeTags(caller, keyId, tags, []);
    } else {
      await this.keys.changeTags(caller, keyId, [], tags.map((t) => t.key));
    }
  }

  projectTags(caller: Caller): { key: string; values: string[] }[] {
    return tagKeysWithValues(this.keys.projectKeys(caller).map((k) => k.tags));
  }

  resourceInstances(caller: Caller, q: ResourceQuery): Record<string, unknown> {
    const matching = this.keys.projectKeys(caller).filter((k) => matchesQuery(q, k.tags, k.keyAlias));
    if (q.action === 'count') return { total_count: matching.length };
    const { limit, offset } = pageOf(q);
    return {
      resources: matching.slice(offset, offset + limit).map((k) => ({
        resource_id: k.keyId,
        resource_detail: this.keys.toDetails(k),
        resource_name: k.keyAlias,
        tags: toList(k),
      })),
      total_count: matching.length,
    };
  }
}

/** Every tag key with the values it takes across `tagMaps`, sorted (the project's tag list). */
export function tagKeysWithValues(tagMaps: Iterable<Readonly<Record<string, string>>>): { key: string; values: string[] }[] {
  const all = new Map<string, Set<string>>();
  for (const tags of tagMaps) {
    for (const [key, value] of Object.entries(tags)) {
      let s = all.get(key);
      if (!s) all.set(key, (s = new Set()));
      s.add(value);
    }
  }
  return [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, values]) => ({ key, values: [...values].sort() }));
}

/** Whether a resource with `tags` and `name` passes a resource-instances query (every tag filter, the name match). */
export function matchesQuery(q: ResourceQuery, tags: Readonly<Record<string, string>>, name: string): boolean {
  const match = q.matches?.[0]?.value;
  return (q.tags ?? []).every((t) => t.key in tags && (t.values.length === 0 || t.values.includes(tags[t.key]))) && (match === undefined || match === '' || name.includes(match));
}

/** A resource-instances query's page (10 from 0 unless given). */
export function pageOf(q: ResourceQuery): { limit: number; offset: number } {
  return { limit: q.limit === undefined ? 10 : Number(q.limit), offset: q.offset === undefined ? 0 : Number(q.offset) };
}
