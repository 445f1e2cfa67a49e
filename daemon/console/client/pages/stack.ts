/**
 * One stack: its objects with their addresses, types, ids (linked to the object's console page
 * where there is one) and whether each still exists, the lock, and the last applied plan as the
 * `dew plan` text showed it (kept by the daemon, sensitive values already redacted by the CLI).
 */
import { h } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { badge, card, dataTable, details, formatTime, type BadgeKind } from '../widgets.js';
import { lockText, outcomeBadge, type StackLock } from './stacks.js';
import type { AppliedPlan } from '../wire.js';

interface StackObject {
  address: string;
  type: string;
  object_id: string;
  revision: number;
  dependencies: string[];
  live?: Record<string, unknown> | null;
  pending?: { since: string; object_id: string | null };
}

interface StackRead {
  stack: { name: string; serial: number; lineage: string; lock: StackLock | null; objects: StackObject[]; next_marker: string };
}

/** The console page of an object a stack owns, by type; undefined for types without one. */
export function objectHash(type: string, objectId: string): string | undefined {
  const tail = (id: string) => id.slice(id.lastIndexOf('/') + 1);
  switch (type) {
    case 'dew_kms_key':
      return `#/keys/${encodeURIComponent(objectId)}`;
    case 'dew_kps_keypair':
      return `#/keypairs/${encodeURIComponent(objectId)}`;
    case 'dew_csms_secret':
      return `#/secrets/${encodeURIComponent(tail(objectId))}`;
    case 'dew_hsm_instance':
      return `#/hsm/${encodeURIComponent(objectId)}`;
    case 'dew_keystore':
      return `#/keystores/${encodeURIComponent(objectId)}`;
    default:
      return undefined;
  }
}

function liveBadge(o: StackObject): HTMLElement {
  const [text, kind]: [string, BadgeKind] = o.pending ? ['Pending create', 'warn'] : o.live === null ? ['Gone', 'bad'] : o.live === undefined ? ['Recorded', 'off'] : ['Present', 'ok'];
  return badge(text, kind);
}

/** The plan text, one line per element, classed by its change symbol (as `dew plan` colours it on a terminal). */
export function planText(text: string): HTMLElement {
  const kind = (line: string) => {
    const t = line.trimStart();
    return t.startsWith('-/+') ? 'replace' : t.startsWith('+') ? 'add' : t.startsWith('-') ? 'destroy' : t.startsWith('~') ? 'change' : t.startsWith('#') ? 'note' : '';
  };
  const lines = text.replace(/\n$/, '').split('\n');
  return h('pre', { class: 'plan', 'data-testid': 'plan-text', tabindex: 0, 'aria-label': 'The last applied plan' }, h('code', null, lines.map((l, i) => [h('span', { class: kind(l) ? `plan-${kind(l)}` : undefined }, l), i < lines.length - 1 ? '\n' : null])));
}

async function allObjects(view: View, name: string): Promise<StackRead['stack']> {
  const path = projectPath(`/dew/stacks/${encodeURIComponent(name)}`);
  const first = (await view.api<StackRead>('GET', withQuery(path, { limit: 1000 }))).stack;
  let marker = first.next_marker;
  for (let i = 0; marker && i < 100; i++) {
    const next = (await view.api<StackRead>('GET', withQuery(path, { limit: 1000, marker }))).stack;
    first.objects.push(...next.objects);
    marker = next.next_marker;
  }
  return first;
}

export async function render(view: View): Promise<HTMLElement> {
  const name = view.params.name ?? '';
  const [stack, { last_plan: plan }] = await Promise.all([allObjects(view, name), view.api<{ last_plan: AppliedPlan | null }>('GET', projectPath(`/dew/stacks/${encodeURIComponent(name)}/last-plan`))]);
  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/stacks' }, 'Stacks')),
    h('h1', null, `Stack ${stack.name}`),
    card('Details', details([['Objects', String(stack.objects.length)], ['Serial', String(stack.serial)], ['Lineage', h('code', null, stack.lineage)], ['Lock', lockText(stack.lock)]])),
    card(
      'Objects',
      dataTable({
        caption: 'Objects this stack owns',
        empty: 'This stack owns no objects.',
        rows: stack.objects,
        columns: [
          { label: 'Address', cell: (o) => h('code', null, o.address) },
          { label: 'Type', cell: (o) => o.type },
          {
            label: 'Object',
            cell: (o) => {
              const id = o.object_id || o.pending?.object_id || '';
              const href = id ? objectHash(o.type, id) : undefined;
              return href ? h('a', { href }, id) : h('code', null, id);
            },
          },
          { label: 'State', cell: (o) => liveBadge(o) },
          { label: 'Depends on', cell: (o) => o.dependencies.join(', ') },
        ],
      }),
    ),
    card(
      'Last applied plan',
      plan
        ? [
            details([
              ['Applied', formatTime(plan.applied_at)],
              ['By', plan.applied_by],
              ['Outcome', outcomeBadge(plan.outcome)],
              ['Mode', plan.mode === 'destroy' ? 'Destroy' : 'Apply'],
              ['Changes', `${plan.summary.add} to add, ${plan.summary.change} to change, ${plan.summary.destroy} to destroy${plan.summary.adopt ? `, ${plan.summary.adopt} to adopt` : ''}`],
            ]),
            planText(plan.text),
          ]
        : h('p', { class: 'muted' }, 'No plan recorded: the next dew apply records the plan it carries out.'),
    ),
  );
}
