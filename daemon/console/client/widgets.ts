/**
 * Shared console widgets (console contract), all built with dom.ts: a table with paging, a
 * definition list, state badges, a confirm dialog, a copy-to-clipboard button, a timeline, notices,
 * labelled fields and time formatting.
 */
import { h, type Child } from './dom.js';

export interface Column<T> {
  readonly label: string;
  readonly cell: (row: T) => Child;
}

/** A table of rows (a caption names it for screen readers); `empty` when there are none. */
export function dataTable<T>(o: { caption: string; columns: readonly Column<T>[]; rows: readonly T[]; empty?: string }): HTMLElement {
  if (o.rows.length === 0) return h('p', { class: 'muted' }, o.empty ?? 'Nothing here yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'muted', hidden: true }, o.caption),
      h('thead', null, h('tr', null, o.columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', null, o.rows.map((r) => h('tr', null, o.columns.map((c) => h('td', null, c.cell(r)))))),
    ),
  );
}

/** Previous / next buttons with the page number (1-based). */
export function pager(o: { page: number; hasNext: boolean; onPage: (page: number) => void; label?: string }): HTMLElement {
  return h(
    'nav',
    { class: 'pager', 'aria-label': o.label ?? 'Pages' },
    h('button', { type: 'button', class: 'secondary', disabled: o.page <= 1, on: { click: () => o.onPage(o.page - 1) } }, 'Previous'),
    h('span', { class: 'count' }, `Page ${o.page}`),
    h('button', { type: 'button', class: 'secondary', disabled: !o.hasNext, on: { click: () => o.onPage(o.page + 1) } }, 'Next'),
  );
}

/** A definition list of label → value pairs (values as text or nodes; empty values shown as –). */
export function details(pairs: readonly (readonly [string, Child])[]): HTMLElement {
  return h(
    'dl',
    { class: 'details' },
    pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v === '' || v === undefined || v === null ? '–' : v)]),
  );
}

export type BadgeKind = 'ok' | 'off' | 'warn' | 'bad';

export function badge(text: string, kind: BadgeKind): HTMLElement {
  return h('span', { class: `badge ${kind}` }, text);
}

const KEY_STATES: Readonly<Record<string, readonly [string, BadgeKind]>> = {
  '1': ['Pending generation', 'warn'],
  '2': ['Enabled', 'ok'],
  '3': ['Disabled', 'off'],
  '4': ['Pending deletion', 'bad'],
  '5': ['Pending import', 'warn'],
};

/** A KMS key state (reference codes 1–5) in words. */
export function keyStateName(state: string): string {
  return KEY_STATES[state]?.[0] ?? `State ${state}`;
}

export function keyStateBadge(state: string): HTMLElement {
  const [text, kind] = KEY_STATES[state] ?? [`State ${state}`, 'warn'];
  return badge(text, kind);
}

/** A generic state badge: `ok` words green, `bad` words red, anything else muted. */
export function stateBadge(state: string, kinds: Readonly<Record<string, BadgeKind>> = {}): HTMLElement {
  return badge(state, kinds[state] ?? 'off');
}

/**
 * A modal confirmation (the native dialog: focus is trapped and Escape cancels); resolves true on
 * confirm. `body` may hold inputs the caller reads after it resolves.
 */
export function confirmDialog(o: { title: string; body: Child; confirmLabel: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h('dialog', { 'aria-labelledby': titleId });
    const close = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    dialog.append(
      h('h2', { id: titleId }, o.title),
      h('div', null, o.body),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: o.danger ? 'danger' : '', on: { click: () => close(true) } }, o.confirmLabel),
        h('button', { type: 'button', class: 'secondary', on: { click: () => close(false) } }, 'Cancel'),
      ),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Writes text to the clipboard (the async API, else a hidden selection); false when neither worked. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { readonly: true, 'aria-hidden': 'true', tabindex: -1 });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/** A button that copies `text()`; `done` hears whether it worked. */
export function copyButton(text: () => string, done: (ok: boolean) => void, label = 'Copy to Clipboard'): HTMLButtonElement {
  return h('button', { type: 'button', class: 'secondary', on: { click: () => void copyText(text()).then(done) } }, label);
}

export interface TimelineItem {
  readonly when: string;
  readonly label: string;
  readonly detail?: Child;
}

/** Events in order, as a list with dots on a line. */
export function timeline(items: readonly TimelineItem[], label: string): HTMLElement {
  return h('ol', { class: 'timeline', 'aria-label': label }, items.map((i) => h('li', null, h('strong', null, i.label), ' ', h('span', { class: 'muted' }, i.when), i.detail ? h('div', null, i.detail) : null)));
}

/** A block message; `error` ones are announced (role alert). */
export function notice(message: Child, kind: 'info' | 'ok' | 'error' = 'info'): HTMLElement {
  return h('div', { class: `notice ${kind === 'info' ? '' : kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
}

/** A card with a heading. */
export function card(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', null, title), ...children);
}

/** A labelled control (the label wraps it, so clicking and screen readers both find it). */
/**
 * Sends a create form: on submit, `send` runs with `button` disabled until it settles, and a
 * refusal goes to `failed` (the pages say it in the daemon's words).
 */
export function onSubmit(form: HTMLFormElement, button: HTMLButtonElement, send: () => Promise<unknown>, failed: (err: unknown) => void): void {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    send()
      .catch(failed)
      .finally(() => (button.disabled = false));
  });
}

export function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', null, label, control);
}

/** A time (epoch ms, an ISO string, or the reference's millisecond strings) as local text; '' when absent. */
export function formatTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === '' || t === '0' || t === 0) return '';
  const ms = typeof t === 'number' ? t : /^[0-9]+$/.test(t) ? Number(t) : Date.parse(t);
  if (!Number.isFinite(ms)) return String(t);
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** An error in words for the page (the API's message and code). */
export function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; status?: unknown };
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && !msg.includes(e.code) ? `${msg} (${e.code})` : msg;
}
