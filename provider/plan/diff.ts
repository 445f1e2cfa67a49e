/** Pure diff of one resource instance: its configured value against the object the daemon has (force-new, ignore_changes, drift). */
import type { Instance } from '../config/instances.js';
import type { Lifecycle } from '../config/model.js';
import { Sensitive, UNKNOWN, containsUnknown, jsonEqual, splitMarks, unmark, type Json, type Value, type ValueObject } from '../config/values.js';
import { argumentNames, exportedNames, type Attributes, type ResourceType } from '../resources/resource-type.js';
import { valueDigest } from '../resources/value-digest.js';
import type { StackObject } from '../state/stack-state.js';
import type { ActionReason, Change } from './change.js';

export interface InstanceDiff {
  change: Change;
  /** The planned value other expressions see (unknown where only apply can tell). */
  planned: ValueObject;
  drift?: string[];
  note?: string;
  gone?: boolean;
}

/** The object's current attributes: last applied, overlaid with what the daemon reports now; null when it is gone. */
export function currentAttributes(rt: ResourceType, prior: StackObject): Attributes | null {
  if (prior.live === null) return null;
  if (prior.live === undefined) return { ...prior.attributes };
  const live = rt.fromLive(prior.live, prior.attributes);
  if (live === null) return null;
  const out: Attributes = { ...prior.attributes, ...live };
  for (const k of rt.writeOnly) if (k in prior.attributes) out[k] = prior.attributes[k];
  return out;
}

/** The arguments whose value the daemon reports differs from the one last applied (changed outside dew). */
export function driftedArguments(rt: ResourceType, prior: StackObject, current: Attributes): string[] {
  const args = argumentNames(rt.schema);
  return args.filter((k) => k in prior.attributes && !rt.writeOnly.includes(k) && !jsonEqual(prior.attributes[k], current[k] ?? null));
}

export function sensitiveTree(rt: ResourceType, attrs: Json): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (attrs && typeof attrs === 'object' && !Array.isArray(attrs)) for (const k of rt.sensitive) if (k in attrs) out[k] = true;
  return out;
}

function withTypeSensitivity(rt: ResourceType, tree: unknown, attrs: Json): Change['afterSensitive'] {
  const t = typeof tree === 'object' && tree !== null && !Array.isArray(tree) ? { ...(tree as Record<string, never>) } : {};
  return { ...t, ...sensitiveTree(rt, attrs) };
}

/** The configured arguments whose values are known, without marks (what plannedComputed reads). */
function knownArguments(inst: Instance): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(inst.value)) if (!containsUnknown(v)) out[k] = splitMarks(v).json;
  return out;
}

/** The unset optional+computed arguments the resource type can tell at plan time. */
function computedNow(rt: ResourceType, inst: Instance, current: Attributes | null): [string, Json][] {
  const told = rt.plannedComputed?.(knownArguments(inst), current) ?? {};
  return Object.entries(told).filter(([k]) => rt.optionalComputed.includes(k) && !(k in inst.value));
}

/** The planned value of a new object: configured arguments plus unknown computed attributes. */
function plannedNew(rt: ResourceType, inst: Instance): ValueObject {
  const out: ValueObject = { ...inst.value };
  for (const k of exportedNames(rt.schema)) out[k] = UNKNOWN;
  for (const k of rt.optionalComputed) if (!(k in out)) out[k] = UNKNOWN;
  for (const [k, v] of computedNow(rt, inst, null)) out[k] = v;
  return out;
}

function createChange(rt: ResourceType, planned: ValueObject, before: Attributes | null, reason?: ActionReason, replacePaths: (string | number)[][] = []): Change {
  const s = splitMarks(planned);
  return {
    action: before ? 'delete-then-create' : 'create',
    before: before ?? null,
    after: s.json,
    afterUnknown: s.unknown,
    beforeSensitive: before ? sensitiveTree(rt, before) : false,
    afterSensitive: withTypeSensitivity(rt, s.sensitive, s.json),
    replacePaths,
    actionReason: reason,
  };
}

/**
 * The instance with each known value of a digested argument replaced by its digest (still sensitive):
 * what the plan compares, shows and saves, so the value itself never enters a plan.
 */
