/**
 * Declarative stacks: the daemon is the state. Each stack records the objects it owns, a serial
 * bumped on every change, a lock that keeps two applies apart, and the plan the last apply carried
 * out (as `dew plan` printed it, so no value the plan redacts is kept) for the console. Reads include each object's
 * live view as the daemon sees it now, so a plan needs one paged call, not one per resource.
 *
 * Before it creates an object, apply records a pending entry for the address (no object id, the
 * arguments it sends). When apply or the daemon dies between the create and the record, the read
 * finds what that create made (a finder per type: same identifying arguments, made after the entry
 * was written) so the next plan adopts it instead of creating a second one.
 */
import { randomUUID } from 'node:crypto';
import { DewError, stackErrors } from '../errors.js';
import type { StackRepo, StackRow, StackObjectRow } from '../store/stack-repo.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';
import type { AppliedPlan } from '../console/client/wire.js';

export interface StackObjectInput {
  lock_id: string;
  address: string;
  type: string;
  object_id: string;
  attributes: Record<string, unknown>;
  dependencies: string[];
  /** An intent: the address is being created with these arguments (object_id is ""). */
  pending?: boolean;
}

/** What `dew apply` reports of the plan it carried out (schemas/dew/stack-plan-put.json). */
export interface AppliedPlanInput {
  lock_id: string;
  /** The plan as `dew plan` prints it without colour: sensitive values already shown as "(sensitive value)". */
  text: string;
  mode: 'normal' | 'destroy';
  summary: { add: number; change: number; destroy: number; adopt?: number };
  outcome: 'applied' | 'failed' | 'interrupted';
}


function lockView(row: StackRow | undefined) {
  if (!row?.lockId) return null;
  return { id: row.lockId, who: row.lockWho, operation: row.lockOperation, created_at: new Date(row.lockCreatedAt ?? 0).toISOString() };
}

/** How a daemon service describes an object it owns for a stack read: null when gone. */
export type LiveView = (caller: Caller, objectId: string) => LiveObject | Promise<LiveObject>;
type LiveObject = { live: Record<string, unknown> | null; revision: number };

/**
 * Finds the object a pending create made: one whose identifying arguments match `args` and that was made
 * at or after `since` (epoch ms), with its live view when the type has no LiveView; undefined when none.
 */
export type PendingFinder = (caller: Caller, args: Record<string, unknown>, since: number) => FoundObject | undefined | Promise<FoundObject | undefined>;
export type FoundObject = { objectId: string; live?: Record<string, unknown> };

export class StackService {
  private readonly views = new Map<string, LiveView>();
  private readonly finders = new Map<string, PendingFinder>();

  constructor(
    private readonly repo: StackRepo,
    private readonly keys: KeyService,
    private readonly now: () => number,
  ) {}

  /** Registers the live view of a resource type (keys, aliases, grants…), declared by the module that owns it. */
  addLiveView(type: string, view: LiveView): void {
    this.views.set(type, view);
  }

  /** Registers how to find what an interrupted create of a resource type made. */
  addFinder(type: string, finder: PendingFinder): void {
    this.finders.set(type, finder);
  }

  /** A pending entry: what its create made, if anything, and that object's live view. */
  private async pending(caller: Caller, o: StackObjectRow, args: Record<string, unknown>) {
    const since = new Date(o.updatedAt).toISOString();
    let found: FoundObject | undefined;
    try {
      found = await this.finders.get(o.type)?.(caller, args, o.updatedAt);
    } catch {
      found = undefined; // the caller may not see the object (another account, no permission): nothing to adopt
    }
    if (!found) return { pending: { since, object_id: null }, live: null, revision: 0 };
    const view = found.live !== undefined ? { live: found.live, revision: 0 } : await this.live(caller, { ...o, objectId: found.objectId });
    return { pending: { since, object_id: found.objectId }, live: view.live, revision: view.revision };
  }

  /**
   * One object's live view by type and object id, outside any stack (the Terraform provider's refresh):
   * the same view a stack read gives; null when gone, undefined when no module describes the type.
   */
  async liveObject(caller: Caller, type: string, objectId: string): Promise<{ live: Record<string, unknown> | null | undefined; revision: number }> {
    return this.live(caller, { type, objectId } as StackObjectRow);
  }

  /** The live object as the daemon sees it now: null when it is gone, undefined when this daemon cannot describe the type. */
  private live(caller: Caller, o: StackObjectRow): { live: Record<string, unknown> | null | undefined; revision: number } | Promise<LiveObject> {
    const view = this.views.get(o.type);
    if (view) return view(caller, o.objectId);
    return { live: undefined, revision: 0 };
  }

