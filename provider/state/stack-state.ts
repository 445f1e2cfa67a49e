/** The stack as the daemon holds it: serial, lineage, lock and owned objects with their live view; the store interface over it. */
import type { Json } from '../config/values.js';

export interface StackLock {
  id: string;
  who: string;
  operation: string;
  created_at: string;
}

export interface StackObject {
  address: string;
  type: string;
  object_id: string;
  /** The attributes last applied. */
  attributes: Record<string, Json>;
  dependencies: string[];
  /** Bumped by the daemon on any change to the object, through dew or not. */
  revision: number;
  /**
   * The object as the daemon sees it now (API-shaped); null when it no longer exists; absent when the
   * daemon cannot describe this type (then the last applied attributes stand and no drift is seen).
   */
  live?: Record<string, unknown> | null;
  /**
   * Set for an intent apply recorded before a create (object_id ""): when it was written and the id of what
   * that create made, as the daemon found it (null: the create never happened). `live` is then that object.
   */
  pending?: { since: string; object_id: string | null };
}

export interface StackSnapshot {
  name: string;
  serial: number;
  /** "" for a stack that has never been written. */
  lineage: string;
  lock: StackLock | null;
  objects: StackObject[];
}

export interface PutObject {
  address: string;
  type: string;
  /** "" with `pending`. */
  object_id: string;
  attributes: Record<string, Json>;
  dependencies: string[];
  /** An intent written before the create: the address is being created with `attributes` as its arguments. */
  pending?: boolean;
}

/** The plan an apply carried out, kept by the daemon as the stack's last applied plan (the console shows it). */
export interface AppliedPlanRecord {
  /** The plan as `dew plan` prints it without colour: sensitive values shown as "(sensitive value)". */
  text: string;
  mode: 'normal' | 'destroy';
  summary: { add: number; change: number; destroy: number; adopt: number };
  outcome: 'applied' | 'failed' | 'interrupted';
}

/** Where stacks live: the daemon in production, memory in tests. */
export interface StackStore {
  read(stack: string): Promise<StackSnapshot>;
  /** Takes the lock; throws StackLockedError when someone holds it. */
  lock(stack: string, who: string, operation: string): Promise<StackLock>;
  unlock(stack: string, lockId: string): Promise<void>;
  putObject(stack: string, lockId: string, object: PutObject): Promise<{ serial: number }>;
  deleteObject(stack: string, lockId: string, address: string): Promise<{ serial: number }>;
  /** Records the plan an apply carried out, while holding the lock. */
  recordPlan(stack: string, lockId: string, plan: AppliedPlanRecord): Promise<void>;
}

export class StackLockedError extends Error {
  readonly lock: StackLock | null;
  constructor(readonly stackName: string, lock: StackLock | null) {
    super(`stack ${stackName} is locked${lock ? ` by ${lock.who} (${lock.operation}) since ${lock.created_at}` : ''}`);
    this.lock = lock;
    this.name = 'StackLockedError';
  }
}

export function emptyStack(name: string): StackSnapshot {
  return { name, serial: 0, lineage: '', lock: null, objects: [] };
}
