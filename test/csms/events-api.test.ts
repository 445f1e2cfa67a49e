/**
 * CSMS event definitions, notification records and generate-password through the daemon's edge
 * (createApp: AK/SK signature, role check, schema validation, CSMS error bodies) over a real
 * libSQL file database: the answer shapes, the signing key answered once and stored only sealed,
 * paging, the refusals with their codes, and a subscribed event that cannot be deleted.
 */
import t from 'tap';
import { expectCode } from '../helpers/daemon.js';
import { eventsFixture, receiver, serveCsms, T0 } from './event-helpers.js';
import { csmsEvents } from '../../daemon/store/schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const EV = '/v1/{project_id}/csms/events';


t.test('events over HTTP', async (t) => {
  const f = await eventsFixture(t);
  const http = await serveCsms(t, f);
  const c = http.client;
  const hook = await receiver(t);
  const body = (name: string, extra: object = {}) => ({
    name,
    event_types: ['SECRET_VERSION_CREATED', 'SECRET_ROTATED'],
    state: 'ENABLED',
    notification: { target_type: 'WEBHOOK', target_id: hook.url, target_name: 'ops hook' },
    ...extra,
  });

  await t.test('create answers the event with its signing key once; reads never show it; the database holds it sealed', async (t) => {
    const created = (await c.request('POST', EV, body('rotations'))).body as Any;
    const ev = created.event;
    t.match(ev, { name: 'rotations', event_types: ['SECRET_VERSION_CREATED', 'SECRET_ROTATED'], state: 'ENABLED', create_time: T0 / 1000, update_time: T0 / 1000 });
    t.match(ev.event_id, /^[0-9a-f-]{36}$/, 'an event id');
    t.match(ev.notification.signing_key, /^[0-9a-f]{64}$/, 'a 32-byte key in hex');
    t.same(Object.keys(ev.notification).sort(), ['signing_key', 'target_id', 'target_name', 'target_type']);
    const shown = ((await c.request('GET', `${EV}/rotations`)).body as Any).event;
    t.same(shown, { ...ev, notification: { target_type: 'WEBHOOK', target_id: hook.url, target_name: 'ops hook' } }, 'GET: the same event without the key');
    const listed = ((await c.request('GET', EV)).body as Any).events;
    t.notOk(JSON.stringify(listed).includes(ev.notification.signing_key), 'the list does not carry it');
    const [row] = await f.database.db.select().from(csmsEvents);
    t.notOk(JSON.stringify(row).includes(ev.notification.signing_key), 'the stored row has no key in the clear');
    t.notOk(JSON.stringify(row).includes(Buffer.from(ev.notification.signing_key, 'hex').toString('base64')), 'nor in base64');
    t.same(f.hsm.openSecret(Buffer.from(row.signingKeySealed, 'base64'), `csms/event-signing-key|${ev.event_id}`).toString('hex'), ev.notification.signing_key, 'it opens under the master key, bound to the event id');
    t.throws(() => f.hsm.openSecret(Buffer.from(row.signingKeySealed, 'base64'), 'csms/event-signing-key|other'), 'and not for another event');
    await expectCode(t, c.request('POST', EV, body('rotations')), 409, 'CSMS.0401', 'the same name again', /already exists/);
  });

  await t.test('update: state, types, target; rotate_signing_key answers a new key once', async (t) => {
    f.clock.advance(5000);
    const before = ((await c.request('GET', `${EV}/rotations`)).body as Any).event;
    const updated = ((await c.request('PUT', `${EV}/rotations`, { state: 'DISABLED', event_types: ['SECRET_DELETED'] })).body as Any).event;
    t.match(updated, { name: 'rotations', event_id: before.event_id, state: 'DISABLED', event_types: ['SECRET_DELETED'], create_time: before.create_time, update_time: before.update_time + 5 });
    t.notOk('signing_key' in updated.notification, 'no key unless rotated');
    const rotated = ((await c.request('PUT', `${EV}/rotations`, { rotate_signing_key: true, notification: { target_type: 'WEBHOOK', target_id: `${hook.url}?v=2`, target_name: 'v2' } })).body as Any).event;
    t.match(rotated.notification, { target_id: `${hook.url}?v=2`, target_name: 'v2', signing_key: /^[0-9a-f]{64}$/ }, 'the new target and a new key');
    t.same(((await c.request('GET', `${EV}/rotations`)).body as Any).event.notification, { target_type: 'WEBHOOK', target_id: `${hook.url}?v=2`, target_name: 'v2' });
    await c.request('PUT', `${EV}/rotations`, { state: 'ENABLED', event_types: ['SECRET_VERSION_CREATED'], notification: body('x').notification });
    await expectCode(t, c.request('PUT', `${EV}/nothing-here`, { state: 'ENABLED' }), 404, 'CSMS.0005', 'an unknown event', /event "nothing-here"/);
  });

  await t.test('bad bodies are CSMS.0002 (or CSMS.0004) naming the field', async (t) => {
    const refuse = (b: object, what: string, message: RegExp, code = 'CSMS.0002') => expectCode(t, c.request('POST', EV, b), 400, code, what, message);
    await refuse({ ...body('x'), name: 'no spaces' }, 'a bad name', /name/);
    await refuse({ ...body('x'), name: 'n'.repeat(65) }, 'a name of 65', /name/);
    const { state: _s, ...stateless } = body('x');
    await refuse(stateless, 'no state', /lacks a required parameter: state/);
    await refuse({ ...body('x'), state: 'ON' }, 'a bad state', /state: must be one of ENABLED, DISABLED/);
    await refuse({ ...body('x'), event_types: [] }, 'no event types', /event_types/);
    await refuse({ ...body('x'), event_types: ['SECRET_EATEN'] }, 'an unknown event type', /event_types/);
    await refuse({ ...body('x'), event_types: ['SECRET_ROTATED', 'SECRET_ROTATED'] }, 'a repeated event type', /event_types/);
    const target = (n: object) => ({ ...body('x'), notification: { ...body('x').notification, ...n } });
    await refuse(target({ target_type: 'SMN' }), 'an SMN target', /target_type: must be one of WEBHOOK/);
    await refuse(target({ target_id: 'ftp://example.com/x' }), 'an ftp URL', /target_id/);
    await refuse(target({ target_id: 'http://user:pw@example.com/hook' }), 'credentials in the URL', /target_id is invalid: the URL must not carry a user name or password/);
    await refuse(target({ target_id: 'https://example.com/hook#frag' }), 'a fragment', /target_id is invalid: .*fragment/);
    await refuse(target({ target_id: 'http://' }), 'no host', /target_id/);
    await refuse(target({ target_name: '' }), 'an empty target name', /target_name/);
    await refuse({ ...body('x'), color: 'red' }, 'an unknown field', /unknown field color/);
    await expectCode(t, c.request('PUT', `${EV}/rotations`, { rotate_signing_key: 'yes' }), 400, 'CSMS.0002', 'a non-boolean rotate_signing_key', /rotate_signing_key/);
    t.equal(((await c.request('GET', EV)).body as Any).events.length, 1, 'nothing was created');
  });

  await t.test('list pages by name with limit and marker', async (t) => {
    for (const n of ['b-2', 'a-1', 'c-3', 'd-4']) await c.request('POST', EV, body(n));
    const p1 = (await c.request('GET', EV, undefined, { limit: 2 })).body as Any;
    t.same(p1.events.map((e: Any) => e.name), ['a-1', 'b-2']);
    t.same(p1.page_info, { current_count: 2, next_marker: 'b-2' });
    const p2 = (await c.request('GET', EV, undefined, { limit: 2, marker: p1.page_info.next_marker })).body as Any;
    t.same(p2.events.map((e: Any) => e.name), ['c-3', 'd-4']);
    t.same(p2.page_info, { current_count: 2, next_marker: 'd-4', previous_marker: 'c-3' });
    const p3 = (await c.request('GET', EV, undefined, { limit: 2, marker: 'd-4' })).body as Any;
    t.same(p3.events.map((e: Any) => e.name), ['rotations']);
    t.same(p3.page_info, { current_count: 1, previous_marker: 'rotations' }, 'the last page has no next_marker');
    t.notOk(JSON.stringify([p1, p2, p3]).includes('signing_key'), 'no page shows a key');
    await expectCode(t, c.request('GET', EV, undefined, { limit: 0 }), 400, 'CSMS.0002', 'limit 0');
    await expectCode(t, c.request('GET', EV, undefined, { limit: 1001 }), 400, 'CSMS.0002', 'limit 1001');
  });

  await t.test('delete: refused while a secret subscribes; then gone', async (t) => {
    f.subscribed.add('a-1');
    await expectCode(t, c.request('DELETE', `${EV}/a-1`), 409, 'CSMS.0406', 'a subscribed event', /subscribed to by a secret/);
    t.equal(((await c.request('GET', `${EV}/a-1`)).body as Any).event.name, 'a-1', 'still there');
    f.subscribed.delete('a-1');
    const r = await c.request('DELETE', `${EV}/a-1`);
    t.equal(r.status, 200, 'deleted: 200');
    t.notOk(r.body, 'with an empty body, as CSMS delete answers');
    await expectCode(t, c.request('GET', `${EV}/a-1`), 404, 'CSMS.0005', 'gone');
    await expectCode(t, c.request('DELETE', `${EV}/a-1`), 404, 'CSMS.0005', 'deleting it again');
  });

  await t.test('notification records over HTTP: the documented fields, newest first, paging', async (t) => {
    const secret = { name: 'db-password', eventSubscriptions: ['rotations'] };
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      f.clock.advance(1000);
      t.equal(await f.events.raise(http.caller.projectId, secret, 'SECRET_VERSION_CREATED', { version_id: `v${i}` }), 1, `v${i}: one record`);
      await f.events.settled();
    }
    const all = (await c.request('GET', '/v1/{project_id}/csms/notification-records')).body as Any;
    t.equal(all.records.length, 3);
    const [newest] = all.records;
    t.match(newest, {
      record_id: /^[0-9a-f-]{36}$/,
      event_name: 'rotations',
      event_type: 'SECRET_VERSION_CREATED',
      secret_name: 'db-password',
      notification_target_type: 'WEBHOOK',
      notification_target_id: hook.url,
      notification_target_name: 'ops hook',
      status: 'SUCCESS',
      attempts: 1,
      last_error: null,
    });
    t.equal(newest.trigger_time, Math.floor(f.clock.now() / 1000), 'trigger_time in seconds');
    t.match(JSON.parse(newest.notification_content), { event_type: 'SECRET_VERSION_CREATED', event_name: 'rotations', secret_name: 'db-password', version_id: 'v3' }, 'the content is the payload sent');
    t.same(all.records.map((r: Any) => JSON.parse(r.notification_content).version_id), ['v3', 'v2', 'v1'], 'newest first');
    for (const r of all.records) ids.push(r.record_id);
    const p1 = (await c.request('GET', '/v1/{project_id}/csms/notification-records', undefined, { limit: 2 })).body as Any;
    t.same(p1.records.map((r: Any) => r.record_id), ids.slice(0, 2));
    t.same(p1.page_info, { current_count: 2, next_marker: ids[1] });
    const p2 = (await c.request('GET', '/v1/{project_id}/csms/notification-records', undefined, { limit: 2, marker: ids[1] })).body as Any;
    t.same(p2.records.map((r: Any) => r.record_id), [ids[2]]);
    await expectCode(t, c.request('GET', '/v1/{project_id}/csms/notification-records', undefined, { marker: 'no-such-record' }), 400, 'CSMS.0002', 'an unknown marker', /marker/);
  });

  await t.test('generate-password over HTTP', async (t) => {
    const pw = ((await c.request('POST', '/v1/{project_id}/csms/generate-password', {})).body as Any).password;
    t.equal(pw.length, 32, 'the default length');
    const pin = ((await c.request('POST', '/v1/{project_id}/csms/generate-password', { length: 6, exclude_lowercase: true, exclude_uppercase: true, exclude_punctuation: true, password_policy_name: 'pin' })).body as Any).password;
    t.match(pin, /^[0-9]{6}$/);
    await expectCode(t, c.request('POST', '/v1/{project_id}/csms/generate-password', { length: 5000 }), 400, 'CSMS.0002', 'a length out of range', /length/);
    await expectCode(t, c.request('POST', '/v1/{project_id}/csms/generate-password', { length: 3 }), 400, 'CSMS.0002', 'shorter than its required types', /shorter than the 4 character types/);
    await expectCode(t, c.request('POST', '/v1/{project_id}/csms/generate-password', { exclude_lowercase: true, exclude_uppercase: true, exclude_numbers: true, exclude_punctuation: true }), 400, 'CSMS.0002', 'nothing left', /excludes every character/);
  });

  t.same(http.errors, [], 'no unexpected error reached the edge');
  t.same(f.logs, [], 'nothing logged');
});
