/**
 * CSMS event definitions on the wire (reference 5, `csms/events`): the event types, the checks a
 * create or update body must pass beyond its schema, and the answer shapes of events and of
 * notification records. Pure: no storage, no clock.
 *
 * Notification records (`GET /v1/{project_id}/csms/notification-records`; the reference names only
 * the statuses SUCCESS, FAIL and INVALID) are answered as
 *   record_id                   the delivery id, also sent as X-Dew-Delivery on every attempt
 *   event_name, event_type      the definition that matched and the type raised
 *   secret_name                 the secret the event is about
 *   trigger_time                when the event was raised (unix seconds)
 *   notification_target_type    WEBHOOK
 *   notification_target_id      the URL delivered to (the definition's at the last attempt)
 *   notification_target_name    the target's label
 *   notification_content        the JSON body POSTed, as a string (names, versions, times; never a value)
 *   status                      PENDING (dew: not delivered yet, retries to come), SUCCESS, FAIL
 *                               (every attempt failed) or INVALID (the definition was deleted,
 *                               disabled or no longer has the type before it could be sent)
 *   attempts                    attempts made so far
 *   next_attempt_time           unix seconds of the next attempt (PENDING only)
 *   last_error                  why the last attempt failed (`HTTP 500`, `no answer within 10000 ms`…)
 *   update_time                 unix seconds of the last change
 */
import { csmsErrors } from '../../errors.js';
import { parseWebhookUrl } from './webhook.js';
import type { EventRow, NotificationRow } from '../../store/csms-event-repo.js';

export const EVENT_TYPES = Object.freeze(['SECRET_VERSION_CREATED', 'SECRET_VERSION_EXPIRED', 'SECRET_ROTATED', 'SECRET_DELETED', 'SECRET_ROTATED_FAILED'] as const);
export type EventType = (typeof EVENT_TYPES)[number];
export const isEventType = (v: unknown): v is EventType => (EVENT_TYPES as readonly unknown[]).includes(v);

export type EventState = 'ENABLED' | 'DISABLED';
export type RecordStatus = 'PENDING' | 'SUCCESS' | 'FAIL' | 'INVALID';

/** Where an event's notifications go. dew delivers to WEBHOOK targets: target_id is the URL. */
export interface NotificationTarget {
  readonly target_type: 'WEBHOOK';
  readonly target_id: string;
  readonly target_name: string;
}

export interface EventDefinition {
  readonly name: string;
  readonly eventTypes: readonly EventType[];
  readonly state: EventState;
  readonly notification: NotificationTarget;
}

export type EventChange = Partial<Omit<EventDefinition, 'name'>> & { readonly rotateSigningKey: boolean };

const EVENT_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TARGET_NAME = /^[^\u0000-\u001f\u007f]{1,255}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function parseTypes(v: unknown): EventType[] {
  if (!Array.isArray(v) || v.length === 0) throw csmsErrors.invalid('event_types', `a non-empty list of ${EVENT_TYPES.join(', ')}`);
  for (const t of v) if (!isEventType(t)) throw csmsErrors.invalid('event_types', `${JSON.stringify(String(t).slice(0, 64))} is not one of ${EVENT_TYPES.join(', ')}`);
  if (new Set(v).size !== v.length) throw csmsErrors.invalid('event_types', 'an event type is listed twice');
  return [...(v as EventType[])];
}

function parseState(v: unknown): EventState {
  if (v !== 'ENABLED' && v !== 'DISABLED') throw csmsErrors.invalid('state', 'ENABLED or DISABLED');
  return v;
}

function parseTarget(v: unknown): NotificationTarget {
  if (!isObj(v)) throw csmsErrors.invalid('notification', 'an object {target_type, target_id, target_name}');
  if (v.target_type !== 'WEBHOOK') throw csmsErrors.invalid('notification.target_type', 'dew delivers to WEBHOOK targets only');
  parseWebhookUrl(v.target_id);
  if (typeof v.target_name !== 'string' || !TARGET_NAME.test(v.target_name)) throw csmsErrors.invalid('notification.target_name', '1 to 255 characters, no control characters');
  return { target_type: 'WEBHOOK', target_id: v.target_id as string, target_name: v.target_name };
}

/** A create body (`POST csms/events`), checked. */
export function parseEventCreate(body: unknown): EventDefinition {
  if (!isObj(body)) throw csmsErrors.badJson();
  if (typeof body.name !== 'string' || !EVENT_NAME.test(body.name)) throw csmsErrors.invalid('name', '1 to 64 of A-Z a-z 0-9 _ -');
  return { name: body.name, eventTypes: parseTypes(body.event_types), state: parseState(body.state), notification: parseTarget(body.notification) };
}

/** An update body (`PUT csms/events/{name}`): any of event_types, state, notification, and dew's rotate_signing_key. */
export function parseEventUpdate(body: unknown): EventChange {
  if (!isObj(body)) throw csmsErrors.badJson();
  const rotate = body.rotate_signing_key ?? false;
  if (typeof rotate !== 'boolean') throw csmsErrors.invalid('rotate_signing_key', 'true or false');
  return {
    ...(body.event_types === undefined ? {} : { eventTypes: parseTypes(body.event_types) }),
    ...(body.state === undefined ? {} : { state: parseState(body.state) }),
    ...(body.notification === undefined ? {} : { notification: parseTarget(body.notification) }),
    rotateSigningKey: rotate,
  };
}

/** Epoch ms as the CSMS wire's int64 seconds. */
export const toSeconds = (ms: number): number => Math.floor(ms / 1000);

/** The stored definition's parts. */
export function definitionOf(row: EventRow): EventDefinition {
  return { name: row.name, eventTypes: JSON.parse(row.eventTypes) as EventType[], state: row.state as EventState, notification: JSON.parse(row.notification) as NotificationTarget };
}

/** `{name, event_id, event_types, state, create_time, update_time, notification}`; `signingKey` (hex) only in the answer that made it. */
export function toEventEntity(row: EventRow, signingKey?: string): Obj {
  const d = definitionOf(row);
  return {
    name: d.name,
    event_id: row.eventId,
    event_types: [...d.eventTypes],
    state: d.state,
    create_time: toSeconds(row.createTime),
    update_time: toSeconds(row.updateTime),
    notification: { ...d.notification, ...(signingKey === undefined ? {} : { signing_key: signingKey }) },
  };
}

/** A notification record as listed (the fields in this file's header). */
export function toRecordEntity(row: NotificationRow): Obj {
  return {
    record_id: row.recordId,
    event_name: row.eventName,
    event_type: row.eventType,
    secret_name: row.secretName,
    trigger_time: toSeconds(row.triggerTime),
    notification_target_type: row.targetType,
    notification_target_id: row.targetId,
    notification_target_name: row.targetName,
    notification_content: row.payload,
    status: row.status,
    attempts: row.attempts,
    ...(row.status === 'PENDING' ? { next_attempt_time: toSeconds(row.nextAttemptTime) } : {}),
    last_error: row.lastError,
    update_time: toSeconds(row.updateTime),
  };
}
