/**
 * Secrets (CSMS): the list with name, state, type, description and times, paged by marker. Values
 * are never fetched here. Callers whose roles allow `manage` get a form that creates a secret with
 * its first value (sent once, then cleared from the form; the new secret's page opens).
 */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { dataTable, errorText, field, formatTime, onSubmit, stateBadge } from '../widgets.js';
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

function createForm(view: View): HTMLElement {
  const name = h('input', { name: 'name', required: true, maxlength: 64, autocomplete: 'off', spellcheck: false, placeholder: 'db-password' });
  const value = h('textarea', { name: 'secret_string', required: true, maxlength: 32768, rows: 2, autocomplete: 'off', spellcheck: false });
  const description = h('input', { name: 'description', maxlength: 2048, autocomplete: 'off' });
  const key = h('input', { name: 'kms_key_id', maxlength: 255, autocomplete: 'off', spellcheck: false, placeholder: 'csms/default' });
  const submit = h('button', { type: 'submit' }, 'Create secret');
  const form = h('form', { class: 'filters', 'aria-label': 'Create a secret' }, field('Name', name), field('Value', value), field('Description', description), field('KMS key (id or alias)', key), submit);
  onSubmit(
    form,
    submit,
    () => {
      const body = {
        name: name.value.trim(),
        secret_string: value.value,
        ...(description.value.trim() ? { description: description.value.trim() } : {}),
        ...(key.value.trim() ? { kms_key_id: key.value.trim() } : {}),
      };
      // The value leaves the page with the request; the form does not keep it.
      value.value = '';
      return view
        .api<{ secret: { name: string } }>('POST', projectPath('/secrets', 'v1'), body)
        .then((answer) => view.navigate(secretHash(answer.secret.name), { message: `The secret ${answer.secret.name} is created with its first version.`, kind: 'ok' }));
    },
    (err) => view.notify(`The secret was not created: ${errorText(err)}`, 'error'),
  );
  return form;
}

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
        empty: 'No secrets yet. Create one with `dew csms create-secret --name NAME --secret-string VALUE` or a dew_csms_secret resource.',
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
  return h(
    'div',
    null,
    h('h1', null, 'Secrets'),
    h('p', { class: 'muted' }, "A secret's value is shown only on its page, when you ask for it."),
    view.session.can('manage') ? createForm(view) : null,
    list,
  );
}
