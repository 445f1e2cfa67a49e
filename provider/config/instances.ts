/** Expands a resource block into instances (count / for_each) and evaluates each instance's arguments against its type's schema. */
import { attributeProblems } from '../resources/attribute-problems.js';
import { error, type Diagnostic } from './diagnostics.js';
import type { ResourceDecl } from './model.js';
import type { ConfigScope, InstanceKey } from './scope.js';
import { convertValue, ConversionError, type TypeConstraint } from './type-constraints.js';
import { UNKNOWN, isObject, isUnknown, unmark, mark, splitMarks, typeName, type Value, type ValueObject } from './values.js';
import { resourceType } from '../resources/registry.js';
import type { JsonSchemaProperty, ResourceType } from '../resources/resource-type.js';

export interface Instance {
  key: InstanceKey;
  /** Configured arguments with defaults applied; values may be unknown or sensitive. */
  value: ValueObject;
  /** Names of the arguments set in configuration (not filled from defaults). */
  configured: Set<string>;
  /** What each.* / count.index mean for this instance. */
  bind: Bind;
}

export type Expansion = { known: true; instances: Instance[] } | { known: false };

function toConstraint(p: JsonSchemaProperty | undefined): TypeConstraint {
  switch (p?.type) {
    case 'string':
      return { kind: 'string' };
    case 'integer':
    case 'number':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'bool' };
    case 'array':
      return { kind: p.uniqueItems ? 'set' : 'list', element: toConstraint(p.items) };
    case 'object':
      return { kind: 'map', element: typeof p.additionalProperties === 'object' ? toConstraint(p.additionalProperties) : { kind: 'any' } };
    default:
      return { kind: 'any' };
  }
}

/** Sets compare by content: sort string elements so order in config never shows as a change. */
function normaliseSet(v: Value): Value {
  const u = unmark(v);
  if (!Array.isArray(u.value) || u.value.some(isUnknown)) return v;
  const items = [...u.value];
  if (items.every((x) => typeof x === 'string')) (items as string[]).sort();
  return mark(items, u.sensitive);
}

export type Bind = { each?: { key: Value; value: Value }; count?: number };

/** The instance keys of a resource and what each.* / count.index mean for each; undefined when not known until apply. */
export function instanceBindings(decl: ResourceDecl, scope: ConfigScope, diags: Diagnostic[]): Map<InstanceKey, Bind> | undefined {
  if (decl.count) {
    const u = unmark(scope.evaluateAttribute(decl.count, {}));
    if (u.value === UNKNOWN) {
      diags.push(error('Invalid count argument', 'The count value depends on attributes that cannot be known until apply, so dew cannot tell how many instances will be created.', decl.count.range, 'Use a count known at plan time (variables, locals, literals); apply the dependencies first with -target if needed.'));
      return undefined;
    }
    if (u.sensitive) diags.push(error('Invalid count argument', 'count cannot be derived from a sensitive value.', decl.count.range));
    if (typeof u.value !== 'number' || !Number.isInteger(u.value) || u.value < 0) {
      diags.push(error('Invalid count argument', `count must be a whole number ≥ 0, got ${typeName(u.value)} ${JSON.stringify(u.value)}.`, decl.count.range));
      return new Map();
    }
    return new Map(Array.from({ length: u.value }, (_, i) => [i, { count: i }]));
  }
  if (decl.forEach) {
    const u = unmark(scope.evaluateAttribute(decl.forEach, {}));
    if (u.value === UNKNOWN) {
      diags.push(error('Invalid for_each argument', 'The for_each value depends on attributes that cannot be known until apply, so dew cannot tell how many instances will be created.', decl.forEach.range, 'Use keys known at plan time (variables, locals, literals); apply the dependencies first with -target if needed.'));
      return undefined;
    }
    if (u.sensitive) diags.push(error('Invalid for_each argument', 'for_each keys cannot be sensitive: they appear in addresses.', decl.forEach.range));
    let entries: [string, Value][];
    if (Array.isArray(u.value)) {
      if (!u.value.every((x) => typeof unmark(x).value === 'string')) {
        diags.push(error('Invalid for_each argument', 'for_each takes a map, or a set of strings; this list holds non-string elements.', decl.forEach.range, 'Convert it with toset([...]) of strings.'));
        return new Map();
      }
      entries = u.value.map((x) => [unmark(x).value as string, x]);
    } else if (isObject(u.value)) entries = Object.entries(u.value);
    else {
      diags.push(error('Invalid for_each argument', `for_each takes a map or a set of strings, got ${typeName(u.value)}.`, decl.forEach.range));
      return new Map();
    }
    return new Map(entries.map(([k, v]) => [k, { each: { key: k, value: v } }]));
  }
  return new Map([[null, {}]]);
}

export function expandResource(decl: ResourceDecl, scope: ConfigScope, diags: Diagnostic[]): Expansion {
  const binds = instanceBindings(decl, scope, diags);
  if (!binds) return { known: false };
  return { known: true, instances: [...binds].map(([k, b]) => evaluateInstance(decl, scope, k, b, diags)) };
}

export function evaluateInstance(decl: ResourceDecl, scope: ConfigScope, key: InstanceKey, bind: Bind, diags: Diagnostic[]): Instance {
  const rt = resourceType(decl.type);
  const value: ValueObject = {};
  const configured = new Set<string>();
  for (const [name, a] of decl.attributes) {
    let v = scope.evaluateAttribute(a, bind);
    if (unmark(v).value === null) continue; // null means "not set", as in Terraform
    const prop = rt?.schema.properties[name];
    try {
      v = convertValue(v, toConstraint(prop));
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      const where = e.path.length ? ` (at ${e.path.join('.')})` : '';
      diags.push(error('Incorrect attribute value type', `Inappropriate value for attribute "${name}": ${e.message}${where}.`, a.range, prop?.description));
      continue;
    }
    if (prop?.type === 'array' && prop.uniqueItems) v = normaliseSet(v);
    value[name] = v;
    configured.add(name);
  }
  if (rt) {
    for (const [name, p] of Object.entries(rt.schema.properties)) if (!(name in value) && p.default !== undefined && !p.readOnly) value[name] = p.default;
    checkValues(decl, rt, value, diags);
  }
  return { key, value, configured, bind };
}


/** Schema constraints (enum, ranges, patterns) and the type's own rules, on the values known now. */
function checkValues(decl: ResourceDecl, rt: ResourceType, value: ValueObject, diags: Diagnostic[]): void {
  const known: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const s = splitMarks(v);
    if (s.unknown === true || JSON.stringify(s.unknown).includes('true')) continue;
    known[k] = s.json;
  }
  for (const p of attributeProblems(rt, known, new Set(Object.keys(value)))) {
    const range = decl.attributes.get(p.attribute)?.range ?? decl.range;
    const deeper = p.pointer.split('/').length > 2 ? ` (${p.pointer})` : '';
    diags.push(error('Invalid attribute value', p.source === 'schema' ? `${decl.address}: "${p.attribute}"${deeper} ${p.message}` : `${decl.address}: ${p.message}`, range));
  }
}
