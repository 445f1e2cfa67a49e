/**
 * Applies a plan: walks the changes in dependency order (deletes reversed, a replacement's delete half among
 * the deletes and its create half among the creates) with bounded parallelism, recording each step in the stack. Every create first records its intent (a pending entry with the arguments it sends),
 * so an apply or daemon killed between the create and its record leaves an entry the next plan adopts from.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import { evaluateInstance, instanceBindings, type Bind } from '../config/instances.js';
import { folderReader, type FileReader } from '../config/file-functions.js';
import type { Config } from '../config/model.js';
import { ConfigScope, type InstanceKey } from '../config/scope.js';
import { UNKNOWN, containsUnknown, splitMarks, type Json, type MarkTree, type Value } from '../config/values.js';
import { Dag } from '../graph/dag.js';
import { walkDag, type NodeOutcome } from '../graph/walk.js';
import { apiErrorStatus, type DewApi } from '../resources/api.js';
import { resourceType } from '../resources/registry.js';
import { PartialCreateError, argumentNames, storedAttributes, type ApplyContext, type Attributes } from '../resources/resource-type.js';
import type { StackStore } from '../state/stack-state.js';
import { isValueDigest, valueDigest } from '../resources/value-digest.js';
import type { Plan, ResourceChange } from '../plan/change.js';

export interface ApplyInput {
  plan: Plan;
  config: Config;
  variables: ReadonlyMap<string, Value>;
  store: StackStore;
  api: DewApi;
  lockId: string;
  ctx: ApplyContext;
  parallelism?: number;
  /** Progress lines ("dew_kms_key.app: Creating...", "… Creation complete"). */
  onEvent?: (line: string) => void;
  /** True once the user interrupted: changes under way finish and are recorded, no new one starts. */
  interrupted?: () => boolean;
  /** What file() and filebase64() read; default: the configuration folder. */
  files?: FileReader;
}

export interface ApplyResult {
  outcomes: Map<string, NodeOutcome>;
  failed: { address: string; error: unknown }[];
  skipped: { address: string; because: string }[];
  outputs: { name: string; value: Json; sensitive: boolean }[];
  counts: { added: number; changed: number; destroyed: number; adopted: number };
}

/** Rebuilds a marked value from a planned JSON object and its unknown tree. */
function fromPlanned(v: Json, unknown: MarkTree): Value {
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(v)) return v.map((x, i) => fromPlanned(x, Array.isArray(unknown) ? unknown[i] : false));
  if (v && typeof v === 'object') {
    const t = (unknown && typeof unknown === 'object' && !Array.isArray(unknown) ? unknown : {}) as Record<string, MarkTree>;
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromPlanned(x, t[k] ?? false);
    for (const [k, u] of Object.entries(t)) if (u === true) out[k] = UNKNOWN;
    return out;
  }
  return v;
}

/** The node that deletes the old object of a replacement (-/+); the change's own address is the node that creates the new one. */
export const destroyNode = (address: string): string => `${address} (destroy)`;

/** The change address of a node of changeGraph. */
export const nodeAddress = (node: string): string => (node.endsWith(' (destroy)') ? node.slice(0, -' (destroy)'.length) : node);

/**
 * Edges: a create/update after the changes of the instances it names (all instances of a resource it needs
 * whole); a delete after the deletes of what depends on it. A replacement is two nodes, as Terraform's
 * destroy-then-create: its delete half is ordered with the deletes (after those of its dependants, so a
 * keystore replaced with its HSM instance is deleted before the instance), its create half with the creates,
 * after its own delete.
 */
export function changeGraph(changes: readonly ResourceChange[]): Dag {
  const dag = new Dag();
  const active = changes.filter((c) => c.change.action !== 'no-op' || c.adopt);
  const byResource = new Map<string, ResourceChange[]>();
  const byAddress = new Map(active.map((c) => [c.address, c]));
  for (const c of active) byResource.set(c.resource, [...(byResource.get(c.resource) ?? []), c]);
  const deleting = (c: ResourceChange): string | undefined => (c.change.action === 'delete' ? c.address : c.change.action === 'delete-then-create' ? destroyNode(c.address) : undefined);
  for (const c of active) {
    const del = deleting(c);
    if (del) {
      dag.addNode(del);
      for (const other of active) {
        const od = other !== c && other.dependencies.includes(c.resource) ? deleting(other) : undefined;
        if (od) dag.addEdge(del, od);
      }
    }
    if (c.change.action === 'delete') continue;
    dag.addNode(c.address);
    if (del) dag.addEdge(c.address, del);
    for (const dep of c.waitsFor ?? c.dependencies) {
      const whole = byResource.get(dep);
      const one = byAddress.get(dep);
      for (const d of whole ?? (one ? [one] : [])) if (d !== c && d.change.action !== 'delete') dag.addEdge(c.address, d.address);
    }
  }
  return dag;
}

