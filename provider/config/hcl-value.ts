/**
 * A value written as HCL, the way `terraform output` shows one: strings, numbers and booleans as
 * literals, maps and lists over several lines with the `=` aligned, keys quoted unless they are
 * identifiers.
 */
import type { Json } from './values.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function hclValue(v: Json, indent = ''): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => `${inner}${hclValue(x, inner)},\n`).join('')}${indent}]`;
  }
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return '{}';
  const names = keys.map((k) => (IDENTIFIER.test(k) ? k : JSON.stringify(k)));
  const width = Math.max(...names.map((n) => n.length));
  return `{\n${keys.map((k, i) => `${inner}${names[i].padEnd(width)} = ${hclValue(v[k], inner)}\n`).join('')}${indent}}`;
}
