/** `dew kms <operation> [--field value]…`: calls any KMS operation and prints the JSON answer. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemasDir } from '../../schemas/index.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';

/** Operations that are not `POST /kms/{operation}` with a JSON body. */
const SPECIAL: Readonly<Record<string, { method: string; path: (b: Record<string, unknown>) => string; keep?: string[] }>> = Object.freeze({
  'user-instances': { method: 'GET', path: () => '/kms/user-instances' },
  'user-quotas': { method: 'GET', path: () => '/kms/user-quotas' },
  'list-project-tags': { method: 'GET', path: () => '/kms/tags' },
  'list-key-tags': { method: 'GET', path: (b) => `/kms/${enc(b.key_id)}/tags` },
  'create-tag': { method: 'POST', path: (b) => `/kms/${enc(b.key_id)}/tags`, keep: ['tag', 'sequence'] },
  'batch-tags': { method: 'POST', path: (b) => `/kms/${enc(b.key_id)}/tags/action`, keep: ['tags', 'action', 'sequence'] },
  'delete-tag': { method: 'DELETE', path: (b) => `/kms/${enc(b.key_id)}/tags/${enc(b.tag_key)}` },
  'resource-instances': { method: 'POST', path: () => '/kms/resource_instances/action' },
});

function enc(v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new CliError('usage', 'this operation needs --key-id (and --tag-key for delete-tag)');
  return encodeURIComponent(v);
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

const USAGE = `usage: dew kms <operation> [--field-name value]… [--json '{…}'] [--credentials FILE]
  e.g. dew kms create-key --key-alias app
       dew kms encrypt-data --key-id app --plain-text hi
       dew kms import-material --key KEY --file material.bin|key.pem   (wraps locally, then imports)
  Field names are the API's, with - for _. Operations: the reference KMS operations
  (create-key, describe-key, list-keys, encrypt-data, decrypt-data, create-datakey, …) and
  ${Object.keys(SPECIAL).join(', ')}.`;

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
  if (!/^[a-z0-9-]+$/.test(operation)) throw new CliError('usage', `unknown operation ${operation}`, { hint: USAGE });
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
