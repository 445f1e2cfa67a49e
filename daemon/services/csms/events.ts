/**
 * CSMS events (reference 5, `csms/events` and `csms/notification-records`): event definitions of
 * the caller's project, the notification records a secret's events raise, and their delivery to
 * webhooks with retries.
 *
 * Each definition has an HMAC-SHA256 signing key, made at create (or on `rotate_signing_key`),
 * answered once in hex and stored only sealed under the master key, bound to the event id.
 * `raise` writes one PENDING record per subscribed, ENABLED definition whose types include the
 * event, then kicks delivery. `deliverDue` (also run by the scheduler, for retries) claims due
 * records with a lease in the database (store/csms-event-repo.ts), so two daemons never send one
 * record at once, signs and POSTs each (services/csms/webhook.ts) and writes the outcome: a 2xx is
 * SUCCESS; anything else is retried after 10 s, 20 s, 40 s… (capped) until the attempts run out
 * (FAIL, with `last_error`); a record whose definition was deleted, disabled or lost the type
 * before it went out is INVALID. Delivery is at least once: a daemon that dies mid-send leaves the
 * lease to expire and another sends again, with the same X-Dew-Delivery id.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Caller } from '../caller.js';
import type { Hsm } from '../../hsm/hsm.js';
import { csmsErrors } from '../../errors.js';
import type { CsmsEventRepo, EventRow, NotificationRow } from '../../store/csms-event-repo.js';
import { deliveryHeaders, sendWebhook, WebhookError, type WebhookSender } from './webhook.js';
import {
  definitionOf,
  isEventType,
  parseEventCreate,
  parseEventUpdate,
  toEventEntity,
  toRecordEntity,
  toSeconds,
  type EventType,
  type RecordStatus,
} from './event-definition.js';

export interface DeliveryOptions {
  /** One POST's deadline (connect to end of answer). */
  readonly timeoutMs: number;
  /** Attempts before a record is FAIL. */
  readonly maxAttempts: number;
  /** The wait after the first failed attempt; it doubles after each one, up to backoffCapMs. */
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** Records claimed (and sent in parallel) at a time. */
  readonly batchSize: number;
  /** Batches one deliverDue call sends at most (the rest waits for the next call). */
  readonly maxBatches: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = Object.freeze({ timeoutMs: 10_000, maxAttempts: 6, backoffBaseMs: 10_000, backoffCapMs: 3_600_000, batchSize: 16, maxBatches: 8 });

export interface SecretEventsDeps {
  repo: CsmsEventRepo;
  /** Seals and opens the signing keys under the master key. */
  hsm: Pick<Hsm, 'sealSecret' | 'openSecret'>;
  /** Epoch ms. */
  now: () => number;
  /** Whether a secret of the project subscribes to the event (the secret service answers); such an event is not deleted. */
  isSubscribed: (projectId: string, eventName: string) => Promise<boolean>;
  /** Operational lines (never keys, payload values or target answers). */
  log?: (line: string) => void;
  delivery?: Partial<DeliveryOptions>;
  /** The HTTP sender: the real one unless a unit test replaces it. */
  send?: WebhookSender;
}

/** What one deliverDue call did. */
export interface DeliveryReport {
  claimed: number;
  succeeded: number;
  /** Failed attempts that will be tried again. */
  retried: number;
  /** Records that ran out of attempts. */
  failed: number;
  invalid: number;
  /** Claims whose lease another daemon took over before the outcome was written. */
  lost: number;
  /** Records that could not be attempted (their lease expires and they are claimed again). */
  errors: number;
}

/** The secret an event is about, as `raise` needs it. */
export interface EventSecret {
  readonly name: string;
  readonly eventSubscriptions: readonly string[];
}

type Obj = Record<string, unknown>;
export type EventAnswer = { event: Obj };

const signingKeyContext = (eventId: string): string => `csms/event-signing-key|${eventId}`;
/** Payload fields raise sets itself; a detail may not replace them. */
const BASE_FIELDS = new Set(['event_type', 'event_name', 'event_id', 'secret_name', 'trigger_time']);
/** Value fields of a secret: a notification carries names, versions and times only. */
const VALUE_FIELDS = new Set(['secret_string', 'secret_binary']);

