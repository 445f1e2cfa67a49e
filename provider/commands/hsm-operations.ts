/**
 * The HSM instance operations `dew hsm` calls (issue 14, /v1/{project_id}/dew/hsms…, daemon/modules/hsm/):
 * method, path, request schema (schemas/dhsm/FILE.json: the fields and the help text), path and query flags, whether the instance's admin credential must go with it (privileged) and whether it starts a
 * job `--wait` can follow; and the pure step from parsed flags to the request.
 */
import { fieldRows, fieldTypes, flagOf, helpRow, jsonObject, operationPage, operationRequest, readOperationSchema, type FieldTypes, type OperationRequest, type OperationSchema, type ParsedFields } from './operation-fields.js';

export interface HsmOperation {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/v1/{project_id}/dew`; `{hsm_id}` and `{job_id}` are filled from flags. */
  readonly path: string;
  readonly summary: string;
  /** The request schema, schemas/dhsm/FILE.json (create, update). */
  readonly schema?: string;
  readonly query?: readonly ('limit' | 'offset')[];
  /** Needs the admin credential (X-Hsm-Credential): --credential-file FILE or DEW_HSM_CREDENTIAL. */
  readonly privileged?: boolean;
  /** Answers a job_id: `--wait` follows it to its end. */
  readonly job?: boolean;
}

const op = (o: HsmOperation): HsmOperation => Object.freeze(o);

export const HSM_OPERATIONS: Readonly<Record<string, HsmOperation>> = Object.freeze({
  create: op({
    method: 'POST', path: '/hsms', job: true, schema: 'hsm-create',
    summary: 'creates an HSM instance; its admin credential is shown once (--credential-file FILE writes it to FILE, mode 0600, instead)',
  }),
  list: op({ method: 'GET', path: '/hsms', query: ['limit', 'offset'], summary: 'the HSM instances of the project, a page at a time (deleted ones are gone)' }),
  show: op({ method: 'GET', path: '/hsms/{hsm_id}', summary: 'one HSM instance: specification, status, keystore and how many keys it holds' }),
  update: op({
    method: 'PUT', path: '/hsms/{hsm_id}', schema: 'hsm-update', summary: 'renames an instance or changes its description (its specification never changes)',
  }),
  freeze: op({ method: 'POST', path: '/hsms/{hsm_id}/freeze', privileged: true, job: true, summary: 'freezes an instance: the keys of its keystore refuse use until it is unfrozen (needs the admin credential)' }),
  unfreeze: op({ method: 'POST', path: '/hsms/{hsm_id}/unfreeze', privileged: true, job: true, summary: 'unfreezes a frozen instance (needs the admin credential)' }),
  delete: op({ method: 'DELETE', path: '/hsms/{hsm_id}', privileged: true, job: true, summary: 'deletes an instance and its root key for good (refused while it has a keystore; needs the admin credential)' }),
  token: op({ method: 'GET', path: '/hsms/{hsm_id}/token', privileged: true, summary: 'how to reach a pkcs11 instance\u2019s token with your own PKCS#11 software: library, slot, token label and user PIN (needs the admin credential)' }),
  job: op({ method: 'GET', path: '/hsms/jobs/{job_id}', summary: 'an instance job: CREATE, FREEZE, UNFREEZE or DELETE, status RUNNING, SUCCESS or FAIL (with fail_reason)' }),
});

/** Path parameters: the flag (wire name) that fills each, and its help text. */
const PATH_PARAMS: Readonly<Record<string, { field: string; text: string }>> = Object.freeze({
  hsm_id: { field: 'hsm_id', text: 'required, the instance\u2019s hsm_id' },
  job_id: { field: 'job_id', text: 'required, the job_id an operation answered' },
});

const QUERY_TEXT: Readonly<Record<string, string>> = Object.freeze({
  limit: 'integer 1-100, page size (default 10)',
  offset: 'integer, how many to skip (default 0)',
});

const pathParams = (o: HsmOperation): string[] => [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

const bodyOf = (o: HsmOperation): OperationSchema | undefined => (o.schema ? readOperationSchema('dhsm', o.schema) : undefined);

/** Every flag's JSON types: the body's fields, strings for path and query flags. */
export function hsmFieldTypes(o: HsmOperation): FieldTypes {
  const out: Record<string, readonly string[]> = { ...fieldTypes(bodyOf(o)) };
  for (const p of pathParams(o)) out[PATH_PARAMS[p].field] = ['string'];
  for (const q of o.query ?? []) out[q] = ['string'];
  return out;
}

/** `dew hsm OP --help`. */
export function hsmOperationPage(name: string, o: HsmOperation): string {
  const params = pathParams(o).map((p) => PATH_PARAMS[p]);
  const body = bodyOf(o);
  const rows = [...params.map((p) => helpRow(flagOf(p.field), p.text)), ...(o.query ?? []).map((q) => helpRow(flagOf(q), QUERY_TEXT[q])), ...fieldRows(body)];
  if (name === 'create') rows.push(helpRow('--credential-file FILE', 'write the admin credential to FILE (mode 0600; an existing file is refused) instead of printing it'));
  else if (o.privileged) rows.push(helpRow('--credential-file FILE', 'the file holding the instance\u2019s admin credential (else DEW_HSM_CREDENTIAL)'));
  if (o.job) rows.push(helpRow('--wait', 'wait for the job to end; exit 1 with its fail_reason when it fails'));
  const args = [
    ...params.map((p) => `${flagOf(p.field)} ${p.field.toUpperCase()}`),
    ...(o.query ?? []).map((q) => `[${flagOf(q)} N]`),
    ...(body ? ["[--field-name value]… [--json '{…}']"] : []),
    ...(o.privileged || name === 'create' ? ['[--credential-file FILE]'] : []),
    ...(o.job ? ['[--wait]'] : []),
  ];
  return operationPage('hsm', name, o.summary, rows, args.join(' '));
}

export type HsmRequest = OperationRequest;

/** The request of `dew hsm OP` from its parsed flags: path and query flags taken out, the rest in the body. */
export function hsmRequest(name: string, o: HsmOperation, parsed: Pick<ParsedFields, 'fields' | 'json'>): HsmRequest {
  const { req, remaining, bodyless } = operationRequest('hsm', name, o, '/v1/{project_id}/dew', PATH_PARAMS, parsed);
  return bodyless ? req : { ...req, body: { ...jsonObject(parsed.json), ...remaining } };
}
