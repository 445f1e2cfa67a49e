/**
 * Key pairs (KPS): the list with name, type, fingerprint and whether dew manages the private key,
 * paged by marker; for a user allowed to manage, a create form (a generated key pair's private key
 * is offered for download once) and delete on each row.
 */
import { h, replaceChildren } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { badge, card, confirmDialog, dataTable, errorText, field, onSubmit } from '../widgets.js';
import { markerPaged } from './marker-pages.js';
import { privateKeyDownload, type PrivateKeyOffer } from './private-key-download.js';

export interface KeypairItem {
  name: string;
  type: string;
  scope?: string;
  fingerprint: string;
  is_key_protection: boolean;
  frozen_state?: number;
}

interface ListAnswer {
  keypairs: { keypair: KeypairItem }[];
  page_info: { next_marker?: string };
}

const ALGORITHMS = ['SSH_RSA_2048', 'SSH_RSA_3072', 'SSH_RSA_4096', 'SSH_ED25519', 'ECDSA_NISTP256', 'ECDSA_NISTP384', 'ECDSA_NISTP521'];

export const keypairHash = (name: string): string => `#/keypairs/${encodeURIComponent(name)}`;

/** Deletes a key pair after a confirmation; true when deleted. */
export async function deleteKeypair(view: View, name: string): Promise<boolean> {
  const ok = await confirmDialog({ title: `Delete the key pair ${name}?`, body: h('p', null, 'Hosts it is bound to keep their authorized key until it is unbound; a private key dew manages is deleted with it.'), confirmLabel: 'Delete', danger: true });
  if (!ok) return false;
  try {
    await view.api('DELETE', projectPath(`/keypairs/${encodeURIComponent(name)}`, 'v3'));
    view.notify(`Deleted the key pair ${name}.`, 'ok');
    return true;
  } catch (err) {
    view.notify(`The key pair ${name} was not deleted: ${errorText(err)}`, 'error');
    return false;
  }
}

function createForm(view: View, created: (name: string, privateKey: string | undefined) => void): HTMLElement {
  const name = h('input', { name: 'name', required: true, maxlength: 64, autocomplete: 'off', spellcheck: false, placeholder: 'KeyPair-01' });
  const algorithm = h('select', { name: 'algorithm' }, ALGORITHMS.map((a) => h('option', { value: a, selected: a === 'SSH_RSA_2048' }, a)));
  const description = h('input', { name: 'description', maxlength: 255, autocomplete: 'off' });
  const submit = h('button', { type: 'submit' }, 'Create key pair');
  const form = h('form', { class: 'filters', 'aria-label': 'Create a key pair' }, field('Name', name), field('Algorithm', algorithm), field('Description', description), submit);
  onSubmit(
    form,
    submit,
    () => {
      const body = { keypair: { name: name.value.trim(), algorithm: algorithm.value, ...(description.value ? { description: description.value } : {}) } };
      return view.api<{ keypair: { name: string; private_key?: string } }>('POST', projectPath('/keypairs', 'v3'), body).then((answer) => {
        const key = answer.keypair.private_key;
        delete answer.keypair.private_key;
        name.value = '';
        description.value = '';
        created(answer.keypair.name, key);
      });
    },
    (err) => view.notify(`The key pair was not created: ${errorText(err)}`, 'error'),
  );
  return form;
}

export async function render(view: View): Promise<HTMLElement> {
  const manage = view.session.can('manage');
  const offer = h('div', { 'data-testid': 'offer' });
  let current: PrivateKeyOffer | undefined;
  const listBox = h('div');
  const table = (rows: readonly KeypairItem[]) =>
    dataTable({
      caption: 'Key pairs',
      empty: 'No key pairs yet.',
      rows,
      columns: [
        { label: 'Name', cell: (k) => h('a', { href: keypairHash(k.name) }, k.name) },
        { label: 'Type', cell: (k) => k.type },
        { label: 'Fingerprint', cell: (k) => h('code', null, k.fingerprint) },
        { label: 'Private key', cell: (k) => (k.is_key_protection ? badge('Managed by dew', 'ok') : badge('Not kept', 'off')) },
        { label: 'Scope', cell: (k) => k.scope ?? '' },
        ...(manage
          ? [{ label: 'Actions', cell: (k: KeypairItem) => h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete key pair ${k.name}`, on: { click: () => void deleteKeypair(view, k.name).then((done) => done && void refresh()) } }, 'Delete') }]
          : []),
      ],
    });
  const refresh = async () => {
    replaceChildren(
      listBox,
      await markerPaged<KeypairItem>({
        label: 'Key pair pages',
        load: async (marker) => {
          const a = await view.api<ListAnswer>('GET', withQuery(projectPath('/keypairs', 'v3'), { limit: 50, marker }));
          return { rows: a.keypairs.map((k) => k.keypair), next: a.page_info.next_marker };
        },
        table,
      }),
    );
  };
  await refresh();
  return h(
    'div',
    null,
    h('h1', null, 'Key pairs'),
    offer,
    manage
      ? card(
          'Create a key pair',
          createForm(view, (name, privateKey) => {
            current?.drop();
            current = privateKey === undefined ? undefined : privateKeyDownload(name, privateKey);
            replaceChildren(offer, current?.box);
            view.notify(`Created the key pair ${name}.`, 'ok');
            void refresh();
          }),
        )
      : null,
    listBox,
  );
}
