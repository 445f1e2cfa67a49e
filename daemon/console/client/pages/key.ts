/**
 * A key's page (`#/keys/<key_id>`): details, aliases, grants, tags, versions and the rotation
 * schedule; Enable / Disable / Schedule deletion (with the pending days) / Cancel deletion for
 * callers whose roles allow `manage`; the usage chart from the audit trail; and the online tool on
 * an enabled, non-default symmetric key for callers whose roles allow `use`.
 */
import { h } from '../dom.js';
import { ApiError, projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { card, confirmDialog, dataTable, details, errorText, field, formatTime, keyStateBadge, keyStateName, notice, timeline } from '../widgets.js';
import type { KeyDetail } from './keys.js';
import { onlineTool } from './online-tool.js';
import { usageChart, type AuditRecord, type UsageDay } from './usage-chart.js';

interface Alias {
  alias: string;
  alias_urn?: string;
  create_time?: string | number;
}

interface Grant {
  grant_id: string;
  grantee_principal: string;
  operations: string[];
  name?: string;
  creation_date?: string;
}

interface Rotation {
  key_rotation_enabled: boolean;
  rotation_interval: number;
  last_rotation_time: string;
  number_of_rotations: number;
}

interface Usage {
  total: number;
  operations: Record<string, { allowed: number; refused: number; failed: number; total: number }>;
  per_day: UsageDay[];
}

/** The days the usage chart shows. */
const CHART_DAYS = 14;

const SYMMETRIC = new Set(['AES_256', 'SM4']);
const ROTATION_EVENTS = new Set(['rotate-on-demand', 'scheduler/rotate-key']);

/** Settles a call to its answer or the error (a section the caller may not read shows the reason). */
async function settle<T>(p: Promise<T>): Promise<T | ApiError | Error> {
  try {
    return await p;
  } catch (err) {
    return err as Error;
  }
}

const failed = (v: unknown): v is Error => v instanceof Error;

/** The next scheduled rotation (epoch ms), or undefined when rotation is off. */
export function nextRotation(r: Rotation, createdMs: number): number | undefined {
  if (!r.key_rotation_enabled) return undefined;
  const last = r.last_rotation_time ? Number(r.last_rotation_time) || Date.parse(r.last_rotation_time) : createdMs;
  return last + r.rotation_interval * 86_400_000;
}

export async function render(view: View): Promise<HTMLElement> {
  const keyId = view.params.key_id;
  const api = view.api;
  const { key_info: k } = await api<{ key_info: KeyDetail }>('POST', projectPath('/kms/describe-key'), { key_id: keyId });
  const id = k.key_id;
  const [aliases, grants, tags, rotation, usage, records] = await Promise.all([
    settle(api<{ aliases: Alias[] }>('GET', withQuery(projectPath('/kms/aliases'), { key_id: id }))),
    settle(api<{ grants: Grant[] }>('POST', projectPath('/kms/list-grants'), { key_id: id })),
    settle(api<{ tags: { key: string; value: string }[] }>('GET', projectPath(`/kms/${encodeURIComponent(id)}/tags`))),
    SYMMETRIC.has(k.key_spec) ? settle(api<Rotation>('POST', projectPath('/kms/get-key-rotation-status'), { key_id: id })) : Promise.resolve(undefined),
    settle(api<Usage>('GET', withQuery(projectPath('/dew/audit/usage'), { key_id: id, days: CHART_DAYS }))),
    settle(api<{ records: AuditRecord[] }>('GET', withQuery(projectPath('/dew/audit/records'), { key_id: id, operation: [...ROTATION_EVENTS].join(','), order: 'desc', limit: 1000 }))),
  ]);
  const here = `#/keys/${encodeURIComponent(id)}`;
  const refresh = (message: string) => {
    view.navigate(here, { message, kind: 'ok' });
  };
  const act = async (operation: string, body: Record<string, unknown>, done: string) => {
    try {
      await api('POST', projectPath(`/kms/${operation}`), { key_id: id, ...body });
      refresh(done);
    } catch (err) {
      view.notify(errorText(err), 'error');
    }
  };

  const actions: HTMLElement[] = [];
  if (view.session.can('manage')) {
    if (k.key_state === '3') actions.push(h('button', { type: 'button', on: { click: () => void act('enable-key', {}, 'The key is enabled.') } }, 'Enable'));
    if (k.key_state === '2') {
      actions.push(
        h('button', {
          type: 'button',
          class: 'secondary',
          on: {
            click: async () => {
              if (await confirmDialog({ title: 'Disable this key?', body: h('p', null, 'Encrypt and decrypt calls with it are refused until it is enabled again.'), confirmLabel: 'Disable' })) {
                await act('disable-key', {}, 'The key is disabled.');
              }
            },
          },
        }, 'Disable'),
      );
    }
    if (k.key_state === '2' || k.key_state === '3') {
      actions.push(
        h('button', {
          type: 'button',
          class: 'danger',
          on: {
            click: async () => {
              const days = h('input', { type: 'number', id: 'pending-days', name: 'pending_days', min: '7', max: '1096', value: '7', required: true });
              const ok = await confirmDialog({
                title: 'Schedule deletion?',
                body: [h('p', null, 'After the pending days the key and all its versions are destroyed; data encrypted with it can no longer be decrypted. You can cancel until then.'), field('Pending days (7 to 1096)', days)],
                confirmLabel: 'Schedule deletion',
                danger: true,
              });
              if (ok) await act('schedule-key-deletion', { pending_days: days.value }, `The key is scheduled for deletion in ${days.value} days.`);
            },
          },
        }, 'Schedule deletion'),
      );
    }
    if (k.key_state === '4') actions.push(h('button', { type: 'button', on: { click: () => void act('cancel-key-deletion', {}, 'The deletion is cancelled; the key is disabled.') } }, 'Cancel deletion'));
  }

  const createdMs = Number(k.creation_date);
  const rotationCard = (() => {
    if (rotation === undefined) return card('Rotation', h('p', { class: 'muted' }, `${k.key_spec} keys do not rotate.`));
    if (failed(rotation)) return card('Rotation', notice(errorText(rotation), 'error'));
    const next = nextRotation(rotation, createdMs);
    return card(
      'Rotation',
      details([
        ['Automatic rotation', rotation.key_rotation_enabled ? 'On' : 'Off'],
        ['Interval', `${rotation.rotation_interval} days`],
        ['Last rotation', formatTime(rotation.last_rotation_time)],
        ['Next rotation', next === undefined ? 'Not scheduled' : formatTime(next)],
        ['Rotations so far', String(rotation.number_of_rotations)],
      ]),
    );
  })();

  const versionCount = rotation && !failed(rotation) ? rotation.number_of_rotations + 1 : 1;
  // The daemon answers the rotation records newest first (every one of them, however busy the key): oldest first here.
  const rotationEvents = failed(records) ? [] : records.records.filter((r) => ROTATION_EVENTS.has(r.operation) && r.outcome === 'allowed').reverse();
  const versionsCard = card(
    'Versions',
    h('p', null, `${versionCount} version${versionCount === 1 ? '' : 's'}: version ${versionCount} encrypts; every version still decrypts what it encrypted.`),
    timeline(
      [
        { when: formatTime(createdMs), label: 'Version 1 created' },
        ...rotationEvents.map((r, i) => ({ when: formatTime(r.at), label: `Rotated (version ${i + 2})`, detail: r.operation })),
      ],
      'Key versions',
    ),
  );

  const usageCard = (() => {
    if (failed(usage)) return card('Usage', notice(`The audit trail is not readable here: ${errorText(usage)}`, 'info'));
    const ops = Object.entries(usage.operations).sort((a, b) => b[1].total - a[1].total);
    return card(
      'Usage',
      usageChart(usage.per_day),
      dataTable({
        caption: 'Calls by operation',
        rows: ops,
        empty: 'No calls recorded yet.',
        columns: [
          { label: 'Operation', cell: ([op]) => op },
          { label: 'Allowed', cell: ([, c]) => String(c.allowed) },
          { label: 'Refused', cell: ([, c]) => String(c.refused) },
          { label: 'Failed', cell: ([, c]) => String(c.failed) },
          { label: 'Total', cell: ([, c]) => String(c.total) },
        ],
      }),
      h('p', null, h('a', { href: withQuery('#/audit', { key: id }) }, 'This key in the audit trail')),
    );
  })();

  const toolOrWhy = (() => {
    if (k.key_usage !== 'ENCRYPT_DECRYPT' || !SYMMETRIC.has(k.key_spec)) return null;
    if (k.default_key_flag === '1') return card('Online tool', h('p', { class: 'muted' }, 'The online tool is not offered on default keys.'));
    if (k.key_state !== '2') return card('Online tool', h('p', { class: 'muted' }, `The online tool works with enabled keys; this key is ${keyStateName(k.key_state).toLowerCase()}.`));
    if (!view.session.can('use')) return card('Online tool', h('p', { class: 'muted' }, 'Your roles do not allow encrypting or decrypting with keys.'));
    return onlineTool(view, id);
  })();

  return h(
    'div',
    null,
    h('p', null, h('a', { href: '#/keys' }, '← Keys')),
    h('h1', null, k.key_alias || k.key_id, ' ', keyStateBadge(k.key_state)),
    actions.length ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Key actions' }, actions) : null,
    card(
      'Details',
      details([
        ['Key id', h('code', null, k.key_id)],
        ['Alias', k.key_alias],
        ['Description', k.key_description],
        ['State', keyStateName(k.key_state)],
        ['Spec', k.key_spec],
        ['Usage', k.key_usage],
        ['Origin', k.origin],
        ['Keystore', k.keystore_id === '0' || !k.keystore_id ? 'Default' : k.keystore_id],
        ['Default key', k.default_key_flag === '1' ? 'Yes' : 'No'],
        ['Created', formatTime(k.creation_date)],
        ['Deletion date', formatTime(k.scheduled_deletion_date)],
        ['Material expires', formatTime(k.expiration_time)],
      ]),
    ),
    toolOrWhy,
    usageCard,
    card(
      'Aliases',
      failed(aliases)
        ? notice(errorText(aliases), 'error')
        : dataTable({ caption: 'Aliases', rows: aliases.aliases, empty: 'No aliases besides the key alias.', columns: [{ label: 'Alias', cell: (a) => a.alias }, { label: 'Created', cell: (a) => formatTime(a.create_time ?? '') }] }),
    ),
    card(
      'Grants',
      failed(grants)
        ? notice(errorText(grants), 'error')
        : dataTable({
            caption: 'Grants',
            rows: grants.grants,
            empty: 'No grants.',
            columns: [
              { label: 'Grant', cell: (g) => g.name || g.grant_id },
              { label: 'Grantee', cell: (g) => g.grantee_principal },
              { label: 'Operations', cell: (g) => g.operations.join(', ') },
              { label: 'Created', cell: (g) => formatTime(g.creation_date ?? '') },
            ],
          }),
    ),
    card(
      'Tags',
      failed(tags)
        ? notice(errorText(tags), 'error')
        : dataTable({ caption: 'Tags', rows: tags.tags, empty: 'No tags.', columns: [{ label: 'Key', cell: (t) => t.key }, { label: 'Value', cell: (t) => t.value }] }),
    ),
    versionsCard,
    rotationCard,
  );
}
