/**
 * What a saved plan keeps of sensitive values: nothing but digests (pure). A sensitive variable is saved as
 * its digest and given again at apply (DEW_VAR_x / TF_VAR_x, -var, -var-file), where it must match; sensitive
 * outputs are saved redacted; and a plan that holds a digested value (a secret's) or a sensitive variable saves
 * its configuration files as digests too, not their text (a literal value may be written in them), so apply
 * reads the folder again and refuses if any file differs. Digested attribute values are digests in the plan
 * already (ResourceType.digested) and apply re-reads them from the configuration.
 */
import type { Json } from '../config/values.js';
import type { Plan } from '../plan/change.js';
import { REDACTED } from '../plan/redact.js';
import { resourceType } from '../resources/registry.js';
import { isValueDigest, jsonDigest, valueDigest } from '../resources/value-digest.js';

export interface SealedParts {
  plan: Plan;
  /** The configuration's text by file, when nothing sensitive is in the plan. */
  sources?: Record<string, string>;
  /** Otherwise the digest of each file's text. */
  source_digests?: Record<string, string>;
  /** Each sensitive variable's digest (its value in plan.variables is redacted). */
  sealed_variables?: Record<string, string>;
}

/** Whether a change carries a digested attribute's value (a secret set by this plan or held by it). */
function holdsDigested(plan: Plan): boolean {
  return plan.changes.some((c) => {
    const after = c.change.after;
    const digested = resourceType(c.type)?.digested ?? [];
    return after !== null && typeof after === 'object' && !Array.isArray(after) && digested.some((k) => isValueDigest(after[k]));
  });
}

export function sealPlan(plan: Plan, sources: ReadonlyMap<string, string>): SealedParts {
  const sealedVariables: Record<string, string> = {};
  const variables: Record<string, Json> = { ...plan.variables };
  for (const name of plan.sensitiveVariables) {
    if (!(name in variables)) continue;
    sealedVariables[name] = jsonDigest(variables[name]);
    variables[name] = REDACTED;
  }
  const outputs = plan.outputs.map((o) => (o.sensitive ? { ...o, before: o.before === null ? null : REDACTED, value: o.value === null ? null : REDACTED } : o));
  const sealed: Plan = { ...plan, variables, outputs };
  const anySealed = Object.keys(sealedVariables).length > 0;
  if (!anySealed && !holdsDigested(plan)) return { plan: sealed, sources: Object.fromEntries(sources) };
  return {
    plan: sealed,
    source_digests: Object.fromEntries([...sources].map(([name, text]) => [name, valueDigest(text)])),
    ...(anySealed ? { sealed_variables: sealedVariables } : {}),
  };
}

/** The files whose text differs from the one planned (added, removed or changed), by name. */
export function changedSources(saved: Readonly<Record<string, string>>, now: ReadonlyMap<string, string>): string[] {
  const out = new Set<string>();
  for (const [name, digest] of Object.entries(saved)) if (!now.has(name) || valueDigest(now.get(name)!) !== digest) out.add(name);
  for (const name of now.keys()) if (!(name in saved)) out.add(name);
  return [...out].sort();
}

/** The sensitive variables whose value given now is not the one planned, by name. */
export function mismatchedVariables(sealed: Readonly<Record<string, string>>, given: ReadonlyMap<string, Json>): string[] {
  return Object.keys(sealed).filter((name) => !given.has(name) || jsonDigest(given.get(name)!) !== sealed[name]).sort();
}