  async read(caller: Caller, name: string, limit: number, offset: number) {
    const row = await this.repo.get(caller.projectId, name);
    const objects = row ? await this.repo.objects(caller.projectId, name, limit + 1, offset) : [];
    const more = objects.length > limit;
    const page = objects.slice(0, limit);
    return {
      stack: {
        name,
        serial: row?.serial ?? 0,
        lineage: row?.lineage ?? '',
        lock: lockView(row),
        objects: await Promise.all(page.map(async (o) => {
          const attributes = JSON.parse(o.attributes) as Record<string, unknown>;
          const p = o.objectId === '' ? await this.pending(caller, o, attributes) : undefined;
          const { live, revision } = p ?? (await this.live(caller, o));
          return {
            address: o.address,
            type: o.type,
            object_id: o.objectId,
            attributes,
            dependencies: JSON.parse(o.dependencies) as unknown,
            revision,
            ...(live === undefined ? {} : { live }),
            ...(p ? { pending: p.pending } : {}),
          };
        })),
        next_marker: more ? String(offset + limit) : '',
      },
    };
  }

  /** The project's stacks by name: serial, lock, how many objects each owns and when a plan was last applied. */
  async list(caller: Caller, limit: number, offset: number) {
    const rows = await this.repo.list(caller.projectId, limit + 1, offset);
    const more = rows.length > limit;
    return {
      stacks: rows.slice(0, limit).map((r) => {
        const last = r.lastPlan ? (JSON.parse(r.lastPlan) as AppliedPlan) : null;
        return {
          name: r.name,
          serial: r.serial,
          lineage: r.lineage,
          lock: lockView(r),
          object_count: r.objectCount,
          last_applied_at: last?.applied_at ?? null,
          last_outcome: last?.outcome ?? null,
        };
      }),
      next_marker: more ? String(offset + limit) : '',
    };
  }

  /** Keeps the plan an apply carried out as the stack's last applied plan, while the caller holds the lock. */
  async recordPlan(caller: Caller, name: string, input: AppliedPlanInput): Promise<{ serial: number }> {
    const row = await this.repo.get(caller.projectId, name);
    if (!row || row.lockId !== input.lock_id) throw this.notHeld(name);
    const plan: AppliedPlan = {
      text: input.text,
      mode: input.mode,
      summary: input.summary,
      outcome: input.outcome,
      applied_at: new Date(this.now()).toISOString(),
      applied_by: row.lockWho ?? caller.userId,
      serial: row.serial,
    };
    if (!(await this.repo.putLastPlan(caller.projectId, name, input.lock_id, JSON.stringify(plan), this.keys.auditHook(caller)))) throw this.notHeld(name);
    return { serial: row.serial };
  }

  /** The last plan `dew apply` carried out on the stack; null when none was recorded. */
  async lastPlan(caller: Caller, name: string): Promise<{ last_plan: AppliedPlan | null }> {
    const row = await this.repo.get(caller.projectId, name);
    return { last_plan: row?.lastPlan ? (JSON.parse(row.lastPlan) as AppliedPlan) : null };
  }

  async lock(caller: Caller, name: string, who: string, operation: string) {
    const lock = { id: randomUUID(), who, operation, createdAt: this.now() };
    if (await this.repo.lock(caller.projectId, name, lock, randomUUID(), this.keys.auditHook(caller))) {
      return { lock: { id: lock.id, who, operation, created_at: new Date(lock.createdAt).toISOString() } };
    }
    const held = lockView(await this.repo.get(caller.projectId, name));
    throw stackErrors.lockConflict(`Error acquiring the stack lock: stack ${name} is locked by ${held?.who ?? 'someone'} (${held?.operation ?? 'unknown'}) since ${held?.created_at ?? 'unknown'}, lock ID ${held?.id ?? ''}.`, held);
  }

  async unlock(caller: Caller, name: string, lockId: string): Promise<void> {
    if (!(await this.repo.unlock(caller.projectId, name, lockId, this.keys.auditHook(caller)))) {
      const held = lockView(await this.repo.get(caller.projectId, name));
      throw stackErrors.lockConflict(held ? `The stack ${name} is locked under another lock ID (${held.id}).` : `The stack ${name} is not locked.`, held);
    }
  }

  private notHeld(name: string): DewError {
    return stackErrors.lockConflict(`The stack ${name} is not locked by lock ID given: take the lock first.`);
  }

  async putObject(caller: Caller, name: string, o: StackObjectInput): Promise<{ serial: number }> {
    if ((o.object_id === '') !== (o.pending === true))
      throw new DewError('KMS.0308', 400, o.pending ? 'A pending stack object has no object_id yet: send object_id "".' : 'Invalid object_id: an object recorded in a stack needs its id (only a pending entry has none).');
    const serial = await this.repo.putObject(
      {
        projectId: caller.projectId,
        stack: name,
        address: o.address,
        type: o.type,
        objectId: o.object_id,
        attributes: JSON.stringify(o.attributes),
        dependencies: JSON.stringify(o.dependencies ?? []),
        updatedAt: this.now(),
      },
      o.lock_id,
      this.keys.auditHook(caller),
    );
    if (serial === undefined) throw this.notHeld(name);
    return { serial };
  }

  async deleteObject(caller: Caller, name: string, lockId: string, address: string): Promise<{ serial: number }> {
    const serial = await this.repo.deleteObject(caller.projectId, name, address, lockId, this.keys.auditHook(caller));
    if (serial === undefined) throw this.notHeld(name);
    return { serial };
  }
}
