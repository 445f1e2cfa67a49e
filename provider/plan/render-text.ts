/** Renders a plan as Terraform's human-readable text: legend, per-resource diffs, forces-replacement marks, summary line. */
import type { Json, MarkTree } from '../config/values.js';
import { jsonEqual } from '../config/values.js';
import { counts, isEmptyPlan, type Action, type Plan, type ResourceChange } from './change.js';
import { resourceType } from '../resources/registry.js';
import type { Attributes } from '../resources/resource-type.js';

export interface TextOptions {
  color: boolean;
}

/** Colour only on a terminal and when NO_COLOR is unset (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

const SYMBOL: Record<Exclude<Action, 'no-op'>, string> = { create: '+', update: '~', 'delete-then-create': '-/+', delete: '-' };
const LEGEND: [Exclude<Action, 'no-op'>, string][] = [
  ['create', '  + create'],
  ['update', '  ~ update in-place'],
  ['delete', '  - destroy'],
  ['delete-then-create', '-/+ destroy and then create replacement'],
];

export class Paint {
  constructor(readonly on: boolean) {}
  private wrap(code: string, s: string): string {
    return this.on ? `\x1b[${code}m${s}\x1b[0m` : s;
  }
  green = (s: string): string => this.wrap('32', s);
  yellow = (s: string): string => this.wrap('33', s);
  red = (s: string): string => this.wrap('31', s);
  bold = (s: string): string => this.wrap('1', s);
  dim = (s: string): string => this.wrap('2', s);
  sym(s: string): string {
    return s === '+' ? this.green(s) : s === '~' ? this.yellow(s) : s === '-' ? this.red(s) : s === '-/+' ? `${this.red('-')}/${this.green('+')}` : s;
  }
}

/** What an object of a resource type is called in adoption lines. */
const NOUN: Record<string, string> = { dew_kms_key: 'key', dew_kms_alias: 'alias', dew_kms_grant: 'grant', dew_kms_key_material: 'key material of', dew_iam_user: 'user', dew_csms_secret: 'secret', dew_csms_secret_version: 'stage' };

/** `dew_kms_key.k[3]: adopting key 1234… created by an interrupted apply` */
export function adoptionLine(c: ResourceChange): string {
  return `${c.address}: adopting ${NOUN[c.type] ?? 'object'} ${c.objectId} created by an interrupted apply (its create was recorded as pending at ${c.adopt?.since})`;
}

type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const sub = (t: MarkTree | undefined, k: string | number): MarkTree | undefined => (t === true ? true : isObj(t) ? (t as Record<string, MarkTree>)[k as string] : Array.isArray(t) ? t[k as number] : undefined);
const marked = (t: MarkTree | undefined): boolean => t === true;

