/**
 * Persistence of CSMS event definitions and their notification records. Answers come from the
 * database on every call (no cache), so every daemon on the database sees the same events. A
 * record is sent only by the daemon whose claim set its lease: the claim is one UPDATE that moves
 * `lease_until` forward only on records still PENDING, due and unleased, so two daemons racing for
 * a record never both hold it; the outcome is written only while that lease is still the record's.
 */
import { and, asc, desc, eq, gt, inArray, lt, lte, ne, or } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsAffected } from './audit-repo.js';
import { csmsEvents, csmsNotifications } from './schema.js';

export type EventRow = typeof csmsEvents.$inferSelect;
export type NotificationRow = typeof csmsNotifications.$inferSelect;

const isUniqueViolation = (e: unknown): boolean => {
  for (let x = e as { message?: string; cause?: unknown } | undefined; x; x = x.cause as typeof x) {
    if (/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String(x.message ?? ''))) return true;
  }
  return false;
};

export class CsmsEventRepo {
  constructor(private readonly db: Db) {}

  // ---- event definitions ----

  /** Inserts an event definition; false when the project already has one of that name. */
  async insertEvent(row: EventRow): Promise<boolean> {
    try {
      await this.db.insert(csmsEvents).values(row);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async event(projectId: string, name: string): Promise<EventRow | undefined> {
    const rows = await this.db.select().from(csmsEvents).where(and(eq(csmsEvents.projectId, projectId), eq(csmsEvents.name, name)));
    return rows[0];
  }

  /** The project's events of these names (those that exist). */
  async eventsNamed(projectId: string, names: readonly string[]): Promise<EventRow[]> {
    if (names.length === 0) return [];
    return this.db.select().from(csmsEvents).where(and(eq(csmsEvents.projectId, projectId), inArray(csmsEvents.name, [...names])));
  }

  /** One page by name after `marker` (exclusive). */
  async listEvents(projectId: string, marker: string | undefined, limit: number): Promise<EventRow[]> {
    const inProject = eq(csmsEvents.projectId, projectId);
    return this.db
      .select()
      .from(csmsEvents)
      .where(marker === undefined ? inProject : and(inProject, gt(csmsEvents.name, marker)))
      .orderBy(asc(csmsEvents.name))
      .limit(limit);
  }

  /** Applies `set` if the event is still as read (same update_time); false when another change came first or it is gone. */
  async updateEvent(eventId: string, readUpdateTime: number, set: Partial<Omit<EventRow, 'eventId' | 'projectId' | 'domainId' | 'name' | 'createTime'>>): Promise<boolean> {
    const r = await this.db
      .update(csmsEvents)
      .set(set)
      .where(and(eq(csmsEvents.eventId, eventId), eq(csmsEvents.updateTime, readUpdateTime)));
    return rowsAffected(r) === 1;
  }

  async deleteEvent(eventId: string): Promise<boolean> {
    return rowsAffected(await this.db.delete(csmsEvents).where(eq(csmsEvents.eventId, eventId))) === 1;
  }

  // ---- notification records ----

  async insertNotifications(rows: readonly NotificationRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insert(csmsNotifications).values([...rows]);
  }

  /**
   * Claims up to `limit` due records (PENDING, next attempt at or before `now`, no live lease) by
   * setting their lease to `leaseUntil`, in one statement: a record another daemon claimed first
   * no longer matches. Returns the records this call claimed.
   */
  async claimDue(now: number, leaseUntil: number, limit: number): Promise<NotificationRow[]> {
    const claimable = and(eq(csmsNotifications.status, 'PENDING'), lte(csmsNotifications.nextAttemptTime, now), lte(csmsNotifications.leaseUntil, now));
    const due = this.db
      .select({ id: csmsNotifications.recordId })
      .from(csmsNotifications)
      .where(claimable)
      .orderBy(asc(csmsNotifications.nextAttemptTime), asc(csmsNotifications.recordId))
      .limit(limit);
    return this.db
      .update(csmsNotifications)
      .set({ leaseUntil })
      .where(and(inArray(csmsNotifications.recordId, due), claimable))
      .returning();
  }

  /** Writes an attempt's outcome if the record is still PENDING under `lease` (this claim's); false when the lease was lost. */
  async finish(recordId: string, lease: number, set: Partial<Omit<NotificationRow, 'recordId' | 'projectId'>>): Promise<boolean> {
    const r = await this.db
      .update(csmsNotifications)
      .set(set)
      .where(and(eq(csmsNotifications.recordId, recordId), eq(csmsNotifications.status, 'PENDING'), eq(csmsNotifications.leaseUntil, lease)));
    return rowsAffected(r) === 1;
  }

  async notification(recordId: string): Promise<NotificationRow | undefined> {
    const rows = await this.db.select().from(csmsNotifications).where(eq(csmsNotifications.recordId, recordId));
    return rows[0];
  }

  /** One page of the project's records, newest first, after the record `marker` (exclusive). */
  async listNotifications(projectId: string, marker: { triggerTime: number; recordId: string } | undefined, limit: number): Promise<NotificationRow[]> {
    const inProject = eq(csmsNotifications.projectId, projectId);
    const after =
      marker === undefined
        ? undefined
        : or(lt(csmsNotifications.triggerTime, marker.triggerTime), and(eq(csmsNotifications.triggerTime, marker.triggerTime), lt(csmsNotifications.recordId, marker.recordId)));
    return this.db
      .select()
      .from(csmsNotifications)
      .where(after ? and(inProject, after) : inProject)
      .orderBy(desc(csmsNotifications.triggerTime), desc(csmsNotifications.recordId))
      .limit(limit);
  }

  /** Deletes finished records (any status but PENDING) last changed before `before`; how many. */
  async deleteFinishedBefore(before: number): Promise<number> {
    return rowsAffected(await this.db.delete(csmsNotifications).where(and(ne(csmsNotifications.status, 'PENDING'), lt(csmsNotifications.updateTime, before))));
  }
}
