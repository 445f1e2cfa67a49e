/**
 * Declarative stacks: the daemon is the state. Each stack records the objects it owns, a serial
 * bumped on every change, and a lock that keeps two applies apart. Reads include each object's
 * live view as the daemon sees it now, so a plan needs one paged call, not one per resource.
 */
import { randomUUID } from 'node:crypto';
import { DewError, stackErrors } from '../errors.js';
import type { StackRepo, StackRow, StackObjectRow } from '../store/stack-repo.js';
import type { Caller } from './caller.js';
import type { KeyService } from './keys.js';

export interface StackObjectInput {
  lock_id: string;
  address: string;
  type: string;
  object_id: string;
  attributes: Record<string, unknown>;
  dependencies: string[];
}

function lockView(row: StackRow | undefined) {
  if (!row?.lockId) return null;
  return { id: row.lockId, who: row.lockWho, operation: row.lockOperation, created_at: new Date(row.lockCreatedAt ?? 0).toISOString() };
}

/** How a daemon service describes an object it owns for a stack read: null when gone. */
export type LiveView = (caller: Caller, objectId: string) => LiveObject | Promise<LiveObject>;
type LiveObject = { live: Record<string, unknown> | null; revision: number };

export class StackService {
  private readonly views = new Map<string, LiveView>();

  constructor(
    private readonly repo: StackRepo,
    private readonly keys: KeyService,
    private readonly now: () => number,
  ) {}

  /** Registers the live view of a resource type (aliases, grants…) owned by another service. */
  addLiveView(type: string, view: LiveView): void {
    this.views.set(type, view);
  }

  /** The live object as the daemon sees it now: null when it is gone, undefined when this daemon cannot describe the type. */
  private live(caller: Caller, o: StackObjectRow): { live: Record<string, unknown> | null | undefined; revision: number } | Promise<LiveObject> {
    if (o.type === 'dew_kms_key' || o.type === 'dew_kms_key_material') {
      const k = this.keys.find(caller, o.objectId);
      if (!k) return { live: null, revision: 0 };
      if (o.type === 'dew_kms_key_material') {
        return { live: { key_id: k.keyId, key_state: k.keyState, expiration_time: k.expirationTime === null ? '' : String(k.expirationTime) }, revision: k.revision };
      }
      return {
        live: { ...this.keys.toDetails(k), rotation_interval: k.rotationInterval, number_of_rotations: k.numberOfRotations, tags: { ...k.tags } },
        revision: k.revision,
      };
    }
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
          const { live, revision } = await this.live(caller, o);
          return {
            address: o.address,
            type: o.type,
            object_id: o.objectId,
            attributes: JSON.parse(o.attributes) as unknown,
            dependencies: JSON.parse(o.dependencies) as unknown,
            revision,
            ...(live === undefined ? {} : { live }),
          };
        })),
        next_marker: more ? String(offset + limit) : '',
      },
    };
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
