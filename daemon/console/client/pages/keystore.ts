/** One keystore: its details and state, its HSM instance, and the keys kept in it (from list-keys, by keystore). */
import { h } from '../dom.js';
import { projectPath } from '../api.js';
import type { View } from '../view.js';
import { card, dataTable, details, formatTime, keyStateBadge, stateBadge } from '../widgets.js';
import { hsmHash } from './hsms.js';
import { KEYSTORE_STATES, type Keystore } from './keystores.js';
import { listKeys, type KeyDetail } from './keys.js';

/** The keys whose keystore is `id`, of every spec, walking list-keys to its end. */
async function keysIn(view: View, id: string): Promise<KeyDetail[]> {
  const out: KeyDetail[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 100; i++) {
    const a = await listKeys(view, { limit: '1000', marker });
    out.push(...a.key_details.filter((k) => k.keystore_id === id));
    if (a.truncated !== 'true' || !a.next_marker) break;
    marker = a.next_marker;
  }
  return out;
}

export async function render(view: View): Promise<HTMLElement> {
  const id = view.params.keystore_id ?? '';
  const { keystore: k } = await view.api<{ keystore: Keystore }>('GET', projectPath(`/keystores/${encodeURIComponent(id)}`));
  const keys = await keysIn(view, k.keystore_id);
  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/keystores' }, 'Keystores')),
    h('h1', null, `Keystore ${k.keystore_alias}`),
    card(
      'Details',
      details([
        ['Alias', k.keystore_alias],
        ['ID', h('code', null, k.keystore_id)],
        ['State', stateBadge(k.keystore_state, KEYSTORE_STATES)],
        ['Type', k.keystore_type],
        ['HSM instance', h('a', { href: hsmHash(k.hsm_cluster_id) }, k.hsm_cluster_id)],
        ['Keys', String(k.key_count)],
        ['Created', formatTime(k.create_time)],
      ]),
    ),
    card(
      'Keys in this keystore',
      dataTable({
        caption: 'Keys in this keystore',
        empty: 'No keys in this keystore.',
        rows: keys,
        columns: [
          { label: 'Alias', cell: (x) => h('a', { href: `#/keys/${encodeURIComponent(x.key_id)}` }, x.key_alias) },
          { label: 'State', cell: (x) => keyStateBadge(x.key_state) },
          { label: 'Spec', cell: (x) => x.key_spec },
          { label: 'Usage', cell: (x) => x.key_usage },
          { label: 'Description', cell: (x) => x.key_description },
          { label: 'Created', cell: (x) => formatTime(x.creation_date) },
        ],
      }),
    ),
  );
}
