/** `dew kms <operation> [--field value]…`: calls any KMS operation and prints the JSON answer. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemasDir } from '../../schemas/index.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { didYouMean } from '../config/did-you-mean.js';
import { HELP, renderHelp } from './help-table.js';
import { IMPORT_MATERIAL_HELP } from './kms-import.js';

/** Operations that are not `POST /kms/{operation}` with a JSON body. */
interface Special {
  method: string;
  path: (b: Record<string, unknown>) => string;
  keep?: string[];
  /** `dew kms OP --help`: these operations have no request schema to describe them. */
  summary: string;
  fields: readonly (readonly [flag: string, text: string])[];
}

const KEY_ID_FIELD = ['--key-id', 'required, the key id or alias'] as const;

const SPECIAL: Readonly<Record<string, Special>> = Object.freeze({
  'user-instances': { method: 'GET', path: () => '/kms/user-instances', summary: 'how many custom keys the project has (reference: user-instances)', fields: [] },
  'user-quotas': { method: 'GET', path: () => '/kms/user-quotas', summary: 'the project\u2019s quotas and what is used of them (keys, grants per key)', fields: [] },
  'list-project-tags': { method: 'GET', path: () => '/kms/tags', summary: 'every tag key and its values used on the project\u2019s keys', fields: [] },
  'list-key-tags': { method: 'GET', path: (b) => `/kms/${enc(b.key_id)}/tags`, summary: 'the tags of one key', fields: [KEY_ID_FIELD] },
  'create-tag': {
    method: 'POST', path: (b) => `/kms/${enc(b.key_id)}/tags`, keep: ['tag', 'sequence'], summary: 'adds (or replaces) one tag on a key',
    fields: [KEY_ID_FIELD, ['--tag', 'required, {"key":K,"value":V} (key 1-36, value 0-43 characters)']],
  },
  'batch-tags': {
    method: 'POST', path: (b) => `/kms/${enc(b.key_id)}/tags/action`, keep: ['tags', 'action', 'sequence'], summary: 'adds or deletes several tags of a key at once',
    fields: [KEY_ID_FIELD, ['--action', 'required, create|delete'], ['--tags', 'required, [{"key":K,"value":V},…] (at most 10 tags a key)']],
  },
  'delete-tag': { method: 'DELETE', path: (b) => `/kms/${enc(b.key_id)}/tags/${enc(b.tag_key)}`, summary: 'removes one tag from a key', fields: [KEY_ID_FIELD, ['--tag-key', 'required, the tag\u2019s key']] },
  'resource-instances': {
    method: 'POST', path: () => '/kms/resource_instances/action', summary: 'keys filtered or counted by tags (reference: resource_instances/action)',
    fields: [['--action', 'required, filter|count'], ['--tags', '[{"key":K,"values":[V,…]},…]'], ['--matches', '[{"key":"resource_name","value":V}]'], ['--limit', 'page size'], ['--offset', 'page start']],
  },
});

function enc(v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new CliError('usage', 'this operation needs --key-id (and --tag-key for delete-tag)');
  return encodeURIComponent(v);
}

/** Every operation `dew kms` knows: one per request schema, the SPECIAL ones and import-material. */
export function kmsOperations(): string[] {
  const schemas = readdirSync(join(schemasDir(), 'kms')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  return [...new Set([...schemas, ...Object.keys(SPECIAL), 'import-material'])].sort();
}

/** `dew kms OP --help`: the operation's description and fields from its schema (or its own table, for the few without one). */
export function operationHelp(operation: string): string {
  if (operation === 'import-material') return IMPORT_MATERIAL_HELP;
  const special = SPECIAL[operation];
  if (special) {
    return helpPage(operation, special.summary, special.fields.map(([flag, text]) => `  ${flag.padEnd(32)}${text}`));
  }
  const file = join(schemasDir(), 'kms', `${operation}.json`);
  const schema = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { description?: string; required?: string[]; properties?: Record<string, { type?: string | string[]; enum?: unknown[]; description?: string }> }) : {};
  const props = Object.entries(schema.properties ?? {});
  const rows = props.map(([name, p]) => {
    const flag = `--${name.replace(/_/g, '-')}`;
    const type = p.enum ? p.enum.join('|') : [p.type ?? 'value'].flat().join('|');
    return `  ${flag.padEnd(32)}${schema.required?.includes(name) ? 'required, ' : ''}${type}${p.description ? `: ${p.description}` : ''}`;
  });
  return helpPage(operation, schema.description ?? `the KMS operation ${operation}`, rows);
}

