/**
 * The CSMS operations `dew csms` calls (reference 5): method, path under `/v1/{project_id}`, request schema
 * (schemas/csms/FILE.json), path and query flags; and the pure step from parsed flags to the request.
 * Names follow `dew kps`: the daemon module's operation names, the secret named by --name.
 */
import { fieldRows, fieldTypes, flagOf, helpRow, jsonObject, operationPage, readOperationSchema, operationRequest, type OperationRequest, type FieldTypes, type ParsedFields } from './operation-fields.js';

export interface CsmsOperation {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/v1/{project_id}`; `{secret_name}`, `{version_id}`, `{stage_name}`, `{secret_id}`, `{key}`, `{event_name}` come from flags. */
  readonly path: string;
  /** The request schema, schemas/csms/FILE.json: the fields and the help text. */
  readonly schema?: string;
  readonly query?: readonly string[];
  /** The help summary of an operation without a schema. */
  readonly summary: string;
}

const op = (o: CsmsOperation): CsmsOperation => Object.freeze(o);
const PAGE = ['limit', 'marker'] as const;

/** Named as the CSMS module's routes name their operations (daemon/modules/csms/), as `dew kps` is. */
export const CSMS_OPERATIONS: Readonly<Record<string, CsmsOperation>> = Object.freeze({
  'create-secret': op({ method: 'POST', path: '/secrets', schema: 'secret-create', summary: 'creates a secret and its first version v1' }),
  'list-secrets': op({ method: 'GET', path: '/secrets', query: [...PAGE, 'event_name'], summary: 'the secrets of the project, by name, a page at a time' }),
  'show-secret': op({ method: 'GET', path: '/secrets/{secret_name}', summary: 'one secret: state, key, rotation, scheduled deletion (never its value: see dew csms get)' }),
  'update-secret': op({ method: 'PUT', path: '/secrets/{secret_name}', schema: 'secret-update', summary: 'changes the key (new versions only), description, rotation or event subscriptions of a secret' }),
  'delete-secret': op({ method: 'DELETE', path: '/secrets/{secret_name}', summary: 'deletes a secret and all its versions AT ONCE, for good (schedule-secret-deletion can be undone)' }),
  'schedule-secret-deletion': op({ method: 'POST', path: '/secrets/{secret_name}/scheduled-deleted-tasks/create', schema: 'scheduled-delete', summary: 'schedules the deletion of a secret 7-30 days ahead' }),
  'cancel-secret-deletion': op({ method: 'POST', path: '/secrets/{secret_name}/scheduled-deleted-tasks/cancel', summary: 'cancels a scheduled deletion: the secret is back as it was' }),
  'create-secret-version': op({ method: 'POST', path: '/secrets/{secret_name}/versions', schema: 'version-create', summary: 'adds a version with a new value' }),
  'list-secret-versions': op({ method: 'GET', path: '/secrets/{secret_name}/versions', query: PAGE, summary: 'the versions of a secret with their stages, newest first (no values)' }),
  'show-secret-version': op({ method: 'GET', path: '/secrets/{secret_name}/versions/{version_id}', summary: 'one version WITH its value (v1, v2, … or latest: the SYSCURRENT one); dew csms get prints the value alone' }),
  'update-secret-version': op({ method: 'PUT', path: '/secrets/{secret_name}/versions/{version_id}', schema: 'version-update', summary: 'changes when a version expires' }),
  'update-secret-stage': op({ method: 'PUT', path: '/secrets/{secret_name}/stages/{stage_name}', schema: 'stage-update', summary: 'points a stage at a version (creating the stage if needed)' }),
  'show-secret-stage': op({ method: 'GET', path: '/secrets/{secret_name}/stages/{stage_name}', summary: 'the version a stage points at' }),
  'delete-secret-stage': op({ method: 'DELETE', path: '/secrets/{secret_name}/stages/{stage_name}', summary: 'deletes a custom stage (SYSCURRENT and SYSPREVIOUS cannot be deleted)' }),
  'rotate-secret': op({ method: 'POST', path: '/secrets/{secret_name}/rotate', summary: 'rotates a secret now: a new version with a generated value' }),
  'backup-secret': op({ method: 'POST', path: '/secrets/{secret_name}/backup', summary: 'an encrypted backup of a secret and all its versions (secret_blob, for restore-secret)' }),
  'restore-secret': op({ method: 'POST', path: '/secrets/restore', schema: 'restore', summary: 'restores a secret from backup-secret\u2019s secret_blob (its name must be free)' }),
  'batch-import-secrets': op({ method: 'POST', path: '/secrets/batch-import', schema: 'batch-import', summary: 'creates several secrets at once; failures are listed per secret' }),
  'list-rotation-tasks': op({ method: 'GET', path: '/csms/tasks', query: ['secret_name', 'status', 'task_id', ...PAGE], summary: 'rotation tasks: status SUCCESS, FAILED or RUNNING, with their errors' }),
  'list-secret-tags': op({ method: 'GET', path: '/csms/{secret_id}/tags', summary: 'the tags of one secret (by its id, or its name)' }),
  'create-secret-tag': op({ method: 'POST', path: '/csms/{secret_id}/tags', schema: 'tag-create', summary: 'adds (or replaces) one tag on a secret' }),
  'delete-secret-tag': op({ method: 'DELETE', path: '/csms/{secret_id}/tags/{key}', summary: 'removes one tag from a secret' }),
  'batch-secret-tags': op({ method: 'POST', path: '/csms/{secret_id}/tags/action', schema: 'tags-action', summary: 'adds or deletes several tags of a secret at once' }),
  'list-project-secret-tags': op({ method: 'GET', path: '/csms/tags', summary: 'every tag key and its values used on the project\u2019s secrets' }),
  'secret-resource-instances': op({ method: 'POST', path: '/csms/resource_instances/action', schema: 'resource-instances', summary: 'secrets filtered or counted by tags' }),
  'generate-password': op({ method: 'POST', path: '/csms/generate-password', schema: 'generate-password', summary: 'a random password from a policy (not stored)' }),
  'create-event': op({ method: 'POST', path: '/csms/events', schema: 'event-create', summary: 'an event secrets can subscribe to (event_subscriptions): which changes notify whom' }),
  'list-events': op({ method: 'GET', path: '/csms/events', query: PAGE, summary: 'the events of the project' }),
  'show-event': op({ method: 'GET', path: '/csms/events/{event_name}', summary: 'one event: its types, state and notification target' }),
  'update-event': op({ method: 'PUT', path: '/csms/events/{event_name}', schema: 'event-update', summary: 'changes an event\u2019s types, state or notification target' }),
  'delete-event': op({ method: 'DELETE', path: '/csms/events/{event_name}', summary: 'deletes an event (refused while a secret subscribes to it)' }),
  'list-notification-records': op({ method: 'GET', path: '/csms/notification-records', query: PAGE, summary: 'the notifications sent for events, with status SUCCESS, FAIL or INVALID' }),
});

/** Shorter words for the everyday operations (the secret is implied): `dew csms create-version` is create-secret-version. */
export const CSMS_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'schedule-deletion': 'schedule-secret-deletion',
  'cancel-deletion': 'cancel-secret-deletion',
  'create-version': 'create-secret-version',
  'list-versions': 'list-secret-versions',
  'show-version': 'show-secret-version',
  'update-version': 'update-secret-version',
  'update-stage': 'update-secret-stage',
  'show-stage': 'show-secret-stage',
  'delete-stage': 'delete-secret-stage',
  rotate: 'rotate-secret',
  backup: 'backup-secret',
  restore: 'restore-secret',
  'list-tasks': 'list-rotation-tasks',
});

/** The operation a word names (an operation's name or an alias), or undefined. */
export function csmsOperation(word: string): { name: string; op: CsmsOperation } | undefined {
  const name = Object.hasOwn(CSMS_ALIASES, word) ? CSMS_ALIASES[word] : word;
  return Object.hasOwn(CSMS_OPERATIONS, name) ? { name, op: CSMS_OPERATIONS[name] } : undefined;
}

/** Path parameters: the flag (wire name) that fills each, and its help text. */
const PATH_PARAMS: Readonly<Record<string, { field: string; text: string }>> = Object.freeze({
  secret_name: { field: 'name', text: 'required, the secret\u2019s name' },
  version_id: { field: 'version_id', text: 'required, v1, v2, … or latest' },
  stage_name: { field: 'stage', text: 'required, the stage (SYSCURRENT, SYSPREVIOUS or your own)' },
  secret_id: { field: 'secret_id', text: 'required, the secret\u2019s id (show-secret\u2019s secret.id) or its name' },
  key: { field: 'key', text: 'required, the tag\u2019s key' },
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

/** The body fields of the operation's schema: summary, help rows and JSON types. */
function bodyFields(o: CsmsOperation): { summary: string; rows: string[]; types: FieldTypes } {
  const schema = o.schema ? readOperationSchema('csms', o.schema) : undefined;
  return { summary: schema?.description ?? o.summary, rows: fieldRows(schema, { shapes: true }), types: fieldTypes(schema) };
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

export type CsmsRequest = OperationRequest;

/** The request of `dew csms OP` from its parsed flags: path and query flags taken out, the rest in the body. */
export function csmsRequest(name: string, o: CsmsOperation, parsed: Pick<ParsedFields, 'fields' | 'json'>): CsmsRequest {
  const { req, remaining, bodyless } = operationRequest('csms', name, o, '/v1/{project_id}', PATH_PARAMS, parsed);
  return bodyless ? req : { ...req, body: { ...jsonObject(parsed.json), ...remaining } };
}
