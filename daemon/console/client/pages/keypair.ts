/**
 * One key pair (KPS): name, type, algorithm, fingerprint, public key (with copy), description,
 * created, whether dew manages the private key, and the hosts it is bound to; delete for a user
 * allowed to manage.
 */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { badge, card, copyButton, dataTable, details, formatTime } from '../widgets.js';
import { deleteKeypair } from './keypairs.js';

interface KeypairDetail {
  name: string;
  type: string;
  algorithm?: string;
  scope?: string;
  public_key: string;
  fingerprint: string;
  is_key_protection: boolean;
  description?: string;
  user_id?: string;
  create_time?: number;
  update_time?: number;
  frozen_state?: number;
  key_id?: string;
}

interface Host {
  id: string;
  name: string;
  address: string;
  port: number;
  username: string;
  keypair_name: string | null;
  host_key_fingerprint: string | null;
  update_time?: number;
}

/** Every host (paged by offset) bound to the key pair `name`. */
async function boundHosts(view: View, name: string): Promise<Host[]> {
  const out: Host[] = [];
  for (let offset = 0; ; offset += 1000) {
    const a = await view.api<{ total: number; hosts: Host[] }>('GET', withQuery(projectPath('/hosts', 'v3'), { limit: 1000, offset }));
    out.push(...a.hosts.filter((x) => x.keypair_name === name));
    if (a.hosts.length < 1000 || offset + 1000 >= a.total) return out;
  }
}

export async function render(view: View): Promise<HTMLElement> {
  const name = view.params.name ?? '';
  const { keypair: k } = await view.api<{ keypair: KeypairDetail }>('GET', projectPath(`/keypairs/${encodeURIComponent(name)}`, 'v3'));
  const hosts = await boundHosts(view, k.name);
  const actions = view.session.can('manage')
    ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', on: { click: () => void deleteKeypair(view, k.name).then((done) => done && view.navigate('#/keypairs')) } }, 'Delete key pair'))
    : null;
  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/keypairs' }, 'Key pairs')),
    h('h1', null, `Key pair ${k.name}`),
    actions,
    card(
      'Details',
      details([
        ['Name', k.name],
        ['Type', k.type],
        ['Algorithm', k.algorithm ?? ''],
        ['Scope', k.scope ?? ''],
        ['Fingerprint', h('code', null, k.fingerprint)],
        ['Private key', k.is_key_protection ? badge('Managed by dew', 'ok') : badge('Not kept by dew', 'off')],
        ['Description', k.description ?? ''],
        ['Created', formatTime(k.create_time)],
        ['Updated', formatTime(k.update_time)],
        ['Frozen', k.frozen_state ? 'Yes' : 'No'],
      ]),
    ),
    card(
      'Public key',
      h('pre', { 'data-testid': 'public-key' }, h('code', null, k.public_key)),
      h('div', { class: 'actions' }, copyButton(() => k.public_key, (ok) => view.notify(ok ? 'Copied the public key.' : 'The browser refused the clipboard.', ok ? 'ok' : 'error'), 'Copy public key')),
    ),
    card(
      'Bound hosts',
      dataTable({
        caption: 'Hosts this key pair is bound to',
        empty: 'Not bound to any host.',
        rows: hosts,
        columns: [
          { label: 'Host', cell: (x) => x.name },
          { label: 'Address', cell: (x) => h('code', null, `${x.username}@${x.address}:${x.port}`) },
          { label: 'Host key', cell: (x) => (x.host_key_fingerprint ? h('code', null, x.host_key_fingerprint) : '') },
          { label: 'Bound since', cell: (x) => formatTime(x.update_time) },
        ],
      }),
    ),
  );
}
