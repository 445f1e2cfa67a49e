/**
 * A secret's versions on a line, oldest to newest, each with the stages it carries (SYSCURRENT,
 * SYSPREVIOUS, custom): an inline SVG built with dom.ts `svg()` (so every label is a text node) and
 * the same facts as a list for screen readers. Layout is pure (`stageLayout`), drawing is the edge.
 */
import { h, svg } from '../dom.js';

export interface VersionStages {
  readonly id: string;
  readonly created: string;
  readonly stages: readonly string[];
}

export interface LaidOut {
  readonly x: number;
  readonly version: VersionStages;
}

const STEP = 120;
const PAD = 60;

/** Versions by number (v1, v2, …), each at its x; the width the drawing needs. */
export function stageLayout(versions: readonly VersionStages[]): { items: LaidOut[]; width: number } {
  const num = (id: string) => Number(/^v(\d+)$/.exec(id)?.[1] ?? 0);
  const sorted = [...versions].sort((a, b) => num(a.id) - num(b.id));
  return { items: sorted.map((v, i) => ({ x: PAD + i * STEP, version: v })), width: Math.max(2 * PAD, PAD * 2 + (sorted.length - 1) * STEP) };
}

/** System stages first, then custom ones by name. */
export function orderStages(stages: readonly string[]): string[] {
  const rank = (s: string) => (s === 'SYSCURRENT' ? 0 : s === 'SYSPREVIOUS' ? 1 : 2);
  return [...stages].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function stageTimeline(versions: readonly VersionStages[]): HTMLElement {
  const { items, width } = stageLayout(versions);
  const rows = Math.max(1, ...items.map((i) => i.version.stages.length));
  const height = 70 + rows * 18;
  const summary = items.map((i) => `${i.version.id}: ${i.version.stages.length ? orderStages(i.version.stages).join(', ') : 'no stage'}`).join('; ');
  const drawing = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Version stages, oldest first. ${summary}`, focusable: 'false', preserveAspectRatio: 'xMinYMin meet' },
    svg('line', { class: 'axis', x1: PAD / 2, x2: width - PAD / 2, y1: 34, y2: 34 }),
    items.map((i) => {
      const staged = i.version.stages.length > 0;
      return svg(
        'g',
        { class: `stage-version${staged ? ' staged' : ''}`, 'aria-label': i.version.id },
        svg('text', { class: 'version', x: i.x, y: 18, 'text-anchor': 'middle' }, i.version.id),
        svg('rect', { class: staged ? 'bar' : 'axis', x: i.x - 7, y: 27, width: 14, height: 14, rx: 7 }),
        orderStages(i.version.stages).map((s, n) => svg('text', { class: `stage${s.startsWith('SYS') ? ' system' : ''}`, x: i.x, y: 62 + n * 18, 'text-anchor': 'middle' }, s)),
      );
    }),
  );
  return h(
    'div',
    { class: 'chart stage-timeline', 'data-testid': 'stage-timeline' },
    drawing,
    h(
      'ol',
      { class: 'timeline', 'aria-label': 'Versions and their stages' },
      items.map((i) => h('li', null, h('strong', null, i.version.id), ' ', h('span', { class: 'muted' }, i.version.created), ' ', i.version.stages.length ? orderStages(i.version.stages).join(', ') : 'no stage')),
    ),
  );
}
