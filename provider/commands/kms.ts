/** `dew kms <operation> [--field value]…`: calls any KMS operation and prints the JSON answer. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { schemasDir } from '../../schemas/index.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { HELP, renderHelp } from './help-table.js';
import { IMPORT_MATERIAL_HELP } from './kms-import.js';
import { fieldRows, fieldTypes, helpRow, jsonObject, operationPage, parseFieldFlags, readOperationSchema, unknownOperation } from './operation-fields.js';

/** Operations that are not `POST /kms/{operation}` with a JSON body. */
interface Special {
  method: string;
  path: (b: Record<string, unknown>) => string;
  keep?: string[];
  /** Fields sent as the query string (GET lists). */
  query?: string[];
  /** `dew kms OP --help`: these operations have no request schema to describe them. */
  summary: string;
  fields: readonly (readonly [flag: string, text: string])[];
}

const KEY_ID_FIELD = ['--key-id', 'required, the key id or alias'] as const;
const KEYSTORE_ID_FIELD = ['--keystore-id', 'required, the keystore_id'] as const;
const keystore = (b: Record<string, unknown>): string => `/keystores/${enc(b.keystore_id, '--keystore-id')}`;

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
  // Keystores (reference 1h: /v1.0/{project_id}/keystores…), named as the reference's operations are (CreateKeyStore, …)
  // its fields and help come from schemas/kms/create-keystore.json
  'create-keystore': { method: 'POST', path: () => '/keystores', keep: ['keystore_alias', 'keystore_type', 'hsm_cluster_id', 'hsm_ca_cert', 'cluster_id'], summary: 'creates a dedicated keystore on an HSM instance', fields: [] },
  'list-keystores': { method: 'GET', path: () => '/keystores', query: ['limit', 'offset'], summary: 'the keystores of the project, with their state and how many keys each holds', fields: [['--limit', 'page size (default 10)'], ['--offset', 'how many to skip']] },
  'show-keystore': { method: 'GET', path: keystore, summary: 'one keystore: alias, instance (hsm_cluster_id), state and key count', fields: [KEYSTORE_ID_FIELD] },
  'enable-keystore': { method: 'POST', path: (b) => `${keystore(b)}/enable`, keep: [], summary: 'enables a keystore: its keys can be used again', fields: [KEYSTORE_ID_FIELD] },
  'disable-keystore': { method: 'POST', path: (b) => `${keystore(b)}/disable`, keep: [], summary: 'disables a keystore: its keys refuse use until it is enabled', fields: [KEYSTORE_ID_FIELD] },
  'delete-keystore': { method: 'DELETE', path: keystore, summary: 'deletes a keystore (refused while it holds keys)', fields: [KEYSTORE_ID_FIELD] },
  'resource-instances': {
    method: 'POST', path: () => '/kms/resource_instances/action', summary: 'keys filtered or counted by tags (reference: resource_instances/action)',
    fields: [['--action', 'required, filter|count'], ['--tags', '[{"key":K,"values":[V,…]},…]'], ['--matches', '[{"key":"resource_name","value":V}]'], ['--limit', 'page size'], ['--offset', 'page start']],
  },
});

function enc(v: unknown, flag?: string): string {
  if (typeof v !== 'string' || v === '') throw new CliError('usage', flag ? `this operation needs ${flag}` : 'this operation needs --key-id (and --tag-key for delete-tag)');
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
  const schema = readOperationSchema('kms', operation);
  // a special operation without fields of its own (create-keystore) is described by its request schema, as the daemon validates by it
  if (special && (special.fields.length || !schema)) return operationPage('kms', operation, special.summary, special.fields.map(([flag, text]) => helpRow(flag, text)));
  return operationPage('kms', operation, schema?.description ?? `the KMS operation ${operation}`, fieldRows(schema));
}

/** Parses `--key-id app --plain-text hi` (and `--json '{…}'` for a whole body, the flags on top) into a request body. */
export function parseFields(operation: string, argv: readonly string[]): Record<string, unknown> {
  const { fields, json } = parseFieldFlags(argv, fieldTypes(readOperationSchema('kms', operation)));
  return { ...jsonObject(json), ...fields };
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
  if (!kmsOperations().includes(operation)) throw unknownOperation('kms', operation, kmsOperations());
  const body = parseFields(operation, fields);
  const { client } = connect(ctx, credentialsFile);
  return printingApiErrors(ctx, async () => {
    const special = SPECIAL[operation];
    let answer: unknown;
    if (special) {
      const path = `/v1.0/{project_id}${special.path(body)}`;
      const sent = special.keep ? Object.fromEntries(Object.entries(body).filter(([k]) => special.keep?.includes(k))) : body;
      const query = special.query ? Object.fromEntries(special.query.filter((q) => body[q] !== undefined).map((q) => [q, String(body[q])])) : undefined;
      const res = await client.request(special.method, path, special.method === 'GET' || special.method === 'DELETE' ? undefined : sent, query);
      answer = res.body;
    } else {
      answer = await client.kms(operation, body);
    }
    if (answer !== undefined && answer !== '') ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
    return 0;
  });
};
