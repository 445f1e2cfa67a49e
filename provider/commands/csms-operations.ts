/**
 * The CSMS operations `dew csms` calls (reference 5): method, path under `/v1/{project_id}`, request schema
 * (schemas/csms/FILE.json), path and query flags; and the pure step from parsed flags to the request.
 * Names follow `dew kps`: verb-noun, the secret named by --name.
 */
import { CliError } from './context.js';
import { fieldRows, fieldTypes, flagOf, helpRow, jsonObject, operationPage, readOperationSchema, type FieldTypes, type ParsedFields } from './operation-fields.js';

export interface CsmsOperation {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/v1/{project_id}`; `{secret_name}`, `{version_id}`, `{stage_name}`, `{secret_id}`, `{tag_key}`, `{event_name}` come from flags. */
  readonly path: string;
  /** The request schema, schemas/csms/FILE.json: the fields and the help text. */
  readonly schema?: string;
  readonly query?: readonly string[];
  /** The help summary (the schema's description when it has one). */
  readonly summary: string;
  /** Body fields when there is no schema: wire name, JSON type, help text. */
  readonly fields?: readonly (readonly [name: string, type: string, text: string])[];
}

const op = (o: CsmsOperation): CsmsOperation => Object.freeze(o);
const PAGE = ['limit', 'marker'] as const;

export const CSMS_OPERATIONS: Readonly<Record<string, CsmsOperation>> = Object.freeze({
  'create-secret': op({ method: 'POST', path: '/secrets', schema: 'secret-create', summary: 'creates a secret and its first version v1 (exactly one of --secret-string / --secret-binary)', fields: [['name', 'string', 'required, 1-64 of A-Z a-z 0-9 _ -'], ['secret_string', 'string', 'the value as text (at most 32 KB)'], ['secret_binary', 'string', 'the value as Base64'], ['kms_key_id', 'string', 'the KMS key (default csms/default)'], ['description', 'string', ''], ['secret_type', 'string', 'COMMON'], ['auto_rotation', 'boolean', ''], ['rotation_period', 'string', '<int><d|h|m|s>, 6h-8760h'], ['event_subscriptions', 'array', '[event name] (at most 1)'], ['enterprise_project_id', 'string', '']] }),
  'list-secrets': op({ method: 'GET', path: '/secrets', query: [...PAGE, 'event_name'], summary: 'the secrets of the project, by name, a page at a time' }),
  'show-secret': op({ method: 'GET', path: '/secrets/{secret_name}', summary: 'one secret: state, key, rotation, scheduled deletion (never its value: see dew csms get)' }),
  'update-secret': op({ method: 'PUT', path: '/secrets/{secret_name}', schema: 'secret-update', summary: 'changes the key (new versions only), description, rotation or event subscriptions of a secret', fields: [['kms_key_id', 'string', ''], ['description', 'string', ''], ['auto_rotation', 'boolean', ''], ['rotation_period', 'string', '<int><d|h|m|s>'], ['event_subscriptions', 'array', '[event name]']] }),
  'delete-secret': op({ method: 'DELETE', path: '/secrets/{secret_name}', summary: 'deletes a secret and all its versions AT ONCE, for good (schedule-deletion can be undone)' }),
  'schedule-deletion': op({ method: 'POST', path: '/secrets/{secret_name}/scheduled-deleted-tasks/create', schema: 'secret-schedule-deletion', summary: 'schedules the deletion of a secret 7-30 days ahead', fields: [['recovery_window_in_days', 'integer', 'required, 7-30 (default 30)']] }),
  'cancel-deletion': op({ method: 'POST', path: '/secrets/{secret_name}/scheduled-deleted-tasks/cancel', summary: 'cancels a scheduled deletion: the secret is back as it was' }),
  'create-version': op({ method: 'POST', path: '/secrets/{secret_name}/versions', schema: 'version-create', summary: 'adds a version with a new value; it takes SYSCURRENT unless --version-stages says otherwise', fields: [['secret_string', 'string', 'the value as text'], ['secret_binary', 'string', 'the value as Base64'], ['version_stages', 'array', '[stage,…] (default ["SYSCURRENT"])'], ['expire_time', 'integer', 'epoch seconds']] }),
  'list-versions': op({ method: 'GET', path: '/secrets/{secret_name}/versions', query: PAGE, summary: 'the versions of a secret with their stages (no values)' }),
  'show-version': op({ method: 'GET', path: '/secrets/{secret_name}/versions/{version_id}', summary: 'one version WITH its value (v1, v2, … or latest); dew csms get prints the value alone' }),
  'update-version': op({ method: 'PUT', path: '/secrets/{secret_name}/versions/{version_id}', schema: 'version-update', summary: 'changes when a version expires', fields: [['expire_time', 'integer', 'required, epoch seconds']] }),
  'update-stage': op({ method: 'PUT', path: '/secrets/{secret_name}/stages/{stage_name}', schema: 'stage-update', summary: 'points a stage at a version (creating the stage if needed)', fields: [['version_id', 'string', 'required, v1, v2, …']] }),
  'show-stage': op({ method: 'GET', path: '/secrets/{secret_name}/stages/{stage_name}', summary: 'the version a stage points at' }),
  'delete-stage': op({ method: 'DELETE', path: '/secrets/{secret_name}/stages/{stage_name}', summary: 'deletes a custom stage (SYSCURRENT and SYSPREVIOUS cannot be deleted)' }),
  rotate: op({ method: 'POST', path: '/secrets/{secret_name}/rotate', summary: 'rotates a secret now: a new version with a generated value' }),
  backup: op({ method: 'POST', path: '/secrets/{secret_name}/backup', summary: 'an encrypted backup of a secret and all its versions (secret_blob, for restore)' }),
  restore: op({ method: 'POST', path: '/secrets/restore', schema: 'secret-restore', summary: 'restores a secret from backup\u2019s secret_blob (its name must be free)', fields: [['secret_blob', 'string', 'required, what backup answered']] }),
  'batch-import': op({ method: 'POST', path: '/secrets/batch-import', schema: 'secret-batch-import', summary: 'creates several secrets at once; failures are listed per secret', fields: [['secrets', 'array', 'required, [{create-secret body},…]']] }),
  'generate-password': op({ method: 'POST', path: '/csms/generate-password', schema: 'generate-password', summary: 'a random password from a policy (not stored)', fields: [['length', 'integer', 'default 32'], ['exclude_characters', 'string', 'characters never used'], ['exclude_lowercase', 'boolean', ''], ['exclude_uppercase', 'boolean', ''], ['exclude_numbers', 'boolean', ''], ['exclude_punctuation', 'boolean', ''], ['include_space', 'boolean', ''], ['require_each_included_type', 'boolean', '']] }),
  'list-tasks': op({ method: 'GET', path: '/csms/tasks', query: ['secret_name', 'status', 'task_id', ...PAGE], summary: 'rotation tasks: status SUCCESS or FAILED, with their errors' }),
  'list-tags': op({ method: 'GET', path: '/csms/{secret_id}/tags', summary: 'the tags of one secret (by its id, from show-secret)' }),
  'create-tag': op({ method: 'POST', path: '/csms/{secret_id}/tags', summary: 'adds (or replaces) one tag on a secret', fields: [['tag', 'object', 'required, {"key":K,"value":V}']] }),
  'delete-tag': op({ method: 'DELETE', path: '/csms/{secret_id}/tags/{tag_key}', summary: 'removes one tag from a secret' }),
  'batch-tags': op({ method: 'POST', path: '/csms/{secret_id}/tags/action', summary: 'adds or deletes several tags of a secret at once', fields: [['action', 'string', 'required, create|delete'], ['tags', 'array', 'required, [{"key":K,"value":V},…] (at most 20 a secret)']] }),
  'list-project-tags': op({ method: 'GET', path: '/csms/tags', summary: 'every tag key and its values used on the project\u2019s secrets' }),
  'resource-instances': op({ method: 'POST', path: '/csms/resource_instances/action', summary: 'secrets filtered or counted by tags', fields: [['action', 'string', 'required, filter|count'], ['tags', 'array', '[{"key":K,"values":[V,…]},…]'], ['matches', 'array', '[{"key":"resource_name","value":V}]'], ['limit', 'integer', '1-1000'], ['offset', 'integer', 'page start']] }),
  'create-event': op({ method: 'POST', path: '/csms/events', schema: 'event-create', summary: 'an event secrets can subscribe to (event_subscriptions): which changes notify whom', fields: [['name', 'string', 'required, 1-64 characters'], ['event_types', 'array', 'required, [SECRET_VERSION_CREATED|SECRET_VERSION_EXPIRED|SECRET_ROTATED|SECRET_DELETED|SECRET_ROTATED_FAILED,…]'], ['state', 'string', 'required, ENABLED|DISABLED'], ['notification', 'object', 'required, {"target_type","target_id","target_name"}']] }),
  'list-events': op({ method: 'GET', path: '/csms/events', query: PAGE, summary: 'the events of the project' }),
  'show-event': op({ method: 'GET', path: '/csms/events/{event_name}', summary: 'one event: its types, state and notification target' }),
  'update-event': op({ method: 'PUT', path: '/csms/events/{event_name}', schema: 'event-update', summary: 'changes an event\u2019s types, state or notification target', fields: [['event_types', 'array', '[…]'], ['state', 'string', 'ENABLED|DISABLED'], ['notification', 'object', '{"target_type","target_id","target_name"}']] }),
  'delete-event': op({ method: 'DELETE', path: '/csms/events/{event_name}', summary: 'deletes an event (refused while a secret subscribes to it)' }),
  'list-notification-records': op({ method: 'GET', path: '/csms/notification-records', query: PAGE, summary: 'the notifications sent for events, with status SUCCESS, FAIL or INVALID' }),
});

/** Path parameters: the flag (wire name) that fills each, and its help text. */
const PATH_PARAMS: Readonly<Record<string, { field: string; text: string }>> = Object.freeze({
  secret_name: { field: 'name', text: 'required, the secret\u2019s name' },
  version_id: { field: 'version_id', text: 'required, v1, v2, … or latest' },
  stage_name: { field: 'stage', text: 'required, the stage (SYSCURRENT, SYSPREVIOUS or your own)' },
  secret_id: { field: 'secret_id', text: 'required, the secret\u2019s id (show-secret\u2019s secret.id)' },
  tag_key: { field: 'key', text: 'required, the tag\u2019s key' },
  event_name: { field: 'name', text: 'required, the event\u2019s name' },
});

const QUERY_TEXT: Readonly<Record<string, string>> = Object.freeze({
  limit: 'integer, page size (default 50)',
  marker: 'string, where the page starts (page_info.next_marker)',
  event_name: 'string, only secrets subscribed to this event',
  secret_name: 'string, only tasks of this secret',
  status: 'SUCCESS|FAILED',
  task_id: 'string, one task',
});

const pathParams = (o: CsmsOperation): string[] => [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

/** The body fields: the schema's, or the table's own when schemas/csms has none for the operation. */
function bodyFields(o: CsmsOperation): { summary: string; rows: string[]; types: FieldTypes } {
  const schema = o.schema ? readOperationSchema('csms', o.schema) : undefined;
  if (schema?.properties) return { summary: schema.description ?? o.summary, rows: fieldRows(schema, { shapes: true }), types: fieldTypes(schema) };
  const list = o.fields ?? [];
  return { summary: o.summary, rows: list.map(([n, type, text]) => helpRow(flagOf(n), text ? `${type}: ${text}` : type)), types: Object.fromEntries(list.map(([n, type]) => [n, [type]])) };
}

/** Every flag's JSON types: the body's fields, strings for path and query flags. */
export function csmsFieldTypes(o: CsmsOperation): FieldTypes {
  const out: Record<string, readonly string[]> = { ...bodyFields(o).types };
  for (const p of pathParams(o)) out[PATH_PARAMS[p].field] = ['string'];
  for (const q of o.query ?? []) out[q] = q === 'limit' ? ['integer'] : ['string'];
  return out;
}

/** `dew csms OP --help`. */
export function csmsOperationPage(name: string, o: CsmsOperation): string {
  const body = bodyFields(o);
  const params = pathParams(o).map((p) => PATH_PARAMS[p]);
  const rows = [...params.map((p) => helpRow(flagOf(p.field), p.text)), ...(o.query ?? []).map((q) => helpRow(flagOf(q), QUERY_TEXT[q])), ...body.rows];
  const args = [
    ...params.map((p) => `${flagOf(p.field)} ${p.field.toUpperCase()}`),
    ...(o.query ?? []).map((q) => `[${flagOf(q)} ${q.toUpperCase()}]`),
    ...(body.rows.length ? ["[--field-name value]… [--json '{…}']"] : []),
  ];
  return operationPage('csms', name, body.summary, rows, args.join(' '));
}

export interface CsmsRequest {
  method: CsmsOperation['method'];
  path: string;
  body?: object;
  query?: Record<string, string>;
}

/** The request of `dew csms OP` from its parsed flags: path and query flags taken out, the rest in the body. */
export function csmsRequest(name: string, o: CsmsOperation, parsed: Pick<ParsedFields, 'fields' | 'json'>): CsmsRequest {
  const fields = { ...parsed.fields };
  const take = (field: string): string | undefined => {
    const v = fields[field];
    delete fields[field];
    return v === undefined ? undefined : String(v);
  };
  const path = o.path.replace(/\{(\w+)\}/g, (_, p: string) => {
    const v = take(PATH_PARAMS[p].field);
    if (v === undefined || v === '') throw new CliError('usage', `dew csms ${name} needs ${flagOf(PATH_PARAMS[p].field)}`, { hint: `See \`dew csms ${name} --help\`.` });
    return encodeURIComponent(v);
  });
  const query: Record<string, string> = {};
  for (const q of o.query ?? []) {
    const v = take(q);
    if (v !== undefined) query[q] = v;
  }
  const req: CsmsRequest = { method: o.method, path: `/v1/{project_id}${path}`, ...(Object.keys(query).length ? { query } : {}) };
  if (o.method === 'GET' || o.method === 'DELETE') {
    const extra = Object.keys(fields);
    if (extra.length || parsed.json !== undefined) throw new CliError('usage', `dew csms ${name} takes no ${extra.length ? flagOf(extra[0]) : '--json'}`, { hint: `See \`dew csms ${name} --help\`.` });
    return req;
  }
  return { ...req, body: { ...jsonObject(parsed.json), ...fields } };
}
