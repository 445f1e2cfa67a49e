/**
 * What `dew kms OP` and `dew kps OP` share: an operation's request schema (schemas/SERVICE/*.json),
 * its `--field-name value` flags turned into JSON of the schema's types, its `--help` page, and the
 * usage error naming the nearest operation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemasDir } from '../../schemas/index.js';
import { didYouMean } from '../config/did-you-mean.js';
import { CliError } from './context.js';

export interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  properties?: Record<string, FieldSchema>;
  required?: string[];
  items?: FieldSchema;
}

export interface OperationSchema extends FieldSchema {
  title?: string;
}

/** The request schema of `service/file.json`, or undefined when there is none. */
export function readOperationSchema(service: string, file: string): OperationSchema | undefined {
  const path = join(schemasDir(), service, `${file}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as OperationSchema) : undefined;
}

/** `--field-name` for a wire field name. */
export const flagOf = (name: string): string => `--${name.replace(/_/g, '-')}`;

/** One row of a help page's field table. */
export const helpRow = (flag: string, text: string): string => `  ${flag.padEnd(32)}${text}`;

/** `{a, b: {c}}`: the field names of an object schema, nested objects and array items spelled out. */
function shapeOf(schema: FieldSchema): string {
  const inner = schema.type === 'array' && schema.items ? schema.items : schema;
  const names = Object.entries(inner.properties ?? {}).map(([n, p]) => (p.properties || p.items?.properties ? `${n}: ${shapeOf(p)}` : n));
  const obj = `{${names.join(', ')}}`;
  return schema.type === 'array' ? `[${obj},…]` : obj;
}

/**
 * The help rows of an object schema's fields: flag, required, type or enum, description; with
 * `shapes`, an object or array field also shows the names inside it.
 */
export function fieldRows(schema: FieldSchema | undefined, opts: { shapes?: boolean } = {}): string[] {
  return Object.entries(schema?.properties ?? {}).map(([name, p]) => {
    const type = p.enum ? p.enum.join('|') : [p.type ?? 'value'].flat().join('|');
    const shape = opts.shapes && (p.properties || p.items?.properties) ? ` ${shapeOf(p)}` : '';
    return helpRow(flagOf(name), `${schema?.required?.includes(name) ? 'required, ' : ''}${type}${shape}${p.description ? `: ${p.description}` : ''}`);
  });
}

const BODY_ARGS = "[--field-name value]… [--json '{…}']";

/** `dew SERVICE OP --help`: the summary, usage line and field table (`args`: what the usage line shows before the credentials). */
export function operationPage(service: string, operation: string, summary: string, rows: readonly string[], args = BODY_ARGS): string {
  const usage = `usage: dew ${service} ${operation} ${args} [-credentials FILE]`;
  return [summary, '', usage, ...(rows.length ? ['', 'fields:', ...rows] : [])].join('\n') + '\n';
}

/** A usage error for an operation dew does not know, naming the nearest one. */
export function unknownOperation(service: string, operation: string, known: readonly string[]): CliError {
  const near = didYouMean(operation, [...known]);
  return new CliError('usage', `dew ${service}: unknown operation ${operation}${near ? `. Did you mean "${near}"?` : ''}`, { hint: `Operations: ${known.join(', ')}` });
}

export type FieldTypes = Readonly<Record<string, readonly string[]>>;

/** The JSON types each field of an object schema accepts (empty when the schema has none). */
export function fieldTypes(schema: FieldSchema | undefined): FieldTypes {
  const out: Record<string, string[]> = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) out[name] = Array.isArray(prop.type) ? prop.type : prop.type ? [prop.type] : [];
  return out;
}

/** Turns a command-line value into the JSON type the schema wants (strings stay strings by default). */
function coerce(name: string, raw: string, types: readonly string[] | undefined): unknown {
  const want = types ?? [];
  if (want.includes('string')) return raw;
  try {
    if (want.includes('integer') || want.includes('number')) {
      const n = Number(raw);
      if (raw.trim() !== '' && Number.isFinite(n)) return n;
    }
    if (want.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
    if (want.includes('array') || want.includes('object') || /^[[{]/.test(raw)) return JSON.parse(raw);
  } catch {
    throw new CliError('usage', `${flagOf(name)}: not valid JSON`);
  }
  return raw;
}

export interface ParsedFields {
  /** `--field-name value` pairs by wire name (`field_name`), typed by the schema. */
  fields: Record<string, unknown>;
  /** The value of `--json`, parsed (undefined when not given). */
  json: unknown;
  /** The value-less switches given (`--wait`), by name. */
  switches: Set<string>;
}

/** Parses `--key-id app --plain-text hi` (and `--json '{…}'`, and the named value-less switches). */
export function parseFieldFlags(argv: readonly string[], types: FieldTypes, switchNames: readonly string[] = []): ParsedFields {
  const out: ParsedFields = { fields: {}, json: undefined, switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) throw new CliError('usage', `unexpected argument ${a}: fields are given as --field-name value`);
    const eq = a.indexOf('=');
    const flag = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    if (eq < 0 && switchNames.includes(flag)) {
      out.switches.add(flag);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new CliError('usage', `--${flag} needs a value`);
    if (flag === 'json') {
      try {
        out.json = JSON.parse(value);
      } catch {
        throw new CliError('usage', '--json: not valid JSON');
      }
      continue;
    }
    const name = flag.replace(/-/g, '_');
    out.fields[name] = coerce(name, value, types[name]);
  }
  return out;
}

/** `--json` as an object to merge fields into (a usage error for anything else). */
export function jsonObject(json: unknown): Record<string, unknown> {
  if (json === undefined) return {};
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError('usage', '--json: this operation takes a JSON object');
  return json as Record<string, unknown>;
}

/** A service operation's request before its body: method, path (parameters filled from flags), query. */
export interface OperationRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: object;
  query?: Record<string, string>;
}

/**
 * Takes the path and query flags of `dew SERVICE NAME` out of `parsed.fields` (the rest are the body's):
 * `{param}` in `o.path` is filled from the flag `params[param].field`, a missing one is a usage error;
 * a GET or DELETE given body flags or --json is refused. `remaining` is what is left for the body.
 */
export function operationRequest(
  service: string,
  name: string,
  o: { method: OperationRequest['method']; path: string; query?: readonly string[] },
  prefix: string,
  params: Readonly<Record<string, { field: string }>>,
  parsed: Pick<ParsedFields, 'fields' | 'json'>,
): { req: OperationRequest; remaining: Record<string, unknown>; bodyless: boolean } {
  const fields: Record<string, unknown> = { ...parsed.fields };
  const take = (field: string): string | undefined => {
    const v = fields[field];
    delete fields[field];
    return v === undefined ? undefined : String(v);
  };
  const hint = { hint: `See \`dew ${service} ${name} --help\`.` };
  const path = o.path.replace(/\{(\w+)\}/g, (_, p: string) => {
    const v = take(params[p].field);
    if (v === undefined || v === '') throw new CliError('usage', `dew ${service} ${name} needs ${flagOf(params[p].field)}`, hint);
    return encodeURIComponent(v);
  });
  const query: Record<string, string> = {};
  for (const q of o.query ?? []) {
    const v = take(q);
    if (v !== undefined) query[q] = v;
  }
  const req: OperationRequest = { method: o.method, path: `${prefix}${path}`, ...(Object.keys(query).length ? { query } : {}) };
  const bodyless = o.method === 'GET' || o.method === 'DELETE';
  if (bodyless) {
    const extra = Object.keys(fields);
    if (extra.length || parsed.json !== undefined) throw new CliError('usage', `dew ${service} ${name} takes no ${extra.length ? flagOf(extra[0]) : '--json'}`, hint);
  }
  return { req, remaining: fields, bodyless };
}
