/** What every resource type provides: schema, force-new and sensitive attributes, live→attributes mapping and CRUD. */
import type { Json } from '../config/values.js';
import type { DewApi } from './api.js';

export type Attributes = Record<string, Json>;

export interface JsonSchemaProperty {
  type?: string;
  readOnly?: boolean;
  default?: Json;
  items?: JsonSchemaProperty;
  uniqueItems?: boolean;
  additionalProperties?: JsonSchemaProperty | boolean;
  description?: string;
  [k: string]: unknown;
}

export interface ResourceSchema {
  title: string;
  type: 'object';
  required?: string[];
  properties: Record<string, JsonSchemaProperty>;
  [k: string]: unknown;
}

/** Context given to create/update/delete: where the config lives (relative file paths) and the clock. */
export interface ApplyContext {
  configDir: string;
  now: () => number;
  /** Set for the delete half of a replacement (-/+). */
  replacing?: boolean;
  /** With replacing: the arguments the replacement is created with (a secret freed at once for one of the same name). */
  replacement?: Attributes;
}

export interface ResourceType {
  readonly type: string;
  readonly schema: ResourceSchema;
  /** Arguments whose change means destroy-then-create (Huawei provider ForceNew). */
  readonly forceNew: readonly string[];
  /** Attributes masked in plans. */
  readonly sensitive: readonly string[];
  /** Optional arguments the daemon fills in when unset (O+C): not diffed unless configured. */
  readonly optionalComputed: readonly string[];
  /** Arguments the daemon cannot report back: taken from the last applied attributes. */
  readonly writeOnly: readonly string[];
  /**
   * Sensitive arguments that a plan, a saved plan and the stack hold only as their digest (value-digest.ts):
   * the plan compares digests, and apply reads the value from the configuration again and sends it only
   * when its digest is the planned one. create() and update() answer these attributes as digests.
   */
  readonly digested?: readonly string[];
  /**
   * Semantic checks beyond the schema, per attribute, on the known values; `present` names every
   * configured argument, those whose value is not known yet included (default: the keys of attrs).
   */
  check?(attrs: Attributes, present?: ReadonlySet<string>): { attribute: string; message: string }[];
  /**
   * Maps the daemon's live object to attributes; null when the object is gone (deleted, pending deletion).
   * `previous` is what the stack recorded at the last apply (absent for `dew import`).
   */
  fromLive(live: Record<string, unknown>, previous?: Attributes): Attributes | null;
  /** Reads the live object for `dew import`; null when there is none. */
  read(api: DewApi, objectId: string): Promise<Record<string, unknown> | null>;
  create(api: DewApi, attrs: Attributes, ctx: ApplyContext): Promise<{ objectId: string; attributes: Attributes }>;
  update(api: DewApi, objectId: string, before: Attributes, after: Attributes, ctx: ApplyContext): Promise<Attributes>;
  /**
   * Deletes the object; what it answers replaces "Destruction complete" in apply's output when the
   * deletion is not immediate (a key is scheduled for deletion).
   */
  delete(api: DewApi, objectId: string, attrs: Attributes, ctx: ApplyContext): Promise<void | { outcome: string }>;
  /**
   * Values of unset optional+computed arguments the plan can already tell from the known configured
   * arguments (`configured`) and the current object (null for a create), instead of "known after apply".
   */
  plannedComputed?(configured: Attributes, current: Attributes | null): Attributes;
  /**
   * Exported attributes an in-place update of the `changed` arguments moves: unknown in the plan until
   * apply (a secret's new value makes a new latest_version), so what reads them waits for the update.
   */
  recomputed?(changed: readonly string[]): string[];
  /**
   * What destroying the object does besides deleting it, shown in the plan as `# (…)` lines; `after` is
   * the replacement's planned value when replacing.
   */
  destroyNotes?(objectId: string, before: Attributes, replacing: boolean, after?: Attributes): string[];
  /**
   * Whether changing an argument that is not in forceNew still needs a new object: a change the daemon
   * makes in one direction only (a user key pair becomes an account key pair in place, never back).
   */
  forcesReplacement?(attribute: string, current: Json, configured: Json): boolean;
  /**
   * Whether a configured value already matches the current one though they differ as JSON: the same SSH
   * key in another form, or a secret the stack keeps only as a digest (stored()).
   */
  sameValue?(attribute: string, configured: Json, current: Json): boolean;
  /** What the stack records of an object's attributes: a secret as its digest, a login credential not at all. */
  stored?(attributes: Attributes): Attributes;
}

/** The attributes as the stack may record them (see ResourceType.stored). */
export function storedAttributes(rt: ResourceType, attributes: Attributes): Attributes {
  return rt.stored ? rt.stored(attributes) : attributes;
}

/** Arguments (configurable attributes) of a schema, in declaration order. */
export function argumentNames(schema: ResourceSchema): string[] {
  return Object.entries(schema.properties).filter(([, p]) => !p.readOnly).map(([k]) => k);
}

/** Exported, read-only attributes of a schema. */
export function exportedNames(schema: ResourceSchema): string[] {
  return Object.entries(schema.properties).filter(([, p]) => p.readOnly).map(([k]) => k);
}

export function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

/**
 * create() made the object but a later step failed (rotation, tags, disable): apply records the object
 * as it now is, so the next plan sees it and plans the missing steps as an update instead of creating
 * a second object whose alias is already taken.
 */
export class PartialCreateError extends Error {
  constructor(
    readonly objectId: string,
    readonly attributes: Attributes,
    override readonly cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = 'PartialCreateError';
    const code = (cause as { code?: unknown })?.code;
    if (typeof code === 'string') (this as { code?: string }).code = code;
  }
}

