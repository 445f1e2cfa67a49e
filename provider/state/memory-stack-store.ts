/** An in-memory StackStore with the daemon's serial/revision/lock semantics, for tests and dry runs. */
import { randomUUID } from 'node:crypto';
import { StackLockedError, emptyStack, type AppliedPlanRecord, type PutObject, type StackLock, type StackObject, type StackSnapshot, type StackStore } from './stack-state.js';

export class MemoryStackStore implements StackStore {
  readonly stacks = new Map<string, StackSnapshot>();
  constructor(private readonly now: () => number = Date.now) {}

  private get(stack: string): StackSnapshot {
    let s = this.stacks.get(stack);
    if (!s) this.stacks.set(stack, (s = emptyStack(stack)));
    return s;
  }

  async read(stack: string): Promise<StackSnapshot> {
    return structuredClone(this.get(stack));
  }

  async lock(stack: string, who: string, operation: string): Promise<StackLock> {
    const s = this.get(stack);
    if (s.lock) throw new StackLockedError(stack, s.lock);
    s.lock = { id: randomUUID(), who, operation, created_at: new Date(this.now()).toISOString() };
    return { ...s.lock };
  }

  async unlock(stack: string, lockId: string): Promise<void> {
    const s = this.get(stack);
    if (s.lock?.id === lockId) s.lock = null;
  }

  private assertLock(s: StackSnapshot, lockId: string): void {
    if (s.lock?.id !== lockId) throw new StackLockedError(s.name, s.lock);
  }

  private bump(s: StackSnapshot): void {
    s.serial++;
    if (!s.lineage) s.lineage = randomUUID();
  }

  async putObject(stack: string, lockId: string, o: PutObject): Promise<{ serial: number }> {
    const s = this.get(stack);
    this.assertLock(s, lockId);
    const prev = s.objects.find((x) => x.address === o.address);
    const { pending, ...rest } = structuredClone(o);
    const next: StackObject = pending
      ? { ...rest, revision: (prev?.revision ?? 0) + 1, live: null, pending: { since: new Date(this.now()).toISOString(), object_id: null } }
      : { ...rest, revision: (prev?.revision ?? 0) + 1, live: prev?.live ?? null };
    s.objects = [...s.objects.filter((x) => x.address !== o.address), next];
    this.bump(s);
    return { serial: s.serial };
  }

  async deleteObject(stack: string, lockId: string, address: string): Promise<{ serial: number }> {
    const s = this.get(stack);
    this.assertLock(s, lockId);
    s.objects = s.objects.filter((x) => x.address !== address);
    this.bump(s);
    return { serial: s.serial };
  }

  /** The last plan recorded per stack. */
  readonly plans = new Map<string, AppliedPlanRecord>();

  async recordPlan(stack: string, lockId: string, plan: AppliedPlanRecord): Promise<void> {
    this.assertLock(this.get(stack), lockId);
    this.plans.set(stack, structuredClone(plan));
  }

  /** Test hook: the daemon found what the pending create at `address` made (or, null, that it made nothing). */
  setPendingFound(stack: string, address: string, objectId: string | null, live: Record<string, unknown> | null = null): void {
    const o = this.get(stack).objects.find((x) => x.address === address);
    if (!o?.pending) throw new Error(`no pending object ${address}`);
    o.pending = { ...o.pending, object_id: objectId };
    o.live = live;
  }

  /** Test hook: set what the daemon currently sees for an object (drift, deletion outside dew). */
  setLive(stack: string, address: string, live: Record<string, unknown> | null): void {
    const o = this.get(stack).objects.find((x) => x.address === address);
    if (!o) throw new Error(`no object ${address}`);
    o.live = live;
    o.revision++;
  }
}
