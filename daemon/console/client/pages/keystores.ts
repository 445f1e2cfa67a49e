/**
 * Keystores (KMS on a dedicated HSM instance): the list with alias, type, state, instance and key
 * count, paged by offset. Callers whose roles allow `manage` get a form that makes a keystore on a
 * RUNNING instance that has none yet (create-keystore; the new keystore's page opens).
 */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { dataTable, errorText, field, formatTime, notice, onSubmit, stateBadge } from '../widgets.js';
import { hsmHash, keystoreHash, type HsmInstance } from './hsms.js';
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

/** The instances a keystore can be made on: RUNNING, with no keystore yet (list-hsms pages 100 at a time). */
async function freeInstances(view: View): Promise<HsmInstance[]> {
  const out: HsmInstance[] = [];
  for (let offset = 0; offset < 10_000; ) {
    const a = await view.api<{ total: number; hsms: HsmInstance[] }>('GET', withQuery(projectPath('/dew/hsms', 'v1'), { limit: 100, offset }));
    out.push(...a.hsms.filter((x) => x.status === 'RUNNING' && !x.keystore_id));
    offset += a.hsms.length;
    if (a.hsms.length === 0 || offset >= a.total) break;
  }
  return out;
}

async function createForm(view: View): Promise<HTMLElement> {
  let free: HsmInstance[];
  try {
    free = await freeInstances(view);
  } catch (err) {
    return notice(`The HSM instances could not be read: ${errorText(err)}`, 'error');
  }
  if (free.length === 0) return h('p', { class: 'muted' }, 'A keystore is made on a running HSM instance that has none yet; there is no such instance now (create one with `dew hsm create`).');
  const alias = h('input', { name: 'keystore_alias', required: true, maxlength: 255, autocomplete: 'off', spellcheck: false });
  const instance = h('select', { name: 'hsm_cluster_id' }, free.map((x) => h('option', { value: x.hsm_id }, `${x.name} (${x.hsm_id})`)));
  const submit = h('button', { type: 'submit' }, 'Create keystore');
  const form = h('form', { class: 'filters', 'aria-label': 'Create a keystore' }, field('Alias', alias), field('HSM instance', instance), submit);
  onSubmit(
    form,
    submit,
    () => {
      const name = alias.value.trim();
      return view
        .api<{ keystore: { keystore_id: string } }>('POST', projectPath('/keystores'), { keystore_alias: name, hsm_cluster_id: instance.value })
        .then((a) => view.navigate(keystoreHash(a.keystore.keystore_id), { message: `The keystore ${name} is created.`, kind: 'ok' }));
    },
    (err) => view.notify(`The keystore was not created: ${errorText(err)}`, 'error'),
  );
  return form;
}

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
  return h('div', null, h('h1', null, 'Keystores'), view.session.can('manage') ? await createForm(view) : null, list);
}
