/** Key tags (reference 1f): at most 10 a key, searchable across the project. */
import { kmsErrors } from '../errors.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import type { KeyRecord } from './key-record.js';

/** ASCII 0–31 and * < > \ = are not allowed in tag keys or values (reference 1f). */
const FORBIDDEN = /[\u0000-\u001f*<>\\=]/;

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
  if (key.length === 0 || [...key].length > 36 || FORBIDDEN.test(key)) throw kmsErrors.invalidTagKey();
  if ([...t.value].length > 43 || FORBIDDEN.test(t.value)) throw kmsErrors.invalidTagValue();
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
    const all = new Map<string, Set<string>>();
    for (const k of this.keys.projectKeys(caller)) {
      for (const [key, value] of Object.entries(k.tags)) {
        let s = all.get(key);
        if (!s) all.set(key, (s = new Set()));
        s.add(value);
      }
    }
    return [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, values]) => ({ key, values: [...values].sort() }));
  }

  resourceInstances(caller: Caller, q: ResourceQuery): Record<string, unknown> {
    const name = q.matches?.[0]?.value;
    const matching = this.keys.projectKeys(caller).filter(
      (k) =>
        (q.tags ?? []).every((t) => t.key in k.tags && (t.values.length === 0 || t.values.includes(k.tags[t.key]))) &&
        (name === undefined || name === '' || k.keyAlias.includes(name)),
    );
    if (q.action === 'count') return { total_count: matching.length };
    const limit = q.limit === undefined ? 10 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
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
