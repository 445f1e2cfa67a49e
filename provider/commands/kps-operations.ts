/**
 * The KPS operations `dew kps` calls (reference 4, daemon/modules/kps/module.ts): method, path under
 * `/v3/{project_id}`, request schema and wrapper, path and query flags; and the pure step from parsed
 * flags to the request.
 */
import { CliError } from './context.js';
import { fieldRows, fieldTypes, flagOf, helpRow, jsonObject, operationPage, readOperationSchema, operationRequest, type OperationRequest, type FieldTypes, type OperationSchema, type ParsedFields } from './operation-fields.js';

export interface KpsOperation {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/v3/{project_id}`; `{keypair_name}`, `{host_id}` and `{task_id}` are filled from flags (PATH_PARAMS). */
  readonly path: string;
  /** The request schema, schemas/kps/FILE.json: the fields and the help text. */
  readonly schema?: string;
  /** The object the fields go in (`{"keypair": {…}}`); absent: the body's top level. */
  readonly wrap?: 'keypair' | 'host';
  readonly query?: readonly ('limit' | 'marker' | 'offset')[];
  /** The help summary of an operation without a schema. */
  readonly summary?: string;
  /** `--wait`: poll the task the answer names until it ends. */
  readonly wait?: boolean;
  /** `--out FILE`: write the answer's private key to FILE (0600) instead of printing it. */
  readonly out?: boolean;
}

const op = (o: KpsOperation): KpsOperation => Object.freeze(o);

export const KPS_OPERATIONS: Readonly<Record<string, KpsOperation>> = Object.freeze({
  'create-keypair': op({ method: 'POST', path: '/keypairs', schema: 'keypair-create', wrap: 'keypair' }),
  'list-keypairs': op({ method: 'GET', path: '/keypairs', query: ['limit', 'marker'], summary: 'the key pairs you see (yours and the account\u2019s), by name, a page at a time' }),
  'show-keypair': op({ method: 'GET', path: '/keypairs/{keypair_name}', summary: 'one key pair: public key, fingerprint, scope, and whether the service holds its private key' }),
  'update-keypair': op({ method: 'PUT', path: '/keypairs/{keypair_name}', schema: 'keypair-update', wrap: 'keypair' }),
  'delete-keypair': op({ method: 'DELETE', path: '/keypairs/{keypair_name}', summary: 'deletes a key pair (refused while it is bound to a host)' }),
  'import-private-key': op({ method: 'POST', path: '/keypairs/private-key/import', schema: 'private-key-import', wrap: 'keypair' }),
  'export-private-key': op({ method: 'POST', path: '/keypairs/private-key/export', schema: 'private-key-export', wrap: 'keypair', out: true }),
  'clear-private-key': op({ method: 'DELETE', path: '/keypairs/{keypair_name}/private-key', summary: 'the service forgets the private key of a managed key pair' }),
  'batch-import-keypair': op({ method: 'POST', path: '/keypairs/batch-import', schema: 'batch-import' }),
  'batch-export-private-key': op({ method: 'POST', path: '/keypairs/private-key/batch-export', schema: 'batch-export' }),
  'decrypt-password': op({ method: 'POST', path: '/keypairs/decrypt-password', schema: 'decrypt-password', wrap: 'keypair' }),
  'associate-keypair': op({ method: 'POST', path: '/keypairs/associate', schema: 'associate', wait: true }),
  'batch-associate-keypair': op({ method: 'POST', path: '/keypairs/batch-associate', schema: 'batch-associate' }),
  'disassociate-keypair': op({ method: 'POST', path: '/keypairs/disassociate', schema: 'disassociate', wait: true }),
  'show-task': op({ method: 'GET', path: '/tasks/{task_id}', summary: 'a binding task: task_status RUNNING_*, SUCCESS_* or FAILED_* (with task_error_code and task_error_msg)' }),
  'list-running-tasks': op({ method: 'GET', path: '/running-tasks', query: ['limit', 'offset'], summary: 'the binding tasks still running' }),
  'list-failed-tasks': op({ method: 'GET', path: '/failed-tasks', query: ['limit', 'offset'], summary: 'the binding tasks that failed, with their reasons' }),
  'delete-all-failed-tasks': op({ method: 'DELETE', path: '/failed-tasks', summary: 'forgets every failed task' }),
  'delete-failed-task': op({ method: 'DELETE', path: '/failed-tasks/{task_id}', summary: 'forgets one failed task' }),
  'create-host': op({ method: 'POST', path: '/hosts', schema: 'host-create', wrap: 'host' }),
  'list-hosts': op({ method: 'GET', path: '/hosts', query: ['limit', 'offset'], summary: 'the SSH hosts of the project, with the key pair bound to each' }),
  'show-host': op({ method: 'GET', path: '/hosts/{host_id}', summary: 'one SSH host: address, login user, pinned host key and bound key pair' }),
  'update-host': op({ method: 'PUT', path: '/hosts/{host_id}', schema: 'host-update', wrap: 'host' }),
  'delete-host': op({ method: 'DELETE', path: '/hosts/{host_id}', summary: 'deletes a host (refused while a key pair is bound or a task runs on it)' }),
});

/** Path parameters: the flag (wire name) that fills each, and its help text. */
const PATH_PARAMS: Readonly<Record<string, { field: string; text: string }>> = Object.freeze({
  keypair_name: { field: 'name', text: 'required, the key pair\u2019s name' },
  host_id: { field: 'host_id', text: 'required, the host\u2019s id or name' },
  task_id: { field: 'task_id', text: 'required, the task id (from associate-keypair or disassociate-keypair)' },
});

const QUERY_TEXT: Readonly<Record<string, string>> = Object.freeze({
  limit: 'integer, page size',
  marker: 'string, the name after which the page starts (page_info.next_marker)',
  offset: 'integer, how many to skip',
});

/** The operation's schema and the object its fields describe (the wrapped one, or the top level). */
function fieldsSchema(o: KpsOperation): { schema: OperationSchema | undefined; fields: OperationSchema | undefined } {
  const schema = o.schema ? readOperationSchema('kps', o.schema) : undefined;
  return { schema, fields: o.wrap ? schema?.properties?.[o.wrap] : schema };
}

const pathParams = (o: KpsOperation): string[] => [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

/** Every flag's JSON types: the schema's fields, strings for path and query flags and --out. */
export function kpsFieldTypes(o: KpsOperation): FieldTypes {
  const out: Record<string, readonly string[]> = { ...fieldTypes(fieldsSchema(o).fields) };
  for (const p of pathParams(o)) out[PATH_PARAMS[p].field] = ['string'];
  for (const q of o.query ?? []) out[q] = ['string'];
  if (o.out) out.out = ['string'];
  return out;
}

/** `dew kps OP --help`. */
export function kpsOperationPage(name: string, o: KpsOperation): string {
  const { schema, fields } = fieldsSchema(o);
  const params = pathParams(o).map((p) => PATH_PARAMS[p]);
  const rows = params.map((p) => helpRow(flagOf(p.field), p.text));
  rows.push(...(o.query ?? []).map((q) => helpRow(flagOf(q), QUERY_TEXT[q])));
  if (schema?.type === 'array') rows.push(helpRow('--json JSON', 'required, the body: a JSON array [{"keypair":{…}},…] of 1 to 10 items'));
  else rows.push(...fieldRows(fields, { shapes: true }));
  if (o.out) rows.push(helpRow('--out FILE', 'write the private key to FILE (mode 0600) instead of printing it'));
  if (o.wait) rows.push(helpRow('--wait', 'wait for the task to end; exit 1 with its error when it fails'));
  const args = [
    ...params.map((p) => `${flagOf(p.field)} ${p.field.toUpperCase()}`),
    ...(o.query ?? []).map((q) => `[${flagOf(q)} ${q === 'marker' ? 'NAME' : 'N'}]`),
    ...(schema?.type === 'array' ? ["--json '[…]'"] : o.schema ? ["[--field-name value]… [--json '{…}']"] : []),
    ...(o.out ? ['[--out FILE]'] : []),
    ...(o.wait ? ['[--wait]'] : []),
  ];
  return operationPage('kps', name, schema?.description ?? o.summary ?? `the KPS operation ${name}`, rows, args.join(' '));
}

export type KpsRequest = OperationRequest;

/** The request of `dew kps OP` from its parsed flags: path and query flags taken out, the rest in the (wrapped) body. */
export function kpsRequest(name: string, o: KpsOperation, parsed: Pick<ParsedFields, 'fields' | 'json'>): KpsRequest {
  const { req, remaining: fields, bodyless } = operationRequest('kps', name, o, '/v3/{project_id}', PATH_PARAMS, parsed);
  if (bodyless) return req;
  if (Array.isArray(parsed.json)) {
    if (Object.keys(fields).length) throw new CliError('usage', `dew kps ${name}: give the whole body with --json, or fields, not both`);
    return { ...req, body: parsed.json };
  }
  const base = jsonObject(parsed.json);
  if (!o.wrap) return { ...req, body: { ...base, ...fields } };
  return { ...req, body: { ...base, [o.wrap]: { ...jsonObject(base[o.wrap]), ...fields } } };
}
