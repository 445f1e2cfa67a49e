/**
 * CSMS routes for events, notification records and generate-password (reference 5), relative to
 * the CSMS module's base `/v1/:project_id`. Writes need `manage`, reads `read`, a password `use`;
 * each route's audit record names the event (or the password policy) it is about.
 */
import type { SecretEvents } from '../../services/csms/events.js';
import { generatePassword, parsePasswordPolicy } from '../../services/csms/password-generator.js';
import type { RouteRequest, RouteSpec } from '../contract.js';
import { queryInt } from '../wire.js';

const byEvent = { request: (r: RouteRequest) => r.params.event_name };
const noResource = { request: () => undefined };

/** `limit` (1–1000, default 50) and `marker` of a CSMS list. */
function paging(r: RouteRequest): { limit: number; marker: string | undefined } {
  const limit = queryInt(r.query('limit'), { field: 'limit', dflt: 50, min: 1, max: 1000, code: 'CSMS.0002' });
  const marker = r.query('marker');
  return { limit, marker: marker === undefined || marker === '' ? undefined : marker };
}

export function csmsEventRoutes(events: SecretEvents): RouteSpec[] {
  return [
    {
      method: 'POST', path: '/csms/events', operation: 'create-event', permission: 'manage', schema: 'csms/event-create', resource: { request: (r) => r.body.name },
      handler: (r) => events.create(r.caller, r.body),
    },
    {
      method: 'GET', path: '/csms/events', operation: 'list-events', permission: 'read', resource: noResource,
      handler: (r) => {
        const { limit, marker } = paging(r);
        return events.list(r.caller, limit, marker);
      },
    },
    {
      method: 'GET', path: '/csms/events/:event_name', operation: 'show-event', permission: 'read', resource: byEvent,
      handler: (r) => events.get(r.caller, r.params.event_name),
    },
    {
      method: 'PUT', path: '/csms/events/:event_name', operation: 'update-event', permission: 'manage', schema: 'csms/event-update', resource: byEvent,
      handler: (r) => events.update(r.caller, r.params.event_name, r.body),
    },
    {
      method: 'DELETE', path: '/csms/events/:event_name', operation: 'delete-event', permission: 'manage', resource: byEvent,
      handler: (r) => events.delete(r.caller, r.params.event_name),
    },
    {
      method: 'GET', path: '/csms/notification-records', operation: 'list-notification-records', permission: 'read', resource: noResource,
      handler: (r) => {
        const { limit, marker } = paging(r);
        return events.listRecords(r.caller, limit, marker);
      },
    },
  ];
}

/** POST /csms/generate-password: `{"password"}` under the body's policy; the password is in the answer only. */
export const csmsPasswordRoute: RouteSpec = Object.freeze({
  method: 'POST', path: '/csms/generate-password', operation: 'generate-password', permission: 'use', schema: 'csms/generate-password',
  resource: { request: (r: RouteRequest) => r.body.password_policy_name },
  handler: (r: RouteRequest) => ({ password: generatePassword(parsePasswordPolicy(r.body)) }),
});
