/**
 * One secret (CSMS): its details, the version stages as a timeline, and its versions. A version's
 * value is fetched only when the user clicks Show value (a user whose roles allow `use`), shown as
 * text, and dropped again on the second click or when the user leaves the page.
 */
import { h, replaceChildren } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { card, dataTable, details, errorText, stateBadge } from '../widgets.js';
import { csmsTime, SECRET_STATES, type SecretItem } from './secrets.js';
import { onLeave } from './page-leave.js';
import { orderStages, stageTimeline } from './stage-timeline.js';

interface VersionMetadata {
  id: string;
  create_time: number;
  expire_time: number | null;
  version_stages: string[];
}

interface VersionAnswer {
  version: { version_metadata: VersionMetadata; secret_string?: string; secret_binary?: string };
}

/** Every version's metadata (CSMS pages at most 200). */
async function allVersions(view: View, name: string): Promise<VersionMetadata[]> {
  const out: VersionMetadata[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 50; i++) {
    const a = await view.api<{ version_metadatas: VersionMetadata[]; page_info: { next_marker: string | null } }>('GET', withQuery(projectPath(`/secrets/${encodeURIComponent(name)}/versions`, 'v1'), { limit: 200, marker }));
    out.push(...a.version_metadatas);
    if (!a.page_info.next_marker) break;
    marker = a.page_info.next_marker;
  }
  return out;
}

/** The Show value / Hide value toggle of one version; `hideAll` hides every open one. */
function revealer(view: View, name: string, version: string, hides: (() => void)[]): HTMLElement {
  const out = h('div', { class: 'secret-value', 'aria-live': 'polite', 'data-testid': `value-${version}` });
  let shown = false;
  let left = false;
  const button = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', 'aria-label': `Show the value of ${version}`, 'data-testid': `reveal-${version}` }, 'Show value');
  const hide = () => {
    shown = false;
    replaceChildren(out);
    replaceChildren(button, 'Show value');
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-label', `Show the value of ${version}`);
  };
  hides.push(() => {
    left = true;
    hide();
  });
  button.addEventListener('click', () => {
    if (shown) return hide();
    button.disabled = true;
    view
      .api<VersionAnswer>('GET', projectPath(`/secrets/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, 'v1'))
      .then((a) => {
        if (left) return; // the user left while the value was on its way: it is not shown
        const v = a.version;
        const text = v.secret_string !== undefined ? v.secret_string : (v.secret_binary ?? '');
        shown = true;
        replaceChildren(out, h('pre', null, h('code', null, text)), v.secret_binary !== undefined ? h('p', { class: 'muted' }, 'Binary value, shown as Base64.') : null);
        replaceChildren(button, 'Hide value');
        button.setAttribute('aria-pressed', 'true');
        button.setAttribute('aria-label', `Hide the value of ${version}`);
      })
      .catch((err) => view.notify(`The value of ${version} was not shown: ${errorText(err)}`, 'error'))
      .finally(() => (button.disabled = false));
  });
  return h('div', null, button, out);
}

export async function render(view: View): Promise<HTMLElement> {
  const name = view.params.name ?? '';
  const { secret: s } = await view.api<{ secret: SecretItem }>('GET', projectPath(`/secrets/${encodeURIComponent(name)}`, 'v1'));
  const versions = await allVersions(view, s.name);
  const hides: (() => void)[] = [];
  onLeave(() => hides.forEach((f) => f()));
  const canUse = view.session.can('use');
  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/secrets' }, 'Secrets')),
    h('h1', null, `Secret ${s.name}`),
    card(
      'Details',
      details([
        ['Name', s.name],
        ['ID', h('code', null, s.id)],
        ['State', stateBadge(s.state, SECRET_STATES)],
        ['Type', s.secret_type],
        ['Description', s.description],
        ['Encryption key', s.kms_key_id ? h('a', { href: `#/keys/${encodeURIComponent(s.kms_key_id)}` }, s.kms_key_id) : ''],
        ['Created', csmsTime(s.create_time)],
        ['Updated', csmsTime(s.update_time)],
        ['Automatic rotation', s.auto_rotation ? `Every ${s.rotation_period ?? ''}` : 'Off'],
        ['Next rotation', csmsTime(s.next_rotation_time)],
        ['Deletion scheduled', csmsTime(s.scheduled_delete_time)],
      ]),
    ),
    card('Version stages', stageTimeline(versions.map((v) => ({ id: v.id, created: csmsTime(v.create_time), stages: v.version_stages })))),
    card(
      'Versions',
      canUse ? null : h('p', { class: 'muted' }, 'Your roles do not allow reading secret values.'),
      dataTable({
        caption: 'Versions',
        empty: 'No versions.',
        rows: versions,
        columns: [
          { label: 'Version', cell: (v) => v.id },
          { label: 'Stages', cell: (v) => orderStages(v.version_stages).join(', ') },
          { label: 'Created', cell: (v) => csmsTime(v.create_time) },
          { label: 'Expires', cell: (v) => csmsTime(v.expire_time) },
          ...(canUse ? [{ label: 'Value', cell: (v: VersionMetadata) => revealer(view, s.name, v.id, hides) }] : []),
        ],
      }),
    ),
  );
}
