/**
 * CSMS event delivery against a real loopback HTTP receiver, over a real libSQL file database:
 * what raise records, the signed POST a receiver gets (checked with verifyDeliverySignature and
 * with openssl), 500-then-200 retried on the injected clock's backoff, attempts running out
 * (FAIL), a timeout and a refused connection, records made INVALID by a deleted, disabled or
 * changed definition, and two services on one database (two daemons) never sending a record twice.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { eventsFixture, receiver, T0, type EventsFixture, type Receiver } from './event-helpers.js';
import { signDelivery, verifyDeliverySignature } from '../../daemon/services/csms/webhook.js';
import type { EventType } from '../../daemon/services/csms/event-definition.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

async function defineEvent(f: EventsFixture, hook: Receiver, name: string, types: EventType[] = ['SECRET_VERSION_CREATED', 'SECRET_ROTATED'], state = 'ENABLED') {
  const ev = (await f.events.create(f.caller, { name, event_types: types, state, notification: { target_type: 'WEBHOOK', target_id: hook.url, target_name: `${name} hook` } })).event as Any;
  return { eventId: ev.event_id as string, key: ev.notification.signing_key as string };
}

async function records(f: EventsFixture): Promise<Any[]> {
  return ((await f.events.listRecords(f.caller, 1000, undefined)) as Any).records;
}

t.test('raise records only for subscribed, enabled events of that type; detail never carries values', async (t) => {
  const f = await eventsFixture(t);
  const hook = await receiver(t);
  await defineEvent(f, hook, 'on-create', ['SECRET_VERSION_CREATED']);
  await defineEvent(f, hook, 'on-rotate', ['SECRET_ROTATED']);
  await defineEvent(f, hook, 'off', ['SECRET_VERSION_CREATED'], 'DISABLED');
  const secret = { name: 's1', eventSubscriptions: ['on-create', 'on-rotate', 'off', 'missing'] };
  t.equal(await f.events.raise(f.caller.projectId, secret, 'SECRET_VERSION_CREATED', { version_id: 'v1' }), 1, 'only on-create: on-rotate lacks the type, off is disabled, missing does not exist');
  t.equal(await f.events.raise(f.caller.projectId, { name: 's2', eventSubscriptions: [] }, 'SECRET_VERSION_CREATED'), 0, 'no subscription, no record');
  t.equal(await f.events.raise('other-project', secret, 'SECRET_VERSION_CREATED'), 0, "another project's secret never matches these events");
  await f.events.settled();
  const rs = await records(f);
  t.same(rs.map((r) => [r.event_name, r.secret_name, r.status]), [['on-create', 's1', 'SUCCESS']]);
  await t.rejects(f.events.raise(f.caller.projectId, secret, 'SECRET_VERSION_CREATED', { secret_string: 'hunter2' }), /detail.secret_string: not allowed/, 'a value field is refused');
  await t.rejects(f.events.raise(f.caller.projectId, secret, 'SECRET_VERSION_CREATED', { nested: { value: 'x' } }), /names, ids and times only/, 'objects are refused');
  await t.rejects(f.events.raise(f.caller.projectId, secret, 'SECRET_VERSION_CREATED', { event_name: 'spoof' }), /not allowed/, 'a base field cannot be replaced');
  await t.rejects(f.events.raise(f.caller.projectId, secret, 'SECRET_EATEN' as EventType), /type/, 'an unknown event type');
  t.equal((await records(f)).length, 1, 'refusals recorded nothing');
});

t.test('a delivery: the POST, its headers and a signature the receiver and openssl verify', async (t) => {
  const f = await eventsFixture(t);
  const hook = await receiver(t);
  const { eventId, key } = await defineEvent(f, hook, 'rotations');
  f.clock.advance(61_000);
  const secret = { name: 'db-password', eventSubscriptions: ['rotations'] };
  t.equal(await f.events.raise(f.caller.projectId, secret, 'SECRET_ROTATED', { version_id: 'v7', version_stages: ['SYSCURRENT'] }), 1);
  await f.events.settled();
  t.equal(hook.hits.length, 1, 'one POST');
  const [hit] = hook.hits;
  const [rec] = await records(f);
  t.equal(hit.method, 'POST');
  t.equal(hit.path, '/hooks/dew');
  t.equal(hit.headers['content-type'], 'application/json');
  t.equal(hit.headers['x-dew-event'], 'SECRET_ROTATED');
  t.equal(hit.headers['x-dew-delivery'], rec.record_id, 'X-Dew-Delivery is the record id');
  const now = Math.floor(f.clock.now() / 1000);
  t.same(JSON.parse(hit.body), { event_type: 'SECRET_ROTATED', event_name: 'rotations', event_id: eventId, secret_name: 'db-password', trigger_time: now, version_id: 'v7', version_stages: ['SYSCURRENT'] }, 'the payload');
  t.equal(rec.notification_content, hit.body, 'the record holds exactly what was sent');
  const sig = String(hit.headers['x-dew-signature']);
  t.match(sig, new RegExp(`^t=${now},v1=[0-9a-f]{64}$`), 'X-Dew-Signature: t=<seconds>,v1=<hex>');
  t.ok(verifyDeliverySignature(key, sig, hit.body, now, 300), 'the receiver verifies it with the signing key');
  t.ok(verifyDeliverySignature(Buffer.from(key, 'hex'), sig, hit.body, now + 299, 300), 'within the tolerance');
  t.notOk(verifyDeliverySignature(key, sig, hit.body, now + 301, 300), 'a replay outside the tolerance fails');
  t.notOk(verifyDeliverySignature(key, sig, hit.body.replace('v7', 'v8'), now, 300), 'a changed body fails');
  t.notOk(verifyDeliverySignature('00'.repeat(32), sig, hit.body, now, 300), 'another key fails');
  t.notOk(verifyDeliverySignature(key, sig.replace(`t=${now}`, `t=${now + 1}`), hit.body, now, 300), 'a moved timestamp fails');
  for (const bad of ['', 'v1=abc', `t=${now}`, 'garbage', `t=${now},v1=${'0'.repeat(63)}`]) t.notOk(verifyDeliverySignature(key, bad, hit.body, now, 300), `malformed header ${JSON.stringify(bad)}`);
  t.ok(verifyDeliverySignature(key, `t=${now},v1=${'0'.repeat(64)},${sig.split(',')[1]}`, hit.body, now, 300), 'any of several v1 may match');
  const openssl = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${key}`], { input: `${now}.${hit.body}`, encoding: 'utf8' });
  t.equal(openssl.trim().split(/\s+/).pop(), sig.split('v1=')[1], 'openssl dgst -sha256 -mac HMAC -macopt hexkey:<key> over "<t>.<body>" gives v1');
  t.equal(signDelivery(key, hit.body, now), sig, 'signDelivery reproduces it');
  t.notOk(JSON.stringify(hook.hits).includes(key), 'the key itself never goes over the wire');
  t.same(f.logs, [], 'nothing logged');
});

t.test('500 then 200: retried after the backoff on the injected clock, same delivery id, then SUCCESS', async (t) => {
  const f = await eventsFixture(t);
  const hook = await receiver(t);
  hook.answers.push(500);
  await defineEvent(f, hook, 'ev');
  await f.events.raise(f.caller.projectId, { name: 's', eventSubscriptions: ['ev'] }, 'SECRET_VERSION_CREATED', { version_id: 'v1' });
  await f.events.settled();
  let [rec] = await records(f);
  t.match(rec, { status: 'PENDING', attempts: 1, last_error: 'HTTP 500', next_attempt_time: T0 / 1000 + 10 }, 'the first attempt failed: next in 10 s');
  t.notOk(rec.last_error.includes('a body the record must not keep'), "the receiver's answer body is not kept");
  t.same(await f.events.deliverDue(), { claimed: 0, succeeded: 0, retried: 0, failed: 0, invalid: 0, lost: 0, errors: 0 }, 'not due yet: nothing sent');
  f.clock.advance(9_999);
  t.equal((await f.events.deliverDue()).claimed, 0, 'still not due 1 ms before');
  t.equal(hook.hits.length, 1);
  f.clock.advance(1);
  t.match(await f.events.deliverDue(), { claimed: 1, succeeded: 1 }, 'due: sent again');
  [rec] = await records(f);
  t.match(rec, { status: 'SUCCESS', attempts: 2, last_error: null });
  t.notOk('next_attempt_time' in rec, 'no next attempt once delivered');
  t.equal(hook.hits.length, 2);
  t.equal(hook.hits[0].headers['x-dew-delivery'], hook.hits[1].headers['x-dew-delivery'], 'the same delivery id on the retry (receivers deduplicate on it)');
  t.equal(hook.hits[0].body, hook.hits[1].body, 'the same body');
  t.not(hook.hits[0].headers['x-dew-signature'], hook.hits[1].headers['x-dew-signature'], 'signed afresh at the retry time');
  t.equal((await f.events.deliverDue()).claimed, 0, 'a delivered record is never sent again');
});

t.test('attempts run out: exponential backoff, then FAIL with the last error', async (t) => {
  const f = await eventsFixture(t, { maxAttempts: 4, backoffBaseMs: 10_000, backoffCapMs: 30_000 });
  const hook = await receiver(t, 503);
  await defineEvent(f, hook, 'ev');
  await f.events.raise(f.caller.projectId, { name: 's', eventSubscriptions: ['ev'] }, 'SECRET_ROTATED');
  await f.events.settled();
  const waits: number[] = [];
  for (;;) {
    const [rec] = await records(f);
    if (rec.status !== 'PENDING') break;
    const wait = rec.next_attempt_time * 1000 - f.clock.now();
    waits.push(wait);
    f.clock.advance(wait);
    await f.events.deliverDue();
  }
  t.same(waits, [10_000, 20_000, 30_000], 'waits of 10 s, 20 s, then capped at 30 s');
  const [rec] = await records(f);
  t.match(rec, { status: 'FAIL', attempts: 4, last_error: 'HTTP 503' });
  t.equal(hook.hits.length, 4, 'four attempts reached the receiver');
  f.clock.advance(3_600_000);
  t.equal((await f.events.deliverDue()).claimed, 0, 'a FAIL record is not tried again');
});

t.test('no answer within the timeout is a failed attempt', async (t) => {
  const f = await eventsFixture(t, { timeoutMs: 300 });
  const hanging = await receiver(t, 'hang');
  await defineEvent(f, hanging, 'slow');
  await f.events.raise(f.caller.projectId, { name: 's', eventSubscriptions: ['slow'] }, 'SECRET_ROTATED');
  await f.events.settled();
  const [rec] = await records(f);
  t.match(rec, { status: 'PENDING', attempts: 1, last_error: 'no answer within 300 ms', next_attempt_time: T0 / 1000 + 10 });
  t.equal(hanging.hits.length, 1, 'the request reached the receiver, which never answered');
});

t.test('a refused connection is a failed attempt naming the network error', async (t) => {
  const f = await eventsFixture(t);
  // A free port, found by listening on port 0 and closing again: nothing listens there.
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const freePort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await f.events.create(f.caller, { name: 'dead', event_types: ['SECRET_DELETED'], state: 'ENABLED', notification: { target_type: 'WEBHOOK', target_id: `http://127.0.0.1:${freePort}/hooks/dew`, target_name: 'dead' } });
  await f.events.raise(f.caller.projectId, { name: 's', eventSubscriptions: ['dead'] }, 'SECRET_DELETED');
  await f.events.settled();
  const [rec] = await records(f);
  t.match(rec, { status: 'PENDING', attempts: 1, last_error: 'network error: ECONNREFUSED' });
});

t.test('INVALID: the definition was deleted, disabled, lost the type, or was made anew, before sending', async (t) => {
  const f = await eventsFixture(t);
  const hook = await receiver(t);
  for (const n of ['deleted', 'disabled', 'retyped', 'remade', 'kept']) await defineEvent(f, hook, n);
  const secret = { name: 's', eventSubscriptions: ['deleted', 'disabled', 'retyped', 'remade', 'kept'] };
  // prepare + insert without kick: what a caller writing the records in its own transaction does.
  const rows = await f.events.prepare(f.caller.projectId, secret, 'SECRET_VERSION_CREATED', { version_id: 'v1' });
  t.equal(rows.length, 5);
  await f.repo.insertNotifications(rows);
  await f.events.delete(f.caller, 'deleted');
  await f.events.update(f.caller, 'disabled', { state: 'DISABLED' });
  await f.events.update(f.caller, 'retyped', { event_types: ['SECRET_DELETED'] });
  await f.events.delete(f.caller, 'remade');
  await defineEvent(f, hook, 'remade');
  t.match(await f.events.deliverDue(), { claimed: 5, succeeded: 1, invalid: 4 });
  const byName = Object.fromEntries((await records(f)).map((r) => [r.event_name, r]));
  t.match(byName.deleted, { status: 'INVALID', attempts: 0, last_error: /deleted/ });
  t.match(byName.disabled, { status: 'INVALID', last_error: /disabled/ });
  t.match(byName.retyped, { status: 'INVALID', last_error: /no longer includes SECRET_VERSION_CREATED/ });
  t.match(byName.remade, { status: 'INVALID', last_error: /deleted/ }, 'a new definition of the same name is not the one the record was made for');
  t.match(byName.kept, { status: 'SUCCESS' });
  t.equal(hook.hits.length, 1, 'only the kept one was sent');

  const [pending] = await f.events.prepare(f.caller.projectId, secret, 'SECRET_VERSION_CREATED');
  await f.repo.insertNotifications([pending]);
  f.clock.advance(7 * 86_400_000);
  t.equal(await f.events.pruneRecords(7 * 86_400_000 - 1), 5, 'pruning deletes the finished records older than the retention');
  t.same((await records(f)).map((r) => r.record_id), [pending.recordId], 'a PENDING record is kept, whatever its age');
});

t.test('two daemons on one database: each record claimed and sent once; a live lease is respected', async (t) => {
  const f = await eventsFixture(t);
  const other = await f.another();
  const hook = await receiver(t);
  await defineEvent(f, hook, 'ev');
  const rows = [];
  for (let i = 0; i < 24; i++) rows.push(...(await f.events.prepare(f.caller.projectId, { name: `s-${i}`, eventSubscriptions: ['ev'] }, 'SECRET_ROTATED')));
  await f.repo.insertNotifications(rows);
  const [a, b] = await Promise.all([f.events.deliverDue(), other.deliverDue()]);
  t.equal(a.claimed + b.claimed, 24, `every record claimed once between them (${a.claimed} + ${b.claimed})`);
  t.equal(a.succeeded + b.succeeded, 24);
  const ids = hook.hits.map((h) => h.headers['x-dew-delivery']);
  t.equal(ids.length, 24, 'twenty-four POSTs');
  t.equal(new Set(ids).size, 24, 'no record sent twice');

  // A claim held by one daemon (its send still running) is not taken by the other until the lease ends.
  const [row] = await f.events.prepare(f.caller.projectId, { name: 'leased', eventSubscriptions: ['ev'] }, 'SECRET_ROTATED');
  await f.repo.insertNotifications([row]);
  const lease = f.clock.now() + 60_000;
  const [held] = await f.repo.claimDue(f.clock.now(), lease, 10);
  t.equal(held.recordId, row.recordId, 'the first daemon holds it');
  t.equal((await other.deliverDue()).claimed, 0, 'the other cannot claim it while the lease lasts');
  f.clock.advance(60_001);
  t.match(await other.deliverDue(), { claimed: 1, succeeded: 1 }, 'after the lease the other daemon sends it');
  t.notOk(await f.repo.finish(held.recordId, lease, { status: 'FAIL', updateTime: f.clock.now() }), "the first daemon's late outcome is refused: its lease is gone");
  t.equal((await records(f)).find((r) => r.record_id === row.recordId).status, 'SUCCESS', 'the record keeps the outcome of the daemon that held it');
});