export function digestedInstance(rt: ResourceType, inst: Instance): Instance {
  if (!rt.digested?.some((k) => k in inst.value)) return inst;
  const value: ValueObject = { ...inst.value };
  for (const k of rt.digested) {
    if (!(k in value)) continue;
    const bare = unmark(value[k]).value;
    value[k] = new Sensitive(typeof bare === 'string' ? valueDigest(bare) : bare);
  }
  return { ...inst, value };
}

export function diffInstance(rt: ResourceType, configured: Instance, prior: StackObject | undefined, lifecycle: Lifecycle, opts: { replace: boolean }): InstanceDiff {
  const inst = digestedInstance(rt, configured);
  if (!prior) {
    const planned = plannedNew(rt, inst);
    return { change: createChange(rt, planned, null), planned };
  }
  const current = currentAttributes(rt, prior);
  if (!current) {
    const planned = plannedNew(rt, inst);
    return { change: createChange(rt, planned, null), planned, note: `${prior.address} no longer exists in the daemon (deleted outside dew), so it will be created again` };
  }
  const args = argumentNames(rt.schema);
  const ignored = (k: string): boolean => lifecycle.ignoreChanges === 'all' || lifecycle.ignoreChanges.includes(k);
  const planned: ValueObject = { ...(current as ValueObject) };
  const changed: string[] = [];
  for (const k of args) {
    if (!(k in inst.value)) continue; // not configured and no default: the daemon's value stands (optional+computed)
    const want: Value = inst.value[k];
    const { value: bare } = unmark(want);
    const wanted = splitMarks(want).json;
    const same = bare !== UNKNOWN && (jsonEqual(wanted, current[k] ?? null) || rt.sameValue?.(k, wanted, current[k] ?? null) === true);
    if (same) {
      planned[k] = want; // keep the sensitivity mark
      continue;
    }
    if (ignored(k)) continue;
    planned[k] = want;
    changed.push(k);
  }
  const drift = driftedArguments(rt, prior, current);
  const forcing = changed.filter((k) => rt.forceNew.includes(k) || (rt.forcesReplacement && (containsUnknown(inst.value[k]) || rt.forcesReplacement(k, current[k] ?? null, splitMarks(inst.value[k]).json))));
  if (opts.replace || forcing.length) {
    const next = plannedNew(rt, inst);
    return {
      change: createChange(rt, next, current, forcing.length ? 'replace_because_cannot_update' : 'replace_by_request', forcing.map((k) => [k])),
      planned: next,
      drift: drift.length ? drift : undefined,
    };
  }
  // an update also moves what the daemon derives from the changed arguments (not a change by itself)
  if (changed.length) for (const [k, v] of computedNow(rt, inst, current)) if (!ignored(k)) planned[k] = v;
  if (changed.length) for (const k of rt.recomputed?.(changed) ?? []) planned[k] = UNKNOWN;
  const before = splitMarks(current as ValueObject);
  const after = splitMarks(planned);
  return {
    change: {
      action: changed.length ? 'update' : 'no-op',
      before: before.json,
      after: after.json,
      afterUnknown: after.unknown,
      beforeSensitive: sensitiveTree(rt, before.json),
      afterSensitive: withTypeSensitivity(rt, after.sensitive, after.json),
      replacePaths: [],
    },
    planned,
    // An in-place update leaves ignored attributes as they are: their drift is not undone, so not reported.
    ...relevantDrift(drift.filter((k) => !ignored(k)), changed),
  };
}

/** A planned deletion of an existing object. */
export function deleteChange(rt: ResourceType, prior: StackObject, reason?: ActionReason): InstanceDiff {
  const current = currentAttributes(rt, prior);
  const before = current ?? prior.attributes;
  return {
    change: { action: 'delete', before, after: null, afterUnknown: false, beforeSensitive: sensitiveTree(rt, before), afterSensitive: false, replacePaths: [], actionReason: reason },
    planned: {},
    gone: current === null,
  };
}

function relevantDrift(drift: string[], changed: string[]): { drift?: string[] } {
  return drift.length && changed.length ? { drift } : {};
}
