/** Renders a plan as Markdown for a pull-request comment: a summary table (destroys first) and a collapsible diff per resource. */
import { counts, isEmptyPlan, type Action, type Plan, type ResourceChange } from './change.js';
import { Paint, adoptionLine, renderResource } from './render-text.js';

const LABEL: Record<Action, string> = { delete: '🔴 destroy', 'delete-then-create': '🟠 replace', update: '🟡 update', create: '🟢 create', 'no-op': 'no-op' };
const RANK: Record<Action, number> = { delete: 0, 'delete-then-create': 1, update: 2, create: 3, 'no-op': 4 };

function reason(c: ResourceChange): string {
  const ch = c.change;
  switch (ch.actionReason) {
    case 'replace_because_cannot_update':
      return `${ch.replacePaths.map((p) => `\`${p.join('.')}\``).join(', ')} forces replacement`;
    case 'replace_by_request':
      return 'replacement requested (-replace)';
    case 'delete_because_no_resource_config':
      return 'not in configuration';
    case 'delete_because_count_index':
      return 'count index out of range';
    case 'delete_because_each_key':
      return 'key not in for_each';
    case 'delete_because_wrong_repetition':
      return 'count/for_each changed';
  }
  if (c.note) return 'deleted outside dew';
  if (c.drift?.length) return `drift: ${c.drift.map((d) => `\`${d}\``).join(', ')} changed outside dew`;
  if (ch.action === 'delete') return 'destroy requested';
  if (ch.action === 'update' && ch.before && ch.after && typeof ch.before === 'object' && typeof ch.after === 'object') {
    const b = ch.before as Record<string, unknown>;
    const a = ch.after as Record<string, unknown>;
    const changed = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    return `${changed.map((k) => `\`${k}\``).join(', ')} changed`;
  }
  return '';
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

/** Plan text lines with the action symbol moved to the first column, so ```diff highlights them. */
function diffBlock(c: ResourceChange): string {
  return renderResource(c, new Paint(false))
    .map((l) => {
      const m = /^(\s*)(-\/\+|[+~-])( .*)$/.exec(l);
      if (!m) return ` ${l.slice(2)}`;
      const sym = m[2] === '~' || m[2] === '-/+' ? '!' : m[2];
      return `${sym} ${m[1].slice(2)}${m[3].slice(1)}`;
    })
    .join('\n');
}

export function renderPlanMarkdown(plan: Plan): string {
  const out: string[] = [`### dew plan for stack \`${plan.stack}\``, ''];
  if (isEmptyPlan(plan)) {
    out.push('**No changes.** Your infrastructure matches the configuration.');
    return out.join('\n') + '\n';
  }
  const n = counts(plan);
  out.push(`**Plan:** ${n.add} to add, ${n.change} to change, ${n.destroy} to destroy${n.adopt ? `, ${n.adopt} to adopt` : ''}.`, '');
  for (const c of plan.changes.filter((x) => x.adopt)) out.push(`> ${escapeCell(adoptionLine(c))}`, '');
  if (plan.targets.length) out.push(`> ⚠️ Resource targeting is in effect (${plan.targets.map((t) => `\`${t}\``).join(', ')}): this plan may be incomplete.`, '');
  const rows = plan.changes.filter((c) => c.change.action !== 'no-op').sort((a, b) => RANK[a.change.action] - RANK[b.change.action] || (a.address < b.address ? -1 : 1));
  out.push('| Action | Address | Reason |', '|---|---|---|');
  for (const c of rows) out.push(`| ${LABEL[c.change.action]} | \`${escapeCell(c.address)}\` | ${escapeCell(reason(c))} |`);
  out.push('');
  for (const c of rows) {
    out.push('<details>', `<summary>${LABEL[c.change.action]} <code>${c.address}</code></summary>`, '', '```diff', diffBlock(c), '```', '', '</details>');
  }
  return out.join('\n') + '\n';
}
