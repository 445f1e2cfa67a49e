/**
 * The value checks of a resource's arguments, shared by the two front ends (the `dew` tool's
 * configuration and the Terraform provider's ValidateResourceConfig): the JSON Schema's
 * constraints (types, enums, ranges, patterns) and the type's own rules, on the values known now.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import type { ResourceType } from './resource-type.js';

export interface AttributeProblem {
  /** The top-level attribute the problem is about. */
  attribute: string;
  /** The JSON pointer of the value ("/tags/x"), '' for a type rule. */
  pointer: string;
  /** A schema constraint ("must be <= 365.") or a type rule (a sentence naming the attribute itself). */
  source: 'schema' | 'rule';
  message: string;
}

// loaded on first use (a provider launch that only answers its schema never validates)
let ajvInstance: AjvClass | undefined;
const ajv = (): AjvClass => (ajvInstance ??= new (createRequire(import.meta.url)('ajv').Ajv as typeof AjvClass)({ allErrors: true, strict: false }));
const validators = new WeakMap<object, ValidateFunction>();

/** What is checked: a resource type, or any shape with a schema (a data source). */
export type Checked = Pick<ResourceType, 'schema' | 'check'>;

function validator(rt: Checked): ValidateFunction {
  let v = validators.get(rt.schema);
  if (!v) {
    // required-ness is the front end's own check (an argument may be configured but not known yet)
    const { required: _r, $id: _id, ...schema } = rt.schema as Record<string, unknown>;
    validators.set(rt.schema, (v = ajv().compile(schema)));
  }
  return v;
}

/**
 * One problem per attribute at most, schema problems first: `known` holds the known configured
 * values, `present` names every configured argument (those not known yet included).
 */
export function attributeProblems(rt: Checked, known: Record<string, unknown>, present: ReadonlySet<string>): AttributeProblem[] {
  const out: AttributeProblem[] = [];
  const seen = new Set<string>();
  const validate = validator(rt);
  if (!validate(known)) {
    for (const e of validate.errors ?? []) {
      const parts = e.instancePath.split('/');
      const attr = parts[1] ?? '';
      if (!attr || seen.has(attr)) continue;
      seen.add(attr);
      const allowed = e.keyword === 'enum' ? ` Allowed values: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}.` : '';
      out.push({ attribute: attr, pointer: e.instancePath, source: 'schema', message: `${e.message}.${allowed}` });
    }
  }
  for (const p of rt.check?.(known as Record<string, never>, present) ?? []) {
    if (seen.has(p.attribute)) continue;
    out.push({ attribute: p.attribute, pointer: '', source: 'rule', message: `${p.message}.` });
  }
  return out;
}