export async function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  const { plan, config, store, api, lockId, ctx } = input;
  const say = input.onEvent ?? (() => {});
  const scope = new ConfigScope(config, input.variables, false, input.files ?? folderReader(config.dir));
  const diags: Diagnostic[] = [];
  const changes = new Map(plan.changes.map((c) => [c.address, c]));
  for (const c of plan.changes) if (c.change.action !== 'delete') scope.setInstance(c.resource, (c.index ?? null) as InstanceKey, fromPlanned(c.change.after, c.change.afterUnknown));
  const bindings = new Map<string, Map<InstanceKey, Bind> | undefined>();
  const counts = { added: 0, changed: 0, destroyed: 0, adopted: 0 };

  /**
   * The arguments to send: exactly the planned values where the plan knew them (so ignore_changes and a
   * reviewed plan hold), and the configuration re-evaluated only where the plan had to wait for apply.
   */
  const planned = (c: ResourceChange): Attributes => {
    const rt = resourceType(c.type)!;
    const after = (c.change.after ?? {}) as Attributes;
    const unknown = (c.change.afterUnknown && typeof c.change.afterUnknown === 'object' && !Array.isArray(c.change.afterUnknown) ? c.change.afterUnknown : {}) as Record<string, MarkTree>;
    const args = argumentNames(rt.schema);
    const out: Attributes = {};
    const pending = args.filter((k) => unknown[k] !== undefined && unknown[k] !== false);
    // a digested value is in the plan only as its digest: read it from the configuration again
    const digested = (rt.digested ?? []).filter((k) => isValueDigest(after[k]) && !pending.includes(k));
    const fresh = pending.length || digested.length ? configured(c) : {};
    for (const k of args) {
      if (pending.includes(k)) {
        if (k in fresh) out[k] = fresh[k];
      } else if (digested.includes(k)) {
        if (!(k in fresh)) continue; // not configured: the current value stands, as planned
        const v = fresh[k];
        // the message names the attribute only: never the value, nor its digest
        if (typeof v !== 'string' || valueDigest(v) !== after[k]) throw new Error(`the value of ${k} is not the one planned (the configuration, a variable or a file it reads changed since the plan was made); run dew plan again`);
        out[k] = v;
      } else if (k in after && after[k] !== null) out[k] = after[k];
    }
    return out;
  };

  /** What the stack may record of the arguments sent: digested values as the digests the plan holds. */
  const recordable = (c: ResourceChange, attrs: Attributes): Attributes => {
    const rt = resourceType(c.type)!;
    const after = (c.change.after ?? {}) as Attributes;
    const out = { ...attrs };
    for (const k of rt.digested ?? []) if (typeof out[k] === 'string') out[k] = isValueDigest(after[k]) ? after[k] : valueDigest(out[k] as string);
    return storedAttributes(rt, out);
  };

  const configured = (c: ResourceChange): Attributes => {
    const decl = config.resources.get(c.resource);
    if (!decl) throw new Error(`${c.resource} is not in the configuration`);
    if (!bindings.has(c.resource)) bindings.set(c.resource, instanceBindings(decl, scope, diags));
    const bind = bindings.get(c.resource)?.get((c.index ?? null) as InstanceKey);
    if (!bind) throw new Error(`${c.address} is no longer an instance of ${c.resource}`);
    const before = diags.length;
    const inst = evaluateInstance(decl, scope, (c.index ?? null) as InstanceKey, bind, diags);
    if (diags.length > before) throw new Error(diags.slice(before).map((d) => `${d.summary}: ${d.detail ?? ''}`).join('; '));
    if (containsUnknown(inst.value)) throw new Error(`${c.address}: some arguments are still unknown after their dependencies were applied`);
    return splitMarks(inst.value).json as Attributes;
  };

  /**
   * The replacement's arguments as its delete half can know them: all of them when the plan knew them, else
   * the known ones (what the delete compares, such as a secret's name; the rest waits for what it references).
   */
  const replacementArguments = (c: ResourceChange): Attributes => {
    const unknown = c.change.afterUnknown && typeof c.change.afterUnknown === 'object' && !Array.isArray(c.change.afterUnknown) ? (c.change.afterUnknown as Record<string, MarkTree>) : {};
    const args = argumentNames(resourceType(c.type)!.schema);
    if (!args.some((k) => unknown[k] !== undefined && unknown[k] !== false)) return planned(c);
    const after = (c.change.after ?? {}) as Attributes;
    return Object.fromEntries(args.filter((k) => !unknown[k] && k in after && after[k] !== null).map((k) => [k, after[k]]));
  };

  const run = async (node: string): Promise<void> => {
    const address = nodeAddress(node);
    const destroyHalf = node !== address;
    const c = changes.get(address)!;
    const rt = resourceType(c.type);
    if (!rt) throw new Error(`unknown resource type ${c.type}`);
    const t0 = ctx.now();
    const elapsed = (): string => `${Math.max(0, Math.round((ctx.now() - t0) / 1000))}s`;
    const before = (c.change.before ?? {}) as Attributes;
    if (c.adopt && (c.change.action === 'no-op' || c.change.action === 'update')) {
      // made by an interrupted apply: record it as it is now, then bring it in line like any object
      await store.putObject(plan.stack, lockId, { address, type: c.type, object_id: c.objectId!, attributes: before, dependencies: c.dependencies });
      counts.adopted++;
      say(`${address}: Adopted [id=${c.objectId}] (created by an interrupted apply)`);
    }
    switch (c.change.action) {
      case 'delete': {
        say(`${address}: Destroying...${c.objectId ? ` [id=${c.objectId}]` : ''}`);
        const gone = c.gone ? undefined : await rt.delete(api, c.objectId!, before, ctx);
        await store.deleteObject(plan.stack, lockId, address);
        counts.destroyed++;
        say(`${address}: ${gone?.outcome ?? 'Destruction complete'} after ${elapsed()}`);
        return;
      }
      case 'delete-then-create': {
        if (!destroyHalf) {
          await create(c, planned(c));
          return;
        }
        const attrs = replacementArguments(c);
        say(`${address}: Destroying...${c.objectId ? ` [id=${c.objectId}]` : ''}`);
        const gone = await rt.delete(api, c.objectId!, before, { ...ctx, replacing: true, replacement: attrs });
        await store.deleteObject(plan.stack, lockId, address);
        counts.destroyed++;
        say(`${address}: ${gone?.outcome ?? 'Destruction complete'} after ${elapsed()}`);
        return;
      }
      case 'create':
        await create(c, planned(c));
        return;
      case 'update': {
        const attrs = planned(c);
        say(`${address}: Modifying...${c.objectId ? ` [id=${c.objectId}]` : ''}`);
        const merged: Attributes = { ...before, ...attrs };
        const result = storedAttributes(rt, await rt.update(api, c.objectId!, before, merged, ctx));
        await store.putObject(plan.stack, lockId, { address, type: c.type, object_id: c.objectId!, attributes: result, dependencies: c.dependencies });
        scope.setInstance(c.resource, (c.index ?? null) as InstanceKey, result as Value);
        counts.changed++;
        say(`${address}: Modifications complete after ${elapsed()} [id=${c.objectId}]`);
        return;
      }
      case 'no-op':
        return;
    }

    async function create(ch: ResourceChange, attrs: Attributes): Promise<void> {
      say(`${ch.address}: Creating...`);
      // the intent first: if nothing records the object below, the daemon can still find what this create made
      await store.putObject(plan.stack, lockId, { address: ch.address, type: ch.type, object_id: '', attributes: recordable(ch, attrs), dependencies: ch.dependencies, pending: true });
      let created: { objectId: string; attributes: Attributes };
      try {
        created = await rt!.create(api, attrs, ctx);
      } catch (e) {
        if (e instanceof PartialCreateError) {
          // made but not finished: record it (as Terraform keeps a partly created object) and report the failure
          await store.putObject(plan.stack, lockId, { address: ch.address, type: ch.type, object_id: e.objectId, attributes: storedAttributes(rt!, e.attributes), dependencies: ch.dependencies });
          say(`${ch.address}: Created [id=${e.objectId}] but not finished; the next plan shows what is left`);
          throw e.cause;
        }
        // the daemon answered that it made nothing: forget the intent (a lost connection keeps it, for the next plan to resolve)
        const status = apiErrorStatus(e).status;
        if (status !== undefined && status >= 400 && status < 500) await store.deleteObject(plan.stack, lockId, ch.address).catch(() => undefined);
        throw e;
      }
      const recorded = storedAttributes(rt!, created.attributes);
      await store.putObject(plan.stack, lockId, { address: ch.address, type: ch.type, object_id: created.objectId, attributes: recorded, dependencies: ch.dependencies });
      scope.setInstance(ch.resource, (ch.index ?? null) as InstanceKey, recorded as Value);
      counts.added++;
      say(`${ch.address}: Creation complete after ${elapsed()} [id=${created.objectId}]`);
    }
  };

  const outcomes = await walkDag(changeGraph(plan.changes), run, { parallelism: input.parallelism ?? 10, stop: input.interrupted });
  const failed: ApplyResult['failed'] = [];
  const skipped: ApplyResult['skipped'] = [];
  for (const [node, o] of outcomes) {
    const address = nodeAddress(node);
    if (o.status === 'failed') failed.push({ address, error: o.error });
    // the create half of a replacement whose delete failed: that failure says it all
    else if (o.status === 'skipped' && o.because !== destroyNode(address)) skipped.push({ address, because: nodeAddress(o.because) === o.because ? o.because : `the deletion of ${nodeAddress(o.because)}` });
  }
  const outputs = plan.mode === 'destroy' ? [] : [...config.outputs.values()].map((o) => {
    const v = scope.evaluateAttribute(o.value, {});
    const s = splitMarks(v);
    return { name: o.name, value: containsUnknown(v) ? null : s.json, sensitive: o.sensitive };
  });
  return { outcomes, failed: failed.sort((a, b) => (a.address < b.address ? -1 : 1)), skipped, outputs, counts };
}
