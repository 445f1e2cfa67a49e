/** Stacks (`dew apply`'s state, kept by the daemon): each stack with its object count, serial, lock and last apply, paged by marker. */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { badge, dataTable, formatTime } from '../widgets.js';
import { offsetPaged } from './marker-pages.js';

export interface StackLock {
  id: string;
  who: string;
  operation: string;
  created_at: string;
}

interface StackItem {
  name: string;
  serial: number;
  lock: StackLock | null;
  object_count: number;
  last_applied_at: string | null;
  last_outcome: string | null;
}

export const stackHash = (name: string): string => `#/stacks/${encodeURIComponent(name)}`;

export const OUTCOMES = { applied: 'ok', failed: 'bad', interrupted: 'warn' } as const;

export function outcomeBadge(outcome: string): HTMLElement {
  return badge(outcome, (OUTCOMES as Record<string, 'ok' | 'bad' | 'warn'>)[outcome] ?? 'off');
}

export function lockText(lock: StackLock | null): string {
  return lock ? `Locked by ${lock.who} (${lock.operation}) since ${formatTime(lock.created_at)}` : 'Not locked';
}

export async function render(view: View): Promise<HTMLElement> {
  const list = await offsetPaged<StackItem>({
    label: 'Stack pages',
    limit: 100,
    load: async (offset, limit) => {
      const a = await view.api<{ stacks: StackItem[]; next_marker: string }>('GET', withQuery(projectPath('/dew/stacks'), { limit, marker: offset || undefined }));
      return { rows: a.stacks, more: a.next_marker !== '' };
    },
    table: (rows) =>
      dataTable({
        caption: 'Stacks',
        empty: 'No stacks yet: dew apply records the first one.',
        rows,
        columns: [
          { label: 'Stack', cell: (s) => h('a', { href: stackHash(s.name) }, s.name) },
          { label: 'Objects', cell: (s) => String(s.object_count) },
          { label: 'Serial', cell: (s) => String(s.serial) },
          { label: 'Last apply', cell: (s) => (s.last_applied_at ? [formatTime(s.last_applied_at), ' ', s.last_outcome ? outcomeBadge(s.last_outcome) : null] : '') },
          { label: 'Lock', cell: (s) => lockText(s.lock) },
        ],
      }),
  });
  return h('div', null, h('h1', null, 'Stacks'), h('p', { class: 'muted' }, 'The stacks dew apply manages, their objects, and the plan each last applied.'), list);
}
