/**
 * The keys list (`#/keys`): alias, description, state, spec, usage, rotation, keystore and tags of
 * each key, filtered by state and spec on the daemon (list-keys) and by text on the page (alias,
 * description, id, tags), paged with list-keys' marker. Query: `state`, `spec`, `q`, `marker`, `page`.
 * Callers whose roles allow `manage` get a Create key dialog (create-key with an alias, a
 * description, a spec and a usage; the daemon's refusal is shown in its words).
 */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { confirmDialog, dataTable, errorText, field, keyStateBadge, pager, formatTime } from '../widgets.js';

export const PAGE_SIZE = 20;

export interface KeyDetail {
  key_id: string;
  key_alias: string;
  key_description: string;
  key_state: string;
  key_spec: string;
  key_usage: string;
  key_rotation_enabled: string;
  keystore_id: string;
  default_key_flag: string;
  creation_date: string;
  scheduled_deletion_date: string;
  origin: string;
  expiration_time: string;
}

interface ListKeys {
  key_details: KeyDetail[];
  next_marker: string;
  truncated: string;
  total: number;
}

/**
 * One page of list-keys, of every spec unless `key_spec` narrows it: without key_spec the API lists
 * AES_256 keys only (the reference's default), so the console always sends one.
 */
export function listKeys(view: View, q: { limit: string; marker?: string; key_state?: string; key_spec?: string }): Promise<ListKeys> {
  return view.api<ListKeys>('POST', projectPath('/kms/list-keys'), { ...q, marker: q.marker || undefined, key_state: q.key_state || undefined, key_spec: q.key_spec || 'ALL' });
}

interface Tag {
  key: string;
  value: string;
}