function assertDetail(detail: Record<string, unknown>): void {
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) throw new TypeError('detail: an object expected');
  for (const [k, v] of Object.entries(detail)) {
    if (BASE_FIELDS.has(k) || VALUE_FIELDS.has(k)) throw new TypeError(`detail.${k}: not allowed in a notification`);
    const scalar = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);
    if (!scalar(v) && !(Array.isArray(v) && v.every(scalar))) throw new TypeError(`detail.${k}: names, ids and times only (a scalar or a list of them)`);
  }
}

const pageInfo = (count: number, next: string | undefined, previous: string | undefined): Obj => ({
  current_count: count,
  ...(next === undefined ? {} : { next_marker: next }),
  ...(previous === undefined ? {} : { previous_marker: previous }),
});

export class SecretEvents {
  private readonly opts: DeliveryOptions;
  private readonly send: WebhookSender;
  private kicking: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly d: SecretEventsDeps) {
    if (!d?.repo || !d.hsm || typeof d.now !== 'function' || typeof d.isSubscribed !== 'function') throw new TypeError('deps: repo, hsm, now and isSubscribed are required');
    this.opts = Object.freeze({ ...DEFAULT_DELIVERY, ...d.delivery });
    for (const [k, v] of Object.entries(this.opts)) if (!Number.isInteger(v) || v < 1) throw new TypeError(`delivery.${k}: a positive integer expected`);
    this.send = d.send ?? sendWebhook;
  }

  // ---- definitions ----

  /** A fresh signing key, sealed for the event; the caller wipes `key` once it has answered its hex. */
  private newSigningKey(eventId: string): { key: Buffer; sealed: string } {
    const key = randomBytes(32);
    return { key, sealed: this.d.hsm.sealSecret(key, signingKeyContext(eventId)).toString('base64') };
  }

  private async find(caller: Caller, name: string): Promise<EventRow> {
    const row = await this.d.repo.event(caller.projectId, name);
    if (!row) throw csmsErrors.notFound(`event ${JSON.stringify(name.slice(0, 64))}`);
    return row;
  }

  /** POST csms/events: the definition, with its signing key (hex) this once in `notification.signing_key`. */
  async create(caller: Caller, body: unknown): Promise<EventAnswer> {
    const def = parseEventCreate(body);
    const eventId = randomUUID();
    const now = this.d.now();
    const { key, sealed } = this.newSigningKey(eventId);
    try {
      const row: EventRow = {
        eventId,
        projectId: caller.projectId,
        domainId: caller.domainId,
        name: def.name,
        eventTypes: JSON.stringify(def.eventTypes),
        state: def.state,
        notification: JSON.stringify(def.notification),
        signingKeySealed: sealed,
        createTime: now,
        updateTime: now,
      };
      if (!(await this.d.repo.insertEvent(row))) throw csmsErrors.exists(`The event ${JSON.stringify(def.name)}`);
      return { event: toEventEntity(row, key.toString('hex')) };
    } finally {
      key.fill(0);
    }
  }

  async get(caller: Caller, name: string): Promise<EventAnswer> {
    return { event: toEventEntity(await this.find(caller, name)) };
  }

  /** Whether the project has an event of this name (for the secret service's event_subscriptions check). */
  async exists(projectId: string, name: string): Promise<boolean> {
    return (await this.d.repo.event(projectId, name)) !== undefined;
  }

  /** GET csms/events: by name, `limit` after `marker` (a name, exclusive). */
  async list(caller: Caller, limit: number, marker: string | undefined): Promise<Obj> {
    const rows = await this.d.repo.listEvents(caller.projectId, marker, limit + 1);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page[page.length - 1].name : undefined;
    const previous = marker !== undefined && page.length > 0 ? page[0].name : undefined;
    return { events: page.map((r) => toEventEntity(r)), page_info: pageInfo(page.length, next, previous) };
  }

  /** PUT csms/events/{name}: event_types, state, notification; `rotate_signing_key` answers the new key this once. */
  async update(caller: Caller, name: string, body: unknown): Promise<EventAnswer> {
    const change = parseEventUpdate(body);
    const row = await this.find(caller, name);
    const cur = definitionOf(row);
    // Strictly later than the version read, so the compare-and-set on update_time tells writers apart.
    const updateTime = Math.max(this.d.now(), row.updateTime + 1);
    const fresh = change.rotateSigningKey ? this.newSigningKey(row.eventId) : undefined;
    try {
      const set = {
        eventTypes: JSON.stringify(change.eventTypes ?? cur.eventTypes),
        state: change.state ?? cur.state,
        notification: JSON.stringify(change.notification ?? cur.notification),
        ...(fresh ? { signingKeySealed: fresh.sealed } : {}),
        updateTime,
      };
      if (!(await this.d.repo.updateEvent(row.eventId, row.updateTime, set))) throw csmsErrors.busy(`The event ${JSON.stringify(name)} changed meanwhile`);
      return { event: toEventEntity({ ...row, ...set }, fresh?.key.toString('hex')) };
    } finally {
      fresh?.key.fill(0);
    }
  }

  /** DELETE csms/events/{name}: refused while a secret subscribes to it; its undelivered records become INVALID. */
  async delete(caller: Caller, name: string): Promise<void> {
    const row = await this.find(caller, name);
    if (await this.d.isSubscribed(caller.projectId, name)) {
      throw csmsErrors.inUse(`The event ${JSON.stringify(name)} is subscribed to by a secret: remove it from the secret's event_subscriptions first.`);
    }
    await this.d.repo.deleteEvent(row.eventId);
  }

  // ---- raising ----

  /**
   * The PENDING records `type` on `secret` makes: one per subscribed, ENABLED definition whose
   * types include it. `detail` (names, version ids, times: never a value) is merged into each
   * payload. For a caller that writes them in its own transaction, then calls `kick`.
   */
  async prepare(projectId: string, secret: EventSecret, type: EventType, detail: Record<string, unknown> = {}): Promise<NotificationRow[]> {
    if (!isEventType(type)) throw new TypeError(`type: one of the event types expected`);
    assertDetail(detail);
    const defs = await this.d.repo.eventsNamed(projectId, [...new Set(secret.eventSubscriptions)]);
    const now = this.d.now();
    const rows: NotificationRow[] = [];
    for (const row of defs) {
      const def = definitionOf(row);
      if (def.state !== 'ENABLED' || !def.eventTypes.includes(type)) continue;
      const payload = { event_type: type, event_name: def.name, event_id: row.eventId, secret_name: secret.name, trigger_time: toSeconds(now), ...detail };
      rows.push({
        recordId: randomUUID(),
        projectId,
        eventName: def.name,
        eventType: type,
        secretName: secret.name,
        payload: JSON.stringify(payload),
        targetType: def.notification.target_type,
        targetId: def.notification.target_id,
        targetName: def.notification.target_name,
        status: 'PENDING' satisfies RecordStatus,
        attempts: 0,
        nextAttemptTime: now,
        leaseUntil: 0,
        lastError: null,
        triggerTime: now,
        updateTime: now,
      });
    }
    return rows;
  }

  /** Records the event for each matching definition and starts delivering; resolves to the number of records. */
  async raise(projectId: string, secret: EventSecret, type: EventType, detail: Record<string, unknown> = {}): Promise<number> {
    const rows = await this.prepare(projectId, secret, type, detail);
    await this.d.repo.insertNotifications(rows);
    if (rows.length > 0) this.kick();
    return rows.length;
  }

  /** Starts a delivery pass in the background (one at a time; a kick during a pass runs one more). */
  kick(): void {
    if (this.closed) return;
    if (this.kicking) {
      this.again = true;
      return;
    }
    this.kicking = (async () => {
      do {
        this.again = false;
        await this.deliverDue().catch((err: unknown) => this.d.log?.(JSON.stringify({ level: 'warn', msg: 'csms event delivery pass failed', error: (err as Error)?.name })));
      } while (this.again && !this.closed);
    })().finally(() => {
      this.kicking = undefined;
    });
  }

  /** Resolves once no kicked delivery pass is running. */
  async settled(): Promise<void> {
    while (this.kicking) await this.kicking;
  }

  /** No more kicked passes; waits for the running one (daemon shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  // ---- delivery ----

  private backoff(attempts: number): number {
    return Math.min(this.opts.backoffBaseMs * 2 ** Math.min(attempts - 1, 40), this.opts.backoffCapMs);
  }

  /** Claims due records and attempts each; the scheduler calls this for retries. */
  async deliverDue(): Promise<DeliveryReport> {
    const report: DeliveryReport = { claimed: 0, succeeded: 0, retried: 0, failed: 0, invalid: 0, lost: 0, errors: 0 };
    for (let batch = 0; batch < this.opts.maxBatches; batch++) {
      const now = this.d.now();
      // Long enough for the POST and the write after it; a dead daemon's claims free up after it.
      const lease = now + this.opts.timeoutMs * 2 + 30_000;
      const claimed = await this.d.repo.claimDue(now, lease, this.opts.batchSize);
      if (claimed.length === 0) break;
      report.claimed += claimed.length;
      const outcomes = await Promise.all(claimed.map((r) => this.attempt(r, lease)));
      for (const o of outcomes) report[o]++;
      if (claimed.length < this.opts.batchSize) break;
    }
    return report;
  }

  /** One attempt of one claimed record; what it came to. */
  private async attempt(rec: NotificationRow, lease: number): Promise<Exclude<keyof DeliveryReport, 'claimed'>> {
    try {
      const def = await this.d.repo.event(rec.projectId, rec.eventName);
      const why = this.invalidReason(rec, def);
      if (why !== undefined || !def) {
        const done = await this.d.repo.finish(rec.recordId, lease, { status: 'INVALID', leaseUntil: 0, lastError: why ?? null, updateTime: this.d.now() });
        return done ? 'invalid' : 'lost';
      }
      const target = definitionOf(def).notification;
      const key = this.d.hsm.openSecret(Buffer.from(def.signingKeySealed, 'base64'), signingKeyContext(def.eventId));
      let headers: Record<string, string>;
      try {
        headers = deliveryHeaders({ key, body: rec.payload, eventType: rec.eventType, recordId: rec.recordId, timeSec: toSeconds(this.d.now()) });
      } finally {
        key.fill(0);
      }
      let error: string | undefined;
      try {
        const status = await this.send({ url: target.target_id, headers, body: rec.payload }, this.opts.timeoutMs);
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      } catch (e) {
        error = e instanceof WebhookError ? e.message : `delivery failed (${(e as Error)?.name ?? 'error'})`;
      }
      const attempts = rec.attempts + 1;
      const now = this.d.now();
      const outcome = error === undefined ? 'succeeded' : attempts >= this.opts.maxAttempts ? 'failed' : 'retried';
      const status: RecordStatus = outcome === 'succeeded' ? 'SUCCESS' : outcome === 'failed' ? 'FAIL' : 'PENDING';
      const done = await this.d.repo.finish(rec.recordId, lease, {
        status,
        attempts,
        nextAttemptTime: outcome === 'retried' ? now + this.backoff(attempts) : rec.nextAttemptTime,
        leaseUntil: 0,
        lastError: error ?? null,
        targetType: target.target_type,
        targetId: target.target_id,
        targetName: target.target_name,
        updateTime: now,
      });
      return done ? outcome : 'lost';
    } catch (err) {
      this.d.log?.(JSON.stringify({ level: 'warn', msg: 'csms notification attempt failed', record_id: rec.recordId, error: (err as Error)?.name }));
      return 'errors';
    }
  }

  /** Why a record may no longer be sent (undefined: it may). */
  private invalidReason(rec: NotificationRow, def: EventRow | undefined): string | undefined {
    const madeBy = (JSON.parse(rec.payload) as { event_id?: unknown }).event_id;
    if (!def || def.eventId !== madeBy) return 'the event definition was deleted before the notification was sent';
    const d = definitionOf(def);
    if (d.state !== 'ENABLED') return 'the event definition was disabled before the notification was sent';
    if (!d.eventTypes.includes(rec.eventType as EventType)) return `the event definition no longer includes ${rec.eventType}`;
    return undefined;
  }

  // ---- records ----

  /** Deletes delivered, failed and invalid records older than `retentionMs` (the scheduler's housekeeping); how many. */
  async pruneRecords(retentionMs: number): Promise<number> {
    if (!Number.isInteger(retentionMs) || retentionMs < 0) throw new TypeError('retentionMs: a non-negative integer expected');
    return this.d.repo.deleteFinishedBefore(this.d.now() - retentionMs);
  }

  /** GET csms/notification-records: newest first, `limit` after the record `marker` (exclusive). */
  async listRecords(caller: Caller, limit: number, marker: string | undefined): Promise<Obj> {
    let after: { triggerTime: number; recordId: string } | undefined;
    if (marker !== undefined) {
      const m = await this.d.repo.notification(marker);
      if (!m || m.projectId !== caller.projectId) throw csmsErrors.invalid('marker', 'no such notification record');
      after = { triggerTime: m.triggerTime, recordId: m.recordId };
    }
    const rows = await this.d.repo.listNotifications(caller.projectId, after, limit + 1);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page[page.length - 1].recordId : undefined;
    const previous = marker !== undefined && page.length > 0 ? page[0].recordId : undefined;
    return { records: page.map(toRecordEntity), page_info: pageInfo(page.length, next, previous) };
  }
}
