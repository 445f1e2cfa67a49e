/**
 * A key's usage over time as an inline SVG bar chart, built with dom.ts's `svg` (no markup): the
 * calls about the key counted per UTC day by the daemon (GET …/dew/audit/usage?key_id=&days=, from
 * the audit index, so a busy key's every call counts), with the totals per operation beside it.
 */
import { h, svg } from '../dom.js';

export interface AuditRecord {
  seq: number;
  time: string;
  at: number;
  request_id: string;
  user_id: string;
  source_ip: string;
  operation: string;
  resource_id: string;
  outcome: string;
  status: number;
  error_code: string;
}

/** One UTC day of a key's usage, as …/dew/audit/usage?days= answers it (`YYYY-MM-DD`). */
export interface UsageDay {
  day: string;
  total: number;
}

/** The chart: one bar per day (oldest first), the day under every other bar, the largest count on the axis. */
export function usageChart(perDay: readonly UsageDay[]): HTMLElement {
  const days = perDay.length;
  const data = perDay.map((d) => ({ day: d.day.slice(5, 10), count: d.total }));
  const max = Math.max(1, ...data.map((d) => d.count));
  const W = 560;
  const H = 180;
  const left = 30;
  const bottom = 24;
  const band = (W - left) / days;
  const bars = data.map((d, i) => {
    const height = ((H - bottom - 10) * d.count) / max;
    const x = left + i * band + 3;
    const y = H - bottom - height;
    return svg(
      'g',
      {},
      svg('rect', { class: 'bar', x: x.toFixed(1), y: y.toFixed(1), width: (band - 6).toFixed(1), height: height.toFixed(1) }, svg('title', {}, `${d.day}: ${d.count} call${d.count === 1 ? '' : 's'}`)),
      i % 2 === days % 2 ? null : svg('text', { x: (x + (band - 6) / 2).toFixed(1), y: H - 8, 'text-anchor': 'middle' }, d.day),
    );
  });
  const total = data.reduce((s, d) => s + d.count, 0);
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'xMinYMid meet', role: 'img', 'aria-label': `Calls with this key per day over the last ${days} days: ${total} in all, at most ${max} a day.` },
    svg('line', { class: 'axis', x1: left, x2: W, y1: H - bottom, y2: H - bottom }),
    svg('text', { x: 2, y: 14 }, String(max)),
    svg('text', { x: 2, y: H - bottom }, '0'),
    ...bars,
  );
  return h('figure', { class: 'chart' }, chart, h('figcaption', { class: 'muted' }, `Calls per day (UTC), last ${days} days: ${total}.`));
}
