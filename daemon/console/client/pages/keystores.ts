/** Keystores (KMS on a dedicated HSM instance): the list with alias, type, state, instance and key count, paged by offset. */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { dataTable, formatTime, stateBadge } from '../widgets.js';
import { hsmHash, keystoreHash } from './hsms.js';
import { offsetPaged } from './marker-pages.js';

export interface Keystore {
  keystore_id: string;
  keystore_alias: string;
  keystore_type: string;
  hsm_cluster_id: string;
  keystore_state: string;
  key_count: number;
  create_time: string;
}

export const KEYSTORE_STATES = { ENABLED: 'ok', DISABLED: 'off' } as const;

export async function render(view: View): Promise<HTMLElement> {
  const list = await offsetPaged<Keystore>({
    label: 'Keystore pages',
    limit: 50,
    load: async (offset, limit) => {
      const a = await view.api<{ total: number; keystores: Keystore[] }>('GET', withQuery(projectPath('/keystores'), { limit, offset }));
      return { rows: a.keystores, more: offset + a.keystores.length < a.total };
    },
    table: (rows) =>
      dataTable({
        caption: 'Keystores',
        empty: 'No keystores yet.',
        rows,
        columns: [
          { label: 'Alias', cell: (k) => h('a', { href: keystoreHash(k.keystore_id) }, k.keystore_alias) },
          { label: 'State', cell: (k) => stateBadge(k.keystore_state, KEYSTORE_STATES) },
          { label: 'Type', cell: (k) => k.keystore_type },
          { label: 'HSM instance', cell: (k) => h('a', { href: hsmHash(k.hsm_cluster_id) }, k.hsm_cluster_id) },
          { label: 'Keys', cell: (k) => String(k.key_count) },
          { label: 'Created', cell: (k) => formatTime(k.create_time) },
        ],
      }),
  });
  return h('div', null, h('h1', null, 'Keystores'), list);
}
