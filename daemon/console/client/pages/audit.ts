/**
 * The audit trail (`#/audit`), newest first: records filtered by key and time on the daemon
 * (…/dew/audit/records with key_id, since and order=desc) and by operation and outcome on the page,
 * paged with the daemon's marker towards older records;
 * for administrators, the chain verification result, naming the first bad record when there is one.
 * Query: `key`, `operation`, `outcome`, `since` (a datetime-local value, UTC), `marker`, `page`.
 */
import { h, replaceChildren } from '../dom.js';
import { projectPath, withQuery } from '../api.js';
import type { View } from '../view.js';
import { badge, card, dataTable, errorText, field, formatTime, notice, pager } from '../widgets.js';
import type { AuditRecord } from './usage-chart.js';

export const AUDIT_PAGE_SIZE = 200;

interface VerifyReport {
  ok: boolean;
  chains: number;
  records: number;
  first_bad?: { chain_id: string; chain_seq: number; seq: number; request_id: string; reason: string };
}

const OUTCOMES = ['', 'allowed', 'refused', 'failed'];
const markers = new Map<number, string>([[1, '']]);

/** The verify report in words. */
export function verifyText(r: VerifyReport): string {
  if (r.ok) return `The trail is intact: ${r.records} records in ${r.chains} chain${r.chains === 1 ? '' : 's'} verified.`;
  const b = r.first_bad;
  if (!b) return 'The trail is broken (no record named).';
  return `The trail is broken at record ${b.chain_seq} of chain ${b.chain_id}${b.seq ? ` (sequence ${b.seq})` : ''}${b.request_id ? `, request ${b.request_id}` : ''}: ${b.reason}`;
}

function outcomeBadge(o: string): HTMLElement {
  return badge(o, o === 'allowed' ? 'ok' : o === 'refused' ? 'warn' : 'bad');
}

export async function render(view: View): Promise<HTMLElement> {
  const q = view.query;
  const key = q.get('key') ?? '';
  const operation = q.get('operation') ?? '';
  const outcome = q.get('outcome') ?? '';
  const since = q.get('since') ?? '';
  const page = Math.max(1, Number(q.get('page') ?? '1') || 1);
  const marker = q.get('marker') ?? '';
  const sinceMs = since ? Date.parse(since.length <= 16 ? `${since}:00Z` : since) : NaN;

  const keyIn = h('input', { type: 'text', name: 'key', value: key, placeholder: 'key id' });
  const opIn = h('input', { type: 'text', name: 'operation', value: operation, placeholder: 'encrypt-data' });
  const outcomeSel = h('select', { name: 'outcome' }, OUTCOMES.map((o) => h('option', { value: o, selected: o === outcome }, o || 'Any outcome')));
  const sinceIn = h('input', { type: 'datetime-local', name: 'since', value: since });
  const go = (next: Record<string, string | number | undefined>) => view.navigate(withQuery('#/audit', { key, operation, outcome, since, ...next }));
  const filters = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter the audit trail',
      on: {
        submit: (e) => {
          e.preventDefault();
          go({ key: keyIn.value.trim(), operation: opIn.value.trim(), outcome: outcomeSel.value, since: sinceIn.value, marker: undefined, page: undefined });
        },
      },
    },
    field('Key', keyIn),
    field('Operation', opIn),
    field('Outcome', outcomeSel),
    field('Since (UTC)', sinceIn),
    h('button', { type: 'submit' }, 'Filter'),
  );

  let body: HTMLElement;
  try {
    const list = await view.api<{ records: AuditRecord[]; next_marker: string }>(
      'GET',
      withQuery(projectPath('/dew/audit/records'), { key_id: key || undefined, since: Number.isFinite(sinceMs) ? sinceMs : undefined, limit: AUDIT_PAGE_SIZE, marker: marker || undefined, order: 'desc' }),
    );
    if (list.next_marker) markers.set(page + 1, list.next_marker);
    markers.set(page, marker);
    const rows = list.records.filter((r) => (!operation || r.operation.includes(operation)) && (!outcome || r.outcome === outcome));
    body = h(
      'div',
      null,
      dataTable<AuditRecord>({
        caption: 'Audit records, newest first',
        rows,
        empty: operation || outcome ? 'No record on this page matches the filters.' : 'No records.',
        columns: [
          { label: 'Time', cell: (r) => formatTime(r.at) },
          { label: 'Operation', cell: (r) => r.operation },
          { label: 'Outcome', cell: (r) => outcomeBadge(r.outcome) },
          { label: 'Status', cell: (r) => `${r.status}${r.error_code ? ` ${r.error_code}` : ''}` },
          { label: 'Resource', cell: (r) => (/^[0-9a-f-]{36}$/.test(r.resource_id) ? h('a', { href: `#/keys/${r.resource_id}` }, r.resource_id) : r.resource_id) },
          { label: 'User', cell: (r) => r.user_id },
          { label: 'Source', cell: (r) => r.source_ip },
          { label: 'Request', cell: (r) => h('code', null, r.request_id) },
        ],
      }),
      pager({ page, hasNext: Boolean(list.next_marker), onPage: (n) => go({ marker: markers.get(n) ?? '', page: n }), label: 'Audit pages' }),
    );
  } catch (err) {
    body = notice(`${errorText(err)}${key ? '' : ' Enter a key id above to read the records about one of your keys.'}`, 'error');
  }

  let verify: HTMLElement | null = null;
  if (view.session.can('iam')) {
    const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
    verify = card(
      'Chain verification',
      h('p', { class: 'muted' }, 'Checks every record of every chain against its hash and the chain heads (administrators of the operator account).'),
      h('div', { class: 'actions' }, h('button', {
        type: 'button',
        id: 'verify-chain',
        on: {
          click: async () => {
            replaceChildren(result, h('p', { class: 'muted' }, 'Verifying…'));
            try {
              const r = await view.api<VerifyReport>('GET', projectPath('/dew/audit/verify'));
              replaceChildren(result, notice(verifyText(r), r.ok ? 'ok' : 'error'));
            } catch (err) {
              replaceChildren(result, notice(errorText(err), 'error'));
            }
          },
        },
      }, 'Verify the chain')),
      result,
    );
  }

  return h('div', null, h('h1', null, 'Audit'), filters, verify, body);
}
