/**
 * What the secret service tells the event service (services/csms/events.ts): that something
 * happened to a secret. The event service decides who is notified (the secret's subscriptions,
 * the event definitions' types and states) and delivers; the secret service never waits for a
 * webhook. Details carry names, version ids and times, never a value.
 */
export type SecretEventType = 'SECRET_VERSION_CREATED' | 'SECRET_VERSION_EXPIRED' | 'SECRET_ROTATED' | 'SECRET_ROTATED_FAILED' | 'SECRET_DELETED';

export interface EventSink {
  raise(projectId: string, secret: { name: string; eventSubscriptions: string[] }, type: SecretEventType, detail: Record<string, unknown>): Promise<unknown>;
}

/** The sink of a daemon without event delivery (unit tests of the secret service alone). */
export const NO_EVENTS: EventSink = { raise: async () => undefined };
