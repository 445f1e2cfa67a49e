/** One dedicated HSM instance: its details and state, and the keystore on it. The admin credential is never shown (the daemon answers it once, at creation). */
import { h } from '../dom.js';
import { projectPath } from '../api.js';
import type { View } from '../view.js';
import { card, details, formatTime, stateBadge } from '../widgets.js';
import { HSM_STATES, keystoreHash, type HsmInstance } from './hsms.js';

export async function render(view: View): Promise<HTMLElement> {
  const id = view.params.hsm_id ?? '';
  const { hsm } = await view.api<{ hsm: HsmInstance }>('GET', projectPath(`/dew/hsms/${encodeURIComponent(id)}`, 'v1'));
  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/hsm' }, 'HSM instances')),
    h('h1', null, `HSM instance ${hsm.name}`),
    card(
      'Details',
      details([
        ['Name', hsm.name],
        ['ID', h('code', null, hsm.hsm_id)],
        ['State', stateBadge(hsm.status, HSM_STATES)],
        ['Specification', hsm.specification],
        ['Description', hsm.description],
        ['Keystore', hsm.keystore_id ? h('a', { href: keystoreHash(hsm.keystore_id) }, hsm.keystore_id) : 'None: create a keystore on this instance to keep keys in it.'],
        ['Keys', String(hsm.key_count)],
        ['Created', formatTime(hsm.create_time)],
        ['Updated', formatTime(hsm.update_time)],
      ]),
    ),
  );
}