function literal(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function renderPlanText(plan: Plan, opts: TextOptions): string {
  const p = new Paint(opts.color);
  const out: string[] = [];
  const drift = plan.changes.filter((c) => c.drift?.length && c.change.action !== 'no-op');
  if (isEmptyPlan(plan)) {
    out.push(`Stack: ${p.bold(plan.stack)}`, '');
    out.push(p.bold(plan.mode === 'destroy' ? 'No changes. No objects need to be destroyed.' : 'No changes. Your infrastructure matches the configuration.'), '');
    out.push(plan.mode === 'destroy' ? 'Either you have not created any objects yet or the existing objects were already deleted outside of dew.' : 'dew has compared your real infrastructure against your configuration and found no differences, so no changes are needed.');
    return out.join('\n') + '\n';
  }
  out.push(`Stack: ${p.bold(plan.stack)}`, '');
  const adopted = plan.changes.filter((c) => c.adopt);
  if (adopted.length) {
    out.push(p.bold('Note: Objects created by an interrupted apply'), '', 'An earlier "dew apply" stopped after creating these objects and before recording them; this plan records them in the stack:');
    for (const c of adopted) out.push(`  # ${adoptionLine(c)}`);
    out.push('');
  }
  if (drift.length) {
    out.push(p.bold('Note: Objects have changed outside of dew'), '', 'dew detected the following changes made outside of dew since the last "dew apply":');
    for (const c of drift) out.push(`  # ${p.bold(c.address)} has changed: ${c.drift!.join(', ')}`);
    out.push('', 'Unless you have made equivalent changes to your configuration, or ignored the relevant attributes using ignore_changes, the following plan will undo these changes.', '');
  }
  const used = new Set(plan.changes.map((c) => c.change.action));
  out.push('dew compared the configuration with the stack and will take these actions,', 'shown with the following symbols:');
  for (const [a, text] of LEGEND) if (used.has(a)) out.push(text.replace(SYMBOL[a], p.sym(SYMBOL[a])));
  out.push('', `dew will perform the following actions on stack "${plan.stack}":`);
  for (const c of plan.changes) if (c.change.action !== 'no-op') out.push('', ...renderResource(c, p));
  const n = counts(plan);
  out.push('', `${p.bold('Plan:')} ${n.add} to add, ${n.change} to change, ${n.destroy} to destroy${n.adopt ? `, ${n.adopt} to adopt` : ''}.`);
  const outs = plan.outputs.filter((o) => o.action !== 'no-op');
  if (outs.length && plan.mode === 'normal') {
    out.push('', 'Changes to Outputs:');
    const w = Math.max(...outs.map((o) => o.name.length));
    const shown = (o: (typeof outs)[number]): string => (o.sensitive ? '(sensitive value)' : o.unknown ? '(known after apply)' : literal(o.value));
    for (const o of outs)
      out.push(o.action === 'create' ? `  ${p.sym('+')} ${o.name.padEnd(w)} = ${shown(o)}` : `  ${p.sym('~')} ${o.name.padEnd(w)} = ${o.sensitive ? '(sensitive value)' : `${literal(o.before)} -> ${shown(o)}`}`);
  }
  if (plan.targets.length) out.push('', p.yellow('Warning: Resource targeting is in effect'), '', `The plan may not be the full set of changes: it covers only the targets given with -target and ${plan.mode === 'destroy' ? 'what depends on them' : 'what they depend on'}.`);
  return out.join('\n') + '\n';
}

function header(c: ResourceChange, p: Paint): string[] {
  const a = p.bold(c.address);
  switch (c.change.action) {
    case 'create':
      return [`  # ${a} will be created`, ...(c.note ? [`  # (${c.note})`] : [])];
    case 'update':
      return [`  # ${a} will be updated in-place`];
    case 'delete': {
      const lines = [`  # ${a} will be destroyed`];
      const why: Record<string, string> = {
        delete_because_no_resource_config: `because ${c.resource} is not in configuration`,
        delete_because_count_index: `because index ${JSON.stringify(c.index)} is out of range for count`,
        delete_because_each_key: `because key ${JSON.stringify(c.index)} is not in for_each map`,
        delete_because_wrong_repetition: 'because the repetition mode (count/for_each) of the resource changed',
      };
      if (c.change.actionReason && why[c.change.actionReason]) lines.push(`  # (${why[c.change.actionReason]})`);
      if (!c.gone) lines.push(...notes(c, false));
      if (c.gone) lines.push('  # (the object no longer exists in the daemon; only its record is removed)');
      return lines;
    }
    case 'delete-then-create':
      return [c.change.actionReason === 'replace_by_request' ? `  # ${a} will be replaced, as requested` : `  # ${a} must be replaced`, ...notes(c, true)];
    default:
      return [];
  }
}

/** The resource type's account of what destroying the old object does (scheduled deletion, freed alias). */
function notes(c: ResourceChange, replacing: boolean): string[] {
  const rt = resourceType(c.type);
  if (!rt?.destroyNotes || !isObj(c.change.before)) return [];
  const after = replacing && isObj(c.change.after) ? (c.change.after as Attributes) : undefined;
  return rt.destroyNotes(c.objectId ?? '', c.change.before as Attributes, replacing, after).map((n) => `  # (${n})`);
}

export function renderResource(c: ResourceChange, p: Paint): string[] {
  const sym = SYMBOL[c.change.action as Exclude<Action, 'no-op'>];
  const lines = [...header(c, p), `${sym.length === 1 ? `  ${p.sym(sym)}` : p.sym(sym)} resource "${c.type}" "${c.name}" {`];
  lines.push(...renderBody(c, p, '      '));
  lines.push('    }');
  return lines;
}

function renderBody(c: ResourceChange, p: Paint, ind: string): string[] {
  const ch = c.change;
  const before = isObj(ch.before) ? ch.before : {};
  const after = isObj(ch.after) ? ch.after : {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const forcing = new Set(ch.replacePaths.map((x) => String(x[0])));
  const rows: { sym: string; name: string; text: string[] }[] = [];
  let hidden = 0;
  for (const k of names) {
    const bUnknown = false;
    const aUnknown = marked(sub(ch.afterUnknown, k));
    const bSens = marked(sub(ch.beforeSensitive, k));
    const aSens = marked(sub(ch.afterSensitive, k));
    const b = k in before ? before[k] : null;
    const a = aUnknown ? null : k in after ? after[k] : null;
    const suffix = forcing.has(k) ? p.red(' # forces replacement') : '';
    if (ch.action === 'create') {
      if (aUnknown) rows.push({ sym: '+', name: k, text: ['(known after apply)'] });
      else if (a !== null) rows.push({ sym: '+', name: k, text: aSens ? ['(sensitive value)'] : value(a, '+', p) });
      continue;
    }
    if (ch.action === 'delete') {
      if (b !== null) rows.push({ sym: '-', name: k, text: bSens ? ['(sensitive value) -> null'] : appendLast(value(b, '-', p), ' -> null') });
      continue;
    }
    void bUnknown;
    const same = !aUnknown && jsonEqual(a, b) && bSens === aSens;
    if (same) {
      if (k === 'id' && b !== null) rows.push({ sym: ' ', name: k, text: [literal(b)] });
      else if (b !== null) hidden++;
      continue;
    }
    if (b === null && aUnknown) rows.push({ sym: '+', name: k, text: [`(known after apply)${suffix}`] });
    else if (b === null && !aUnknown && a !== null) rows.push({ sym: '+', name: k, text: aSens ? ['(sensitive value)'] : appendLast(value(a, '+', p), suffix) });
    else if (!aUnknown && a === null) rows.push({ sym: '-', name: k, text: bSens ? ['(sensitive value) -> null'] : appendLast(value(b, '-', p), ` -> null${suffix}`) });
    else if (aSens || bSens) rows.push({ sym: '~', name: k, text: [`(sensitive value)${suffix}`] });
    else if (aUnknown) rows.push({ sym: '~', name: k, text: [`${b === null ? '' : literal(b) + ' -> '}(known after apply)${suffix}`] });
    else if (isObj(a) && isObj(b)) rows.push({ sym: '~', name: k, text: appendLast(mapDiff(b, a, p), suffix) });
    else if (Array.isArray(a) && Array.isArray(b)) rows.push({ sym: '~', name: k, text: appendLast(listDiff(b, a, p), suffix) });
    else rows.push({ sym: '~', name: k, text: [`${literal(b)} -> ${literal(a)}${suffix}`] });
  }
  const width = Math.max(0, ...rows.filter((r) => r.text.length === 1).map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of rows) {
    const [first, ...rest] = r.text;
    lines.push(`${ind}${p.sym(r.sym)} ${r.name.padEnd(r.text.length === 1 ? width : 0)} = ${first}`);
    for (const l of rest) lines.push(`${ind}${l}`);
  }
  if (hidden) lines.push(`${ind}  ${p.dim(`# (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`)}`);
  return lines;
}

function appendLast(lines: string[], s: string): string[] {
  return s ? [...lines.slice(0, -1), lines[lines.length - 1] + s] : lines;
}

/** A value printed for create (+) or destroy (-): maps and lists open a block with per-element symbols. */
function value(v: Json, sym: string, p: Paint): string[] {
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return ['{}'];
    const w = Math.max(...keys.map((k) => JSON.stringify(k).length));
    return ['{', ...keys.map((k) => `    ${p.sym(sym)} ${JSON.stringify(k).padEnd(w)} = ${literal(v[k])}`), '  }'];
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return ['[]'];
    return ['[', ...v.map((x) => `    ${p.sym(sym)} ${literal(x)},`), '  ]'];
  }
  return [literal(v)];
}

function mapDiff(b: Obj, a: Obj, p: Paint): string[] {
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const w = Math.max(...keys.map((k) => JSON.stringify(k).length));
  const lines = ['{'];
  let hidden = 0;
  for (const k of keys) {
    const q = JSON.stringify(k).padEnd(w);
    if (!(k in b)) lines.push(`    ${p.sym('+')} ${q} = ${literal(a[k])}`);
    else if (!(k in a)) lines.push(`    ${p.sym('-')} ${q} = ${literal(b[k])} -> null`);
    else if (!jsonEqual(a[k], b[k])) lines.push(`    ${p.sym('~')} ${q} = ${literal(b[k])} -> ${literal(a[k])}`);
    else hidden++;
  }
  if (hidden) lines.push(`      ${p.dim(`# (${hidden} unchanged element${hidden === 1 ? '' : 's'} hidden)`)}`);
  lines.push('  }');
  return lines;
}

function listDiff(b: Json[], a: Json[], p: Paint): string[] {
  const lines = ['['];
  let hidden = 0;
  const inA = (x: Json): boolean => a.some((y) => jsonEqual(x, y));
  const inB = (x: Json): boolean => b.some((y) => jsonEqual(x, y));
  for (const x of b) if (!inA(x)) lines.push(`    ${p.sym('-')} ${literal(x)},`);
  for (const x of a) {
    if (!inB(x)) lines.push(`    ${p.sym('+')} ${literal(x)},`);
    else hidden++;
  }
  if (hidden) lines.push(`      ${p.dim(`# (${hidden} unchanged element${hidden === 1 ? '' : 's'} hidden)`)}`);
  lines.push('  ]');
  return lines;
}
