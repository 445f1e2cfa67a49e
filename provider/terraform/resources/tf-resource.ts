/**
 * One of dew's resource types (provider/resources/, the same objects `dew plan/apply` use) driven
 * by Terraform: its schema, the planned state under Terraform's consistency rules, apply, refresh
 * and import. The daemon's object id travels in the resource's private data (a grant's
 * `<key_id>/<grant_id>` is not its `id` attribute). Only the api calls have side effects.
 */
import { UNKNOWN, isWhollyKnown, type CtyValue } from '../cty/values.js';
import type { CtyType } from '../cty/types.js';
import { objectTypeOf, type TfBlock, type TfSchema } from '../schema/block.js';
import { tfBlockFromResourceSchema } from '../schema/from-json-schema.js';
import { argumentNames, storedAttributes, PartialCreateError, type ApplyContext, type Attributes, type ResourceType } from '../../resources/resource-type.js';
import { apiErrorStatus, type DewApi } from '../../resources/api.js';
import type { Json } from '../../config/values.js';
import { isValueDigest, valueDigest } from '../../resources/value-digest.js';
import { configuredArguments, conform, knownAttributes, sameTfValue, toJson, toObject, type TfObject } from './values.js';

/**
 * Bumped when an attribute is added, renamed or changes type; UpgradeResourceState moves older states.
 * 2: secret arguments became write-only with `<name>_digest` (a version-1 state's value becomes its digest).
 */
export const RESOURCE_SCHEMA_VERSION = 2;

export interface Private {
  object_id: string;
}

export function encodePrivate(p: Private): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...p }));
}

export function decodePrivate(bytes: Buffer | Uint8Array | undefined | null): Private | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const p = JSON.parse(Buffer.from(bytes).toString('utf8')) as { object_id?: unknown };
    return typeof p.object_id === 'string' && p.object_id !== '' ? { object_id: p.object_id } : undefined;
  } catch {
    return undefined;
  }
}

/** The daemon's id of the object a state describes: from its private data, else its `id` (a state written without it). */
export function objectIdOf(priv: Private | undefined, state: TfObject): string {
  return priv?.object_id ?? String(state.id ?? '');
}

export interface PlanResult {
  planned: TfObject | null;
  /** Top-level attributes whose change replaces the object. */
  requiresReplace: string[];
}

/** A created object that was not finished (PartialCreateError): Terraform records it, tainted, with the error. */
export class PartialApply extends Error {
  constructor(
    readonly state: TfObject,
    readonly objectId: string,
    override readonly cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'PartialApply';
  }
}

/**
 * Arguments Terraform (≥ 1.11) treats as write_only: sent to the provider, never in a plan or the
 * state. Only what a create uses once and the daemon never reports back (a login password).
 */
export const TERRAFORM_WRITE_ONLY: Readonly<Record<string, readonly string[]>> = Object.freeze({
  dew_kps_binding: ['password'],
});

/**
 * Secret arguments (a secret's value, an imported private key): write_only as well, so the value
 * never reaches a plan or the state, and each tracked by a computed, sensitive `<name>_digest`
 * attribute holding what the dew stack holds for it (the type's digest): a changed value is a
 * changed digest, which plans the update; an imported object's digest is compared the same way.
 */
export const TERRAFORM_SECRET_ARGUMENTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  dew_csms_secret: ['secret_text', 'secret_binary'],
  dew_kps_keypair: ['private_key'],
});

const digestName = (k: string): string => `${k}_digest`;

/**
 * The object as the daemon describes it to a stack read (GET …/dew/live/{type}, the very view `dew plan`
 * diffs against), so both front ends see the same thing; the type's own read where no view exists.
 */
export async function liveObject(api: DewApi, rt: ResourceType, objectId: string): Promise<Record<string, unknown> | null> {
  try {
    const body = (await api.request('GET', `/v1.0/{project_id}/dew/live/${rt.type}`, undefined, { object_id: objectId })).body as { live?: Record<string, unknown> | null };
    return body.live ?? null;
  } catch (e) {
    const { status } = apiErrorStatus(e);
    if (status === 400 || status === 404) return rt.read(api, objectId);
    throw e;
  }
}