const STATES: readonly [string, string][] = [['', 'Any state'], ['2', 'Enabled'], ['3', 'Disabled'], ['4', 'Pending deletion'], ['5', 'Pending import'], ['1', 'Pending generation']];
const SPECS = ['', 'AES_256', 'SM4', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'HMAC_SM3', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P256', 'EC_P384', 'SECP256K1', 'ED25519', 'SM2'];

/** Usages a key can be created with ('' leaves it to the spec's default). */
const USAGES: readonly [string, string][] = [['', 'The spec\'s default'], ['ENCRYPT_DECRYPT', 'ENCRYPT_DECRYPT'], ['SIGN_VERIFY', 'SIGN_VERIFY'], ['GENERATE_VERIFY_MAC', 'GENERATE_VERIFY_MAC']];

/** Asks for a new key's alias, description, spec and usage, creates it, and opens its page. */
async function createKey(view: View): Promise<void> {
  const alias = h('input', { type: 'text', id: 'new-key-alias', name: 'key_alias', required: true, maxlength: 255, autocomplete: 'off' });
  const description = h('input', { type: 'text', id: 'new-key-description', name: 'key_description', maxlength: 255, autocomplete: 'off' });
  const spec = h('select', { id: 'new-key-spec', name: 'key_spec' }, SPECS.filter(Boolean).map((v) => h('option', { value: v, selected: v === 'AES_256' }, v)));
  const usage = h('select', { id: 'new-key-usage', name: 'key_usage' }, USAGES.map(([v, label]) => h('option', { value: v }, label)));
  const ok = await confirmDialog({
    title: 'Create a key',
    body: [field('Alias', alias), field('Description', description), field('Key spec', spec), field('Key usage', usage)],
    confirmLabel: 'Create',
  });
  if (!ok) return;
  try {
    const created = await view.api<{ key_info: { key_id: string } }>('POST', projectPath('/kms/create-key'), {
      key_alias: alias.value.trim(),
      key_spec: spec.value,
      ...(description.value.trim() ? { key_description: description.value.trim() } : {}),
      ...(usage.value ? { key_usage: usage.value } : {}),
    });
    view.navigate(`#/keys/${encodeURIComponent(created.key_info.key_id)}`, { message: 'The key is created.', kind: 'ok' });
  } catch (err) {
    view.notify(errorText(err), 'error');
  }
}

/** The markers of the pages seen so far, so Previous goes back without the daemon paging backwards. */
const markers = new Map<number, string>([[1, '']]);

/** The tags of a key as `k=v` text. */
export function tagText(tags: readonly Tag[]): string {
  return tags.map((t) => (t.value ? `${t.key}=${t.value}` : t.key)).join(', ');
}

export async function render(view: View): Promise<HTMLElement> {
  const q = view.query;
  const state = q.get('state') ?? '';
  const spec = q.get('spec') ?? '';
  const text = (q.get('q') ?? '').trim().toLowerCase();
  const page = Math.max(1, Number(q.get('page') ?? '1') || 1);
  const marker = q.get('marker') ?? '';
  const list = await listKeys(view, { limit: String(PAGE_SIZE), marker, key_state: state, key_spec: spec });
  const tagsOf = new Map<string, Tag[]>();
  await Promise.all(
    list.key_details.map(async (k) => {
      try {
        tagsOf.set(k.key_id, (await view.api<{ tags: Tag[] }>('GET', projectPath(`/kms/${encodeURIComponent(k.key_id)}/tags`))).tags);
      } catch {
        tagsOf.set(k.key_id, []);
      }
    }),
  );
  const rows = list.key_details.filter((k) => {
    if (!text) return true;
    const hay = [k.key_alias, k.key_description, k.key_id, tagText(tagsOf.get(k.key_id) ?? [])].join(' ').toLowerCase();
    return hay.includes(text);
  });
  if (list.next_marker) markers.set(page + 1, list.next_marker);
  markers.set(page, marker);

  const go = (next: Record<string, string | number | undefined>) => view.navigate(withQuery('#/keys', { state, spec, q: q.get('q') ?? '', ...next }));
  const stateSel = h('select', { name: 'state' }, STATES.map(([v, label]) => h('option', { value: v, selected: v === state }, label)));
  const specSel = h('select', { name: 'spec' }, SPECS.map((v) => h('option', { value: v, selected: v === spec }, v || 'Any spec')));
  const search = h('input', { type: 'search', name: 'q', value: q.get('q') ?? '', placeholder: 'alias, description, id or tag' });
  const filters = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter keys',
      on: {
        submit: (e) => {
          e.preventDefault();
          go({ state: stateSel.value, spec: specSel.value, q: search.value, marker: undefined, page: undefined });
        },
      },
    },
    field('State', stateSel),
    field('Spec', specSel),
    field('Search this page', search),
    h('button', { type: 'submit' }, 'Filter'),
  );

  return h(
    'div',
    null,
    h('h1', null, 'Keys'),
    h('p', { class: 'muted' }, `${list.total} key${list.total === 1 ? '' : 's'}${state || spec ? ' matching the filters' : ''} in this project.`),
    view.session.can('manage') ? h('div', { class: 'actions' }, h('button', { type: 'button', on: { click: () => void createKey(view) } }, 'Create key')) : null,
    filters,
    dataTable<KeyDetail>({
      caption: 'Keys',
      rows,
      empty: text ? 'No key on this page matches the search.' : 'No keys yet. Create one here, with `dew kms create-key --key-alias NAME`, or with a dew_kms_key resource.',
      columns: [
        { label: 'Alias', cell: (k) => h('a', { href: `#/keys/${encodeURIComponent(k.key_id)}` }, k.key_alias || k.key_id) },
        { label: 'Description', cell: (k) => k.key_description },
        { label: 'State', cell: (k) => keyStateBadge(k.key_state) },
        { label: 'Spec', cell: (k) => k.key_spec },
        { label: 'Usage', cell: (k) => k.key_usage },
        { label: 'Rotation', cell: (k) => (k.key_rotation_enabled === 'true' ? 'On' : 'Off') },
        { label: 'Keystore', cell: (k) => (k.keystore_id === '0' || !k.keystore_id ? 'Default' : k.keystore_id) },
        { label: 'Tags', cell: (k) => tagText(tagsOf.get(k.key_id) ?? []) },
        { label: 'Created', cell: (k) => formatTime(k.creation_date) },
      ],
    }),
    pager({
      page,
      hasNext: Boolean(list.next_marker),
      onPage: (n) => go({ marker: markers.get(n) ?? '', page: n }),
      label: 'Key pages',
    }),
  );
}
