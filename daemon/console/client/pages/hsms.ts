/** Dedicated HSM instances: the list with name, specification, state, keystore and key count, paged by offset. */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { dataTable, formatTime, stateBadge } from '../widgets.js';
import { offsetPaged } from './marker-pages.js';

export interface HsmInstance {
  hsm_id: string;
  name: string;
  description: string;
  specification: string;
  status: string;
  keystore_id: string;
  key_count: number;
  create_time: number;
  update_time: number;
}

export const HSM_STATES = { RUNNING: 'ok', CREATING: 'warn', FROZEN: 'bad', ERROR: 'bad', DELETING: 'warn', CREATE_FAILED: 'bad' } as const;

export const hsmHash = (id: string): string => `#/hsm/${encodeURIComponent(id)}`;
export const keystoreHash = (id: string): string => `#/keystores/${encodeURIComponent(id)}`;

export async function render(view: View): Promise<HTMLElement> {
  const list = await offsetPaged<HsmInstance>({
    label: 'HSM instance pages',
    limit: 50,
    load: async (offset, limit) => {
      const a = await view.api<{ total: number; hsms: HsmInstance[] }>('GET', withQuery(projectPath('/dew/hsms', 'v1'), { limit, offset }));
      return { rows: a.hsms, more: offset + a.hsms.length < a.total };
    },
    table: (rows) =>
      dataTable({
        caption: 'HSM instances',
        empty: 'No HSM instances yet. Create one with `dew hsm create --name NAME --specification software --credential-file FILE --wait` (it writes the admin credential to FILE) or a dew_hsm_instance resource.',
        rows,
        columns: [
          { label: 'Name', cell: (x) => h('a', { href: hsmHash(x.hsm_id) }, x.name) },
          { label: 'State', cell: (x) => stateBadge(x.status, HSM_STATES) },
          { label: 'Specification', cell: (x) => x.specification },
          { label: 'Keystore', cell: (x) => (x.keystore_id ? h('a', { href: keystoreHash(x.keystore_id) }, x.keystore_id) : '') },
          { label: 'Keys', cell: (x) => String(x.key_count) },
          { label: 'Description', cell: (x) => x.description },
          { label: 'Created', cell: (x) => formatTime(x.create_time) },
        ],
      }),
  });
  return h('div', null, h('h1', null, 'HSM instances'), list);
}