/** "" and empty collections: what the daemon reports for an argument nobody set. */
function isEmpty(v: CtyValue): boolean {
  if (v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0;
}

export class TfResource {
  readonly block: TfBlock;
  readonly type: CtyType & { kind: 'object' };
  private readonly args: string[];
  private readonly writeOnly: readonly string[];
  private readonly secrets: readonly string[];

  constructor(readonly rt: ResourceType) {
    this.secrets = TERRAFORM_SECRET_ARGUMENTS[rt.type] ?? [];
    this.writeOnly = [...(TERRAFORM_WRITE_ONLY[rt.type] ?? []), ...this.secrets];
    const block = tfBlockFromResourceSchema(rt.schema, { sensitive: rt.sensitive, optionalComputed: rt.optionalComputed, writeOnlyArgs: this.writeOnly });
    const digests = this.secrets.map((k) => ({
      name: digestName(k),
      type: { kind: 'string' } as CtyType,
      computed: true,
      sensitive: true,
      description: `The digest of ${k} (sha256:…) as the daemon was last given it: ${k} itself is write-only and never stored.`,
    }));
    this.block = { ...block, attributes: [...block.attributes, ...digests] };
    this.type = objectTypeOf(this.block) as CtyType & { kind: 'object' };
    this.args = argumentNames(rt.schema);
  }

  /** The digest the dew stack keeps of a secret argument's value (the type's own form). */
  private digestOf(k: string, value: Json): Json {
    if (typeof value !== 'string' || value === '' || isValueDigest(value)) return value;
    if (this.rt.digested?.includes(k)) return valueDigest(value);
    const stored = this.rt.stored?.({ [k]: value })[k];
    return stored === undefined ? valueDigest(value) : stored;
  }

  /** A Terraform object as the dew attributes the type takes: a secret argument as its digest (as a dew stack holds it). */
  private dewAttributes(o: TfObject): Attributes {
    const out = knownAttributes(o);
    for (const k of this.secrets) {
      delete out[k];
      const d = o[digestName(k)] ?? null;
      if (typeof d === 'string') out[k] = d;
      delete out[digestName(k)];
    }
    return out;
  }

  /**
   * Dew attributes (as a dew stack holds them: a secret as its digest, or the type's "changed outside"
   * marker) as a Terraform object: the secret argument null, what the stack would hold in `<name>_digest`.
   */
  private tfObject(attrs: Attributes): TfObject {
    const copy: Attributes = { ...attrs };
    const digests: Record<string, Json> = {};
    for (const k of this.secrets) {
      const v = copy[k];
      if (v !== undefined && v !== null && v !== '') digests[digestName(k)] = v;
      delete copy[k];
    }
    return toObject(this.type, { ...copy, ...digests });
  }

  get name(): string {
    return this.rt.type;
  }

  schema(): TfSchema {
    return { version: RESOURCE_SCHEMA_VERSION, block: this.block };
  }

  private attrType(k: string): CtyType {
    return this.type.attributes[k] ?? { kind: 'dynamic' };
  }

  private defaultOf(k: string): CtyValue | undefined {
    const d = this.rt.schema.properties[k]?.default;
    return d === undefined ? undefined : conform(this.attrType(k), d);
  }

  /**
   * Whether a configured value means the prior one: equal as Terraform sees it, or the same in the type's
   * eyes (sameValue). Secret arguments are not compared here: their digests are (planWithValues).
   */
  private equivalent(k: string, want: CtyValue, before: CtyValue): boolean {
    if (sameTfValue(this.attrType(k), want, before)) return true;
    if (want === null || before === null) return false;
    return this.rt.sameValue?.(k, toJson(want), toJson(before)) === true;
  }

  /** The planned new state: config values as given, defaults for unset arguments, unknown what only apply tells. */
  plan(prior: TfObject | null, config: TfObject | null): PlanResult {
    if (config === null) return { planned: null, requiresReplace: [] };
    const r = this.planWithValues(prior, config);
    // write-only arguments are never planned (nor stored): Terraform passes them to apply in the config
    if (r.planned) for (const k of this.writeOnly) r.planned[k] = null;
    return r;
  }

  private planWithValues(prior: TfObject | null, config: TfObject): PlanResult {
    if (prior === null) return { planned: this.planCreate(config), requiresReplace: [] };
    const planned: TfObject = { ...prior };
    const changed: string[] = [];
    for (const k of this.args) {
      if (this.writeOnly.includes(k)) continue;
      const cfg = config[k] ?? null;
      const d = this.defaultOf(k);
      let want: CtyValue;
      if (cfg !== null) want = cfg;
      else if (d !== undefined) want = d;
      else if (this.rt.optionalComputed.includes(k) || this.rt.writeOnly.includes(k)) continue; // the daemon's value stands
      else want = null;
      const before = prior[k] ?? null;
      if (isWhollyKnown(want) && this.equivalent(k, want, before)) {
        planned[k] = before; // semantically equal: Terraform allows keeping the prior form
        continue;
      }
      planned[k] = want;
      changed.push(k);
    }
    for (const k of this.secrets) {
      const cfg = config[k] ?? null;
      if (cfg === null) continue; // not configured: the value stands
      const dk = digestName(k);
      const next = isWhollyKnown(cfg) ? conform({ kind: 'string' }, this.digestOf(k, toJson(cfg))) : UNKNOWN;
      if (isWhollyKnown(next) && next === (prior[dk] ?? null)) continue;
      planned[dk] = next;
      changed.push(k);
    }
    if (changed.length === 0) return { planned, requiresReplace: [] };
    const current = this.dewAttributes(prior);
    const forcing = changed.filter(
      (k) => this.rt.forceNew.includes(k) || (!this.secrets.includes(k) && this.rt.forcesReplacement !== undefined && (!isWhollyKnown(planned[k]) || this.rt.forcesReplacement(k, current[k] ?? null, toJson(planned[k]) ?? null))),
    );
    if (forcing.length) {
      // Terraform plans the replacement's create again with no prior state; this answer only has to be consistent
      return { planned: this.planCreate(config), requiresReplace: forcing };
    }
    const configured = this.configuredKnown(config);
    for (const [k, v] of Object.entries(this.rt.plannedComputed?.(configured, current) ?? {})) {
      if (this.rt.optionalComputed.includes(k) && (config[k] ?? null) === null) planned[k] = conform(this.attrType(k), v);
    }
    for (const k of this.rt.recomputed?.(changed) ?? []) if (k in planned) planned[k] = UNKNOWN;
    return { planned, requiresReplace: [] };
  }

  private configuredKnown(config: TfObject): Attributes {
    return configuredArguments(this.rt.schema, config).known;
  }

  private planCreate(config: TfObject): TfObject {
    const out: TfObject = {};
    const told = this.rt.plannedComputed?.(this.configuredKnown(config), null) ?? {};
    for (const k of Object.keys(this.type.attributes)) {
      const cfg = config[k] ?? null;
      const isArg = this.args.includes(k);
      if (isArg && cfg !== null) out[k] = cfg;
      else if (isArg && this.defaultOf(k) !== undefined) out[k] = this.defaultOf(k)!;
      else if (isArg && this.rt.optionalComputed.includes(k)) out[k] = k in told ? conform(this.attrType(k), told[k]) : UNKNOWN;
      else if (isArg) out[k] = null;
      else out[k] = UNKNOWN; // exported: known after apply
    }
    for (const k of this.secrets) {
      const cfg = config[k] ?? null;
      out[digestName(k)] = cfg === null ? null : isWhollyKnown(cfg) ? conform({ kind: 'string' }, this.digestOf(k, toJson(cfg))) : UNKNOWN;
    }
    return out;
  }

  /** The arguments to send: the planned values (known at apply), unset ones left out. */
  private argumentsOf(planned: TfObject): Attributes {
    const out: Attributes = {};
    for (const k of this.args) {
      const v = planned[k] ?? null;
      if (v !== null && isWhollyKnown(v)) out[k] = toJson(v);
    }
    return out;
  }

  /** The new state: the planned values where the plan knew them, the daemon's answer where it did not. */
  private settle(planned: TfObject, answered: Attributes): TfObject {
    const fresh = this.tfObject(storedAttributes(this.rt, answered));
    const out: TfObject = {};
    for (const k of Object.keys(this.type.attributes)) {
      const p = planned[k] ?? null;
      out[k] = this.writeOnly.includes(k) ? null : isWhollyKnown(p) ? p : (fresh[k] ?? null);
    }
    return out;
  }

  /** The planned arguments, and the write-only ones from the configuration. */
  private sent(planned: TfObject, config: TfObject | null): Attributes {
    const out = this.argumentsOf(planned);
    for (const k of this.writeOnly) {
      const v = config?.[k] ?? null;
      if (v !== null && isWhollyKnown(v)) out[k] = toJson(v);
    }
    return out;
  }

  async apply(api: DewApi, prior: TfObject | null, planned: TfObject | null, config: TfObject | null, priv: Private | undefined, ctx: ApplyContext): Promise<{ state: TfObject | null; priv?: Private }> {
    if (planned === null) {
      if (prior === null) return { state: null };
      const objectId = objectIdOf(priv, prior);
      await this.rt.delete(api, objectId, this.dewAttributes(prior), ctx);
      return { state: null };
    }
    if (prior === null) {
      let created: { objectId: string; attributes: Attributes };
      try {
        created = await this.rt.create(api, this.sent(planned, config), ctx);
      } catch (e) {
        if (e instanceof PartialCreateError) throw new PartialApply(this.wholly(this.settle(planned, e.attributes)), e.objectId, e.cause);
        throw e;
      }
      return { state: this.wholly(this.settle(planned, created.attributes)), priv: { object_id: created.objectId } };
    }
    const objectId = objectIdOf(priv, prior);
    const before = this.dewAttributes(prior);
    const answered = await this.rt.update(api, objectId, before, { ...before, ...this.sent(planned, config) }, ctx);
    return { state: this.wholly(this.settle(planned, answered)), priv: { object_id: objectId } };
  }

  /** A state Terraform accepts after apply: every value known (what neither the plan nor the daemon told is null). */
  private wholly(o: TfObject): TfObject {
    const out: TfObject = {};
    for (const [k, v] of Object.entries(o)) out[k] = isWhollyKnown(v) ? v : null;
    return out;
  }

  /** Refresh: the object as the daemon has it now, in the prior state's form where they mean the same; null when gone. */
  async read(api: DewApi, prior: TfObject, priv: Private | undefined): Promise<TfObject | null> {
    const objectId = objectIdOf(priv, prior);
    if (!objectId) return null;
    const live = await liveObject(api, this.rt, objectId);
    if (!live) return null;
    const previous = this.dewAttributes(prior);
    const now = this.rt.fromLive(live, previous);
    if (!now) return null;
    const merged: Attributes = { ...previous, ...storedAttributes(this.rt, now) };
    for (const k of this.rt.writeOnly) if (k in previous) merged[k] = previous[k];
    const fresh = this.tfObject(merged);
    const out: TfObject = {};
    for (const k of Object.keys(this.type.attributes)) {
      const before = prior[k] ?? null;
      const after = fresh[k] ?? null;
      const t = this.attrType(k);
      // an argument left unset that the daemon reports empty (a key pair's private_key "" when the service holds none) is still unset
      const same = sameTfValue(t, before, after) || (before === null && this.args.includes(k) && isEmpty(after)) || (before !== null && after !== null && this.rt.sameValue?.(k, toJson(before), toJson(after)) === true);
      out[k] = this.writeOnly.includes(k) ? null : same ? before : after;
    }
    return out;
  }

  /**
   * A state of an older schema version, decoded for this one (removed attributes dropped, new ones null):
   * write-only arguments emptied, and a secret value a version-1 state held replaced by its digest.
   */
  upgrade(o: TfObject): TfObject {
    const out: TfObject = { ...o };
    for (const k of this.secrets) {
      const v = out[k] ?? null;
      if (typeof v === 'string' && v !== '' && (out[digestName(k)] ?? null) === null) out[digestName(k)] = conform({ kind: 'string' }, this.digestOf(k, v));
    }
    for (const k of this.writeOnly) out[k] = null;
    return out;
  }

  /** `terraform import ADDR ID`: the object by its daemon id (the same id `dew import` takes). */
  async importObject(api: DewApi, objectId: string): Promise<{ state: TfObject; priv: Private } | null> {
    // the type's own read, as `dew import`: only it digests a secret's current value (the live view holds none)
    const live = await this.rt.read(api, objectId);
    if (!live) return null;
    const now = this.rt.fromLive(live);
    if (!now) return null;
    const attrs = storedAttributes(this.rt, now);
    // arguments the daemon does not report take their defaults, as a configuration that leaves them out plans them
    for (const k of this.args) {
      const d = this.rt.schema.properties[k]?.default;
      if (!(k in attrs) && d !== undefined) attrs[k] = d;
    }
    // an argument the daemon reports empty was not set: null, as a configuration that leaves it out plans it (and refresh keeps it)
    for (const k of this.args) if (k in attrs && isEmpty(attrs[k] as CtyValue) && this.rt.schema.properties[k]?.default === undefined) delete attrs[k];
    for (const k of this.writeOnly) if (!this.secrets.includes(k)) delete attrs[k];
    return { state: this.tfObject(attrs), priv: { object_id: objectId } };
  }
}
