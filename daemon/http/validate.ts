/** Request-body validation with ajv against schemas/, mapping failures to the reference error codes. */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { DewError, kmsErrors, REFERENCE_MESSAGES } from '../errors.js';
import type { JsonSchema } from '../../schemas/index.js';
import { strNum } from '../modules/wire.js';

/** A validator that returns the typed body or throws the reference error. */
export type BodyValidator<T> = (body: unknown) => T;

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
  ajv.addKeyword({
    keyword: 'x-str-num',
    schemaType: 'object',
    validate: (rule: StrNum, data: unknown) => isStrNumValid(rule, data),
    errors: false,
  });
  return ajv;
}

/** The most specific `x-error-code` on the schema path to the invalid value (KMS.0308 when none). */
function codeFor(schema: JsonSchema, instancePath: string): string {
  let node: Record<string, unknown> | undefined = schema;
  let code = 'KMS.0308';
  for (const seg of instancePath.split('/').slice(1)) {
    if (!node) break;
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    node = /^\d+$/.test(seg) && node.items ? (node.items as Record<string, unknown>) : props?.[seg];
    const c = node?.['x-error-code'];
    if (typeof c === 'string') code = c;
  }
  return code;
}

function toError(e: ErrorObject, schema: JsonSchema): DewError {
  if (e.keyword === 'required') return kmsErrors.missing(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') {
    return kmsErrors.invalidAs('parameter', `unknown field ${String(e.params.additionalProperty)}`);
  }
  const field = e.instancePath.split('/').slice(1).join('.');
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
  return (body: unknown): T => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw kmsErrors.badJson();
    if (!validate(body)) throw toError((validate.errors ?? [])[0], schema);
    return body as T;
  };
}
