/** Planned actions and changes (Terraform's plans.Action / plans.Change): what before/after mean per action. */
import type { Json, MarkTree } from '../config/values.js';

/**
 * - no-op: before = after = the current object
 * - create: before = null, after = planned object (unknown leaves in afterUnknown)
 * - update: before = current object, after = planned object
 * - delete-then-create: before = current, after = the replacement
 * - delete: before = current, after = null
 */
export type Action = 'no-op' | 'create' | 'update' | 'delete-then-create' | 'delete';

export type ActionReason =
  | 'replace_because_cannot_update'
  | 'replace_by_request'
  | 'delete_because_no_resource_config'
  | 'delete_because_count_index'
  | 'delete_because_each_key'
  | 'delete_because_wrong_repetition';

export interface Change {
  action: Action;
  before: Json;
  after: Json;
  afterUnknown: MarkTree;
  beforeSensitive: MarkTree;
  afterSensitive: MarkTree;
  /** Attribute paths that force the replacement. */
  replacePaths: (string | number)[][];
  actionReason?: ActionReason;
}

export interface ResourceChange {
  address: string;
  /** `TYPE.NAME` of the resource block. */
  resource: string;
  type: string;
  name: string;
  index?: string | number;
  change: Change;
  /** The daemon's id of the existing object (absent for creates). */
  objectId?: string;
  /** Resource addresses this instance depends on (recorded with the object for destroy ordering). */
  dependencies: string[];
  /**
   * What a create or update waits for at apply: instance addresses it names (`dew_kms_key.k[3]`) and resource
   * addresses it needs whole. Absent (older saved plans): every instance of each of `dependencies`.
   */
  waitsFor?: string[];
  /** The object no longer exists in the daemon: deleting it only forgets the record. */
  gone?: boolean;
  /** Arguments changed outside dew since the last apply (drift). */
  drift?: string[];
  /** Why the object is (re)created although the stack has it. */
  note?: string;
  /**
   * The object was made by an interrupted apply that recorded only its intent (pending since then): this
   * plan adopts it (objectId) into the stack, recording it even when the action is no-op.
   */
  adopt?: { since: string };
}

export interface PlannedOutput {
  name: string;
  /** create: no value before; update: the value changes or is not known yet; no-op: unchanged. */
  action: 'create' | 'update' | 'no-op';
  before: Json;
  value: Json;
  unknown: boolean;
  sensitive: boolean;
}

/** A stack object as the plan read it (Terraform's prior state): as last applied and as the daemon has it now. */
export interface PriorObject {
  address: string;
  type: string;
  name: string;
  index?: string | number;
  /** The attributes last applied. */
  previous: Json;
  /** The attributes now (last applied overlaid with what the daemon reports); null when the object is gone. */
  current: Json;
  /** Sensitive leaves (of both), as the object's change marks them. */
  sensitive: MarkTree;
  /** Arguments changed outside dew since the last apply, relevant to this plan or not. */
  drift: string[];
}

export interface Plan {
  stack: string;
  serial: number;
  lineage: string;
  mode: 'normal' | 'destroy';
  /** Revision of every stack object the plan read, by address. */
  revisions: Record<string, number>;
  variables: Record<string, Json>;
  /** Names of the sensitive variables (redacted in renderers). */
  sensitiveVariables: string[];
  changes: ResourceChange[];
  outputs: PlannedOutput[];
  targets: string[];
  replace: string[];
  /** The stack's objects as read (absent in plans saved by older dews). */
  prior?: PriorObject[];
}

export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.every((c) => c.change.action === 'no-op' && !c.adopt);
}

export function counts(plan: Plan): { add: number; change: number; destroy: number; adopt: number } {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let adopt = 0;
  for (const c of plan.changes) {
    if (c.adopt) adopt++;
    const a = c.change.action;
    if (a === 'create') add++;
    else if (a === 'update') change++;
    else if (a === 'delete') destroy++;
    else if (a === 'delete-then-create') {
      add++;
      destroy++;
    }
  }
  return { add, change, destroy, adopt };
}
