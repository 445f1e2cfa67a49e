/** StackStore over the daemon's /v1.0/{project_id}/dew/stacks endpoints, paging object lists with marker. */
import type { DewApi } from '../resources/api.js';
import { apiErrorStatus } from '../resources/api.js';
import { StackLockedError, type AppliedPlanRecord, type PutObject, type StackLock, type StackObject, type StackSnapshot, type StackStore } from './stack-state.js';

const PAGE = '1000';

function base(stack: string): string {
  return `/v1.0/{project_id}/dew/stacks/${encodeURIComponent(stack)}`;
}

export class HttpStackStore implements StackStore {
  /** Requests made, for the plan benchmark's request count. */
  requests = 0;

  constructor(private readonly api: DewApi) {}

  async read(stack: string): Promise<StackSnapshot> {
    const objects: StackObject[] = [];
    let marker = '';
    let head: Omit<StackSnapshot, 'objects'> | undefined;
    do {
      this.requests++;
      const res = await this.api.request('GET', base(stack), undefined, marker ? { limit: PAGE, marker } : { limit: PAGE });
      const body = (res.body ?? {}) as { stack?: StackSnapshot & { next_marker?: string } };
      const s = body.stack;
      if (!s) throw new Error(`the daemon answered GET ${base(stack)} without a stack`);
      head ??= { name: s.name ?? stack, serial: Number(s.serial ?? 0), lineage: String(s.lineage ?? ''), lock: s.lock ?? null };
      objects.push(...(s.objects ?? []));
      marker = s.next_marker ?? '';
    } while (marker);
    return { ...head!, objects };
  }

  async lock(stack: string, who: string, operation: string): Promise<StackLock> {
    this.requests++;
    try {
      const res = await this.api.request('POST', `${base(stack)}/lock`, { who, operation });
      return (res.body as { lock: StackLock }).lock;
    } catch (e) {
      if (apiErrorStatus(e).status === 409) {
        // the client's error carries no body: read who holds the lock from the stack itself
        const held = await this.read(stack).then((s) => s.lock, () => null);
        throw new StackLockedError(stack, held);
      }
      throw e;
    }
  }

  async unlock(stack: string, lockId: string): Promise<void> {
    this.requests++;
    await this.api.request('DELETE', `${base(stack)}/lock`, undefined, { lock_id: lockId });
  }

  async putObject(stack: string, lockId: string, o: PutObject): Promise<{ serial: number }> {
    this.requests++;
    const res = await this.api.request('PUT', `${base(stack)}/objects`, { lock_id: lockId, ...o });
    return { serial: Number((res.body as { serial?: number })?.serial ?? 0) };
  }

  async deleteObject(stack: string, lockId: string, address: string): Promise<{ serial: number }> {
    this.requests++;
    const res = await this.api.request('DELETE', `${base(stack)}/objects`, { lock_id: lockId, address });
    return { serial: Number((res.body as { serial?: number })?.serial ?? 0) };
  }

  async recordPlan(stack: string, lockId: string, plan: AppliedPlanRecord): Promise<void> {
    this.requests++;
    await this.api.request('PUT', `${base(stack)}/last-plan`, { lock_id: lockId, ...plan });
  }
}