function helpPage(operation: string, summary: string, rows: string[]): string {
  return [summary, '', `usage: dew kms ${operation} [--field-name value]… [--json '{…}'] [-credentials FILE]`, ...(rows.length ? ['', 'fields:', ...rows] : [])].join('\n') + '\n';
}

/** A usage error for an operation dew does not know, naming the nearest one. */
function unknownOperation(operation: string): CliError {
  const near = didYouMean(operation, kmsOperations());
  return new CliError('usage', `dew kms: unknown operation ${operation}${near ? `. Did you mean "${near}"?` : ''}`, { hint: `Operations: ${kmsOperations().join(', ')}` });
}

type FieldTypes = Record<string, string[]>;

/** The JSON types each field of an operation accepts, read from the shared schema (empty when none). */
function fieldTypes(operation: string): FieldTypes {
  const file = join(schemasDir(), 'kms', `${operation}.json`);
  if (!existsSync(file)) return {};
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { properties?: Record<string, { type?: string | string[] }> };
  const out: FieldTypes = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    out[name] = Array.isArray(prop.type) ? prop.type : prop.type ? [prop.type] : [];
  }
  return out;
}

/** Turns a command-line value into the JSON type the schema wants (strings stay strings by default). */
function coerce(name: string, raw: string, types: string[] | undefined): unknown {
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
    throw new CliError('usage', `--${name.replace(/_/g, '-')}: not valid JSON`);
  }
  return raw;
}

/** Parses `--key-id app --plain-text hi` (and `--json '{…}'` for a whole body) into a request body. */
export function parseFields(operation: string, argv: readonly string[]): Record<string, unknown> {
  const types = fieldTypes(operation);
  let body: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) throw new CliError('usage', `unexpected argument ${a}: fields are given as --field-name value`);
    const eq = a.indexOf('=');
    const flag = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new CliError('usage', `--${flag} needs a value`);
    if (flag === 'json') {
      try {
        body = { ...body, ...(JSON.parse(value) as Record<string, unknown>) };
      } catch {
        throw new CliError('usage', '--json: not valid JSON');
      }
      continue;
    }
    const name = flag.replace(/-/g, '_');
    body[name] = coerce(name, value, types[name]);
  }
  return body;
}

const USAGE = renderHelp(HELP.kms).trimEnd();

export const kmsCommand: Command = async (ctx: CommandContext) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const [operation, ...fields] = rest;
  if (!operation || operation === '--help' || operation === '-h' || operation === 'help') {
    ctx.stdout.write(USAGE + '\n');
    return operation ? 0 : 1;
  }
  if (operation === 'import-material') {
    const argv = [...(credentialsFile ? ['--credentials', credentialsFile] : []), ...fields];
    return (await import('./kms-import.js')).importMaterialCommand({ ...ctx, argv });
  }
  if (!kmsOperations().includes(operation)) throw unknownOperation(operation);
  const body = parseFields(operation, fields);
  const { client } = connect(ctx, credentialsFile);
  return printingApiErrors(ctx, async () => {
    const special = SPECIAL[operation];
    let answer: unknown;
    if (special) {
      const path = `/v1.0/{project_id}${special.path(body)}`;
      const sent = special.keep ? Object.fromEntries(Object.entries(body).filter(([k]) => special.keep?.includes(k))) : body;
      const res = await client.request(special.method, path, special.method === 'GET' || special.method === 'DELETE' ? undefined : sent);
      answer = res.body;
    } else {
      answer = await client.kms(operation, body);
    }
    if (answer !== undefined && answer !== '') ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
    return 0;
  });
};
