/** Secrets (CSMS): the list with name, state, type, description and times, paged by marker. Values are never fetched here. */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { dataTable, formatTime, stateBadge } from '../widgets.js';
import { markerPaged } from './marker-pages.js';

export interface SecretItem {
  id: string;
  name: string;
  state: string;
  secret_type: string;
  description: string;
  kms_key_id: string;
  create_time: number;
  update_time: number;
  scheduled_delete_time: number | null;
  auto_rotation?: boolean;
  rotation_period?: string;
  next_rotation_time?: number | null;
}

/** CSMS times are epoch seconds on the wire. */
export const csmsTime = (s: number | null | undefined): string => (typeof s === 'number' ? formatTime(s * 1000) : '');

export const SECRET_STATES = { ENABLED: 'ok', DISABLED: 'off', PENDING_DELETE: 'bad', FROZEN: 'warn' } as const;

export const secretHash = (name: string): string => `#/secrets/${encodeURIComponent(name)}`;

export async function render(view: View): Promise<HTMLElement> {
  const list = await markerPaged<SecretItem>({
    label: 'Secret pages',
    load: async (marker) => {
      const a = await view.api<{ secrets: SecretItem[]; page_info: { next_marker: string | null } }>('GET', withQuery(projectPath('/secrets', 'v1'), { limit: 50, marker }));
      return { rows: a.secrets, next: a.page_info.next_marker };
    },
    table: (rows) =>
      dataTable({
        caption: 'Secrets',
        empty: 'No secrets yet.',
        rows,
        columns: [
          { label: 'Name', cell: (s) => h('a', { href: secretHash(s.name) }, s.name) },
          { label: 'State', cell: (s) => stateBadge(s.state, SECRET_STATES) },
          { label: 'Type', cell: (s) => s.secret_type },
          { label: 'Description', cell: (s) => s.description },
          { label: 'Created', cell: (s) => csmsTime(s.create_time) },
          { label: 'Updated', cell: (s) => csmsTime(s.update_time) },
        ],
      }),
  });
  return h('div', null, h('h1', null, 'Secrets'), h('p', { class: 'muted' }, "A secret's value is shown only on its page, when you ask for it."), list);
}
