/**
 * dew_kms_rotation with the `dew` tool against a real daemon: a key whose rotation is its own
 * resource; apply enables it with the interval, a second plan has no changes (the key's unset
 * rotation_enabled leaves the daemon's value alone), the interval changes in place, rotation
 * disabled outside dew is planned back, a key id change replaces it, destroy disables rotation and
 * keeps the key; an asymmetric key is refused by the daemon with its message.
 */
import t from 'tap';
import { describe, world } from './harness.js';

const CONFIG = (interval: number, key = 'a') => `resource "dew_kms_key" "a" {
  key_alias = "rot-a"
}

resource "dew_kms_key" "b" {
  key_alias = "rot-b"
}

resource "dew_kms_rotation" "r" {
  key_id            = dew_kms_key.${key}.key_id
  rotation_interval = ${interval}
}
`;

t.test('dew_kms_rotation: apply, no-op, update, drift, replace, destroy', async (t) => {
  const w = await world(t);
  w.write({ 'main.hcl': CONFIG(90) });
  const p = await w.dew('plan');
  t.equal(p.code, 0, p.err);
  t.match(p.out, /# dew_kms_rotation\.r will be created[\s\S]*\+ rotation_interval += 90/);
  t.match(p.out, /# dew_kms_key\.a will be created[\s\S]*?\+ rotation_enabled += false/, 'a new key does not rotate unless told: known at plan time');
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  const keyA = (await w.dew('output')).out;
  t.ok(keyA !== undefined);
  const idA = ((await w.td.client.kms('describe-key', { key_id: 'rot-a' })) as { key_info: { key_id: string } }).key_info.key_id;
  t.match(await w.td.client.kms('get-key-rotation-status', { key_id: idA }), { key_rotation_enabled: true, rotation_interval: 90 });
  const again = await w.dew('plan', '-detailed-exitcode');
  t.equal(again.code, 0, `no changes after apply:\n${again.out}${again.err}`);

  w.write({ 'main.hcl': CONFIG(120) });
  const u = await w.dew('plan');
  t.match(u.out, /~ rotation_interval += 90 -> 120/);
  t.match(u.out, /0 to add, 1 to change, 0 to destroy/);
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  t.match(await w.td.client.kms('get-key-rotation-status', { key_id: idA }), { rotation_interval: 120 });

  await w.td.client.kms('disable-key-rotation', { key_id: idA });
  const drift = await w.dew('plan');
  t.match(drift.out, /dew_kms_rotation\.r no longer exists in the daemon/, 'rotation disabled outside dew: planned back');
  t.match(drift.out, /1 to add, 0 to change, 0 to destroy/);
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  t.match(await w.td.client.kms('get-key-rotation-status', { key_id: idA }), { key_rotation_enabled: true, rotation_interval: 120 });

  w.write({ 'main.hcl': CONFIG(120, 'b') });
  const r = await w.dew('plan');
  t.match(r.out, /# dew_kms_rotation\.r must be replaced/);
  t.match(r.out, /key_id += "[0-9a-f-]{36}" -> (\(known after apply\)|"[0-9a-f-]{36}") # forces replacement/);
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  const idB = ((await w.td.client.kms('describe-key', { key_id: 'rot-b' })) as { key_info: { key_id: string } }).key_info.key_id;
  t.match(await w.td.client.kms('get-key-rotation-status', { key_id: idA }), { key_rotation_enabled: false }, 'the old key stops rotating');
  t.match(await w.td.client.kms('get-key-rotation-status', { key_id: idB }), { key_rotation_enabled: true, rotation_interval: 120 });
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);

  w.write({ 'main.hcl': CONFIG(120, 'b').replace(/resource "dew_kms_rotation"[\s\S]*$/, '') });
  const d = await w.dew('apply', '-auto-approve');
  t.equal(d.code, 0, d.err);
  t.match(d.out, /1 destroyed/);
  t.match(await w.td.client.kms('get-key-rotation-status', { key_id: idB }), { key_rotation_enabled: false }, 'destroy disables rotation');
  t.equal((await describe(w, idB)).key_state, '2', 'and keeps the key');
});

t.test('dew_kms_rotation on a key that cannot rotate: the daemon says why', async (t) => {
  const w = await world(t);
  w.write({ 'main.hcl': `resource "dew_kms_key" "s" {\n  key_alias     = "signer"\n  key_algorithm = "EC_P256"\n  key_usage     = "SIGN_VERIFY"\n}\n\nresource "dew_kms_rotation" "r" {\n  key_id = dew_kms_key.s.key_id\n}\n` });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 1);
  t.match(a.err, /dew_kms_rotation\.r: .*only symmetric encryption keys \(AES_256, SM4\) can rotate; this key is EC_P256/);
});
