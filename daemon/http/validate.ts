/** Request-body validation with ajv against schemas/, mapping failures to the reference error codes. */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { DewError, kmsErrors, REFERENCE_MESSAGES } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import { strNum } from '../modules/wire.js';
import { parseJson } from './json-body.js';
import { useSchemaLength } from './string-length.js';

/** A validator that returns the typed body or throws the reference error. */
/** Parses a raw request body as JSON and validates it against its schema. */
export type BodyValidator<T> = (raw: Uint8Array) => T;

interface StrNum {
  minimum: number;
  maximum: number;
  multipleOf?: number;
}


function isStrNumValid(rule: StrNum, data: unknown): boolean {
  if (typeof data === 'string' && !/^[0-9]{1,10}$/.test(data)) return false;
  if (typeof data !== 'string' && !Number.isInteger(data)) return false;
  const n = strNum(data);
  return n >= rule.minimum && n <= rule.maximum && (!rule.multipleOf || n % rule.multipleOf === 0);
}

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true });
  ajv.addKeyword({ keyword: 'x-error-code', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-error-codes', schemaType: 'object' });
  ajv.addKeyword({
    keyword: 'x-str-num',
    schemaType: 'object',
    validate: (rule: StrNum, data: unknown) => isStrNumValid(rule, data),
    errors: false,
  });
  useSchemaLength(ajv);
  return ajv;
}

/** The schema node that describes the value at `instancePath` (undefined when the path leaves the schema). */
function nodeAt(schema: JsonSchema, instancePath: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = schema;
  for (const seg of instancePath.split('/').slice(1)) {
    if (!node) return undefined;
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    node = /^\d+$/.test(seg) && node.items ? (node.items as Record<string, unknown>) : props?.[seg];
  }
  return node;
}

/** The most specific `x-error-code` on the schema path to the invalid value (KMS.0308 when none). */
function codeFor(schema: JsonSchema, instancePath: string, dflt = 'KMS.0308'): string {
  let node: Record<string, unknown> | undefined = schema;
  let code = dflt;
  for (const seg of instancePath.split('/').slice(1)) {
    if (!node) break;
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    node = /^\d+$/.test(seg) && node.items ? (node.items as Record<string, unknown>) : props?.[seg];
    const c = node?.['x-error-code'];
    if (typeof c === 'string') code = c;
  }
  return code;
}

/**
 * A service with its own codes says so at the schema's root: `"x-error-codes": {"missing": "KPS.0002",
 * "invalid": "KPS.0001", "json": "KPS.0003"}`; its messages then follow the same wording with those codes.
 */
interface ServiceCodes {
  missing: string;
  invalid: string;
  json: string;
}

export function serviceCodes(schema: JsonSchema): ServiceCodes | undefined {
  const c = schema['x-error-codes'] as Partial<ServiceCodes> | undefined;
  return c && c.missing && c.invalid && c.json ? (c as ServiceCodes) : undefined;
}

function fieldOf(e: ErrorObject): string {
  return e.instancePath.split('/').slice(1).join('.');
}

function toServiceError(e: ErrorObject, codes: ServiceCodes, schema: JsonSchema): DewError {
  const at = fieldOf(e);
  if (e.keyword === 'required') return new DewError(codes.missing, 400, `The request lacks a required parameter: ${at ? `${at}.` : ''}${String(e.params.missingProperty)}.`);
  if (e.keyword === 'additionalProperties') return new DewError(codes.invalid, 400, `Invalid ${at || 'request'}: unknown field ${String(e.params.additionalProperty)}.`);
  if (!at) return new DewError(codes.json, 400, 'The request body is not valid JSON of the expected shape.');
  const code = codeFor(schema, e.instancePath, codes.invalid);
  if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
    return new DewError(code, 400, `Invalid ${at}: must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}.`);
  }
  const description = nodeAt(schema, e.instancePath)?.description;
  return new DewError(code, 400, `Invalid ${at}${typeof description === 'string' ? `: ${description.replace(/\.$/, '')}` : ''}.`);
}

function toError(e: ErrorObject, schema: JsonSchema): DewError {
  const codes = serviceCodes(schema);
  if (codes) return toServiceError(e, codes, schema);
  if (e.keyword === 'required') return kmsErrors.missing(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') {
    return kmsErrors.invalidAs('parameter', `unknown field ${String(e.params.additionalProperty)}`);
  }
  const field = fieldOf(e);
  if (!field) return kmsErrors.badJson();
  const code = codeFor(schema, e.instancePath);
  const reference = REFERENCE_MESSAGES[code];
  if (!reference && e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
    return new DewError(code, 400, `Invalid ${field}: must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}.`);
  }
  return new DewError(code, 400, reference ?? `Invalid ${field}.`);
}

/** Compiles a schema once; the returned function validates a parsed body per request. */
export function compileBody<T>(ajv: Ajv2020, schema: JsonSchema): BodyValidator<T> {
  const validate: ValidateFunction = ajv.compile(schema);
  const codes = serviceCodes(schema);
  const wantsArray = schema.type === 'array';
  const jsonError = codes ? () => new DewError(codes.json, 400, 'The request body is not valid JSON.') : undefined;
  return (raw: Uint8Array): T => {
    let body: unknown;
    try {
      body = parseJson(raw);
    } catch (e) {
      // A service with its own codes answers malformed JSON in its own shape too (CSMS.0004, KPS.0003).
      throw jsonError?.() ?? e;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body) !== wantsArray) {
      throw codes ? new DewError(codes.json, 400, `The request body must be a JSON ${wantsArray ? 'array' : 'object'}.`) : kmsErrors.badJson();
    }
    if (!validate(body)) throw toError((validate.errors ?? [])[0], schema);
    return body as T;
  };
}
