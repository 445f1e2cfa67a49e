/**
 * The Terraform side of a resource type (provider/terraform/resources/tf-resource.ts), pure: the
 * planned state of a create, an update, a replacement and a destroy under Terraform's rules
 * (configured values as given, defaults for unset arguments, what only apply tells unknown), and the
 * private data that carries the daemon's object id.
 */
import t from 'tap';
import { TfResource, decodePrivate, encodePrivate } from '../../provider/terraform/resources/tf-resource.js';
import { UNKNOWN, isUnknown } from '../../provider/terraform/cty/values.js';
import { resourceType } from '../../provider/resources/registry.js';
import { encodeDynamicValue, decodeDynamicValue } from '../../provider/terraform/cty/dynamic-value.js';
import type { TfObject } from '../../provider/terraform/resources/values.js';

const key = new TfResource(resourceType('dew_kms_key')!);
const grant = new TfResource(resourceType('dew_kms_grant')!);
const nulls = (r: TfResource): TfObject => Object.fromEntries(Object.keys(r.type.attributes).map((k) => [k, null]));

t.test('create: config as given, defaults, what the type can tell, the rest unknown', async (t) => {
  const { planned, requiresReplace } = key.plan(null, { ...nulls(key), key_alias: 'app', tags: { team: 'a' } });
  t.same(requiresReplace, []);
  t.equal(planned!.key_alias, 'app');
  t.same(planned!.tags, { team: 'a' });
  t.equal(planned!.is_enabled, true, 'a default is planned');
  t.equal(planned!.pending_days, '7');
  t.equal(planned!.rotation_enabled, false, 'plannedComputed: a new key does not rotate');
  t.equal(planned!.rotation_interval, null);
  t.ok(isUnknown(planned!.key_algorithm), 'optional+computed unset: known after apply');
  t.ok(isUnknown(planned!.id) && isUnknown(planned!.key_id) && isUnknown(planned!.key_state));
  t.same(Object.keys(planned!).sort(), Object.keys(key.type.attributes).sort(), 'every attribute, no other');
  const bytes = encodeDynamicValue(key.type, planned);
  t.ok(isUnknown((decodeDynamicValue(key.type, bytes) as TfObject).id), 'encodes and decodes');
  t.ok(isUnknown(key.plan(null, { ...nulls(key), key_alias: UNKNOWN }).planned!.key_alias), 'an unknown config value stays unknown');
});

const prior = (): TfObject => ({
  ...nulls(key),
  key_alias: 'app', key_algorithm: 'AES_256', key_usage: 'ENCRYPT_DECRYPT', key_description: '', origin: 'kms', keystore_id: '0',
  is_enabled: true, rotation_enabled: false, rotation_interval: null, pending_days: '7', tags: {},
  id: 'k1', key_id: 'k1', domain_id: 'd', key_state: '2', creation_date: '1', scheduled_deletion_date: '', default_key_flag: '0', rotation_number: 0,
});

t.test('update: no change keeps the prior state; a change in place; a forced replacement names its attribute', async (t) => {
  const cfg = { ...nulls(key), key_alias: 'app' };
  t.same(key.plan(prior(), cfg).planned, prior(), 'unset optional+computed arguments keep the daemon values');
  const desc = key.plan(prior(), { ...cfg, key_description: 'new' });
  t.equal(desc.planned!.key_description, 'new');
  t.same(desc.requiresReplace, []);
  t.equal(desc.planned!.key_id, 'k1', 'exported attributes stay known');
  const off = key.plan({ ...prior(), is_enabled: false }, cfg);
  t.equal(off.planned!.is_enabled, true, 'an unset argument with a default goes back to it');
  const alg = key.plan(prior(), { ...cfg, key_algorithm: 'SM4' });
  t.same(alg.requiresReplace, ['key_algorithm']);
  t.ok(isUnknown(alg.planned!.key_id), 'a replacement is a new object');
  t.equal(key.plan(prior(), null).planned, null, 'destroy: null');
});

t.test('sets compare in any order', async (t) => {
  const g = { ...nulls(grant), key_id: 'k1', grantee_principal: 'u', operations: ['encrypt-data', 'decrypt-data'], type: 'user', name: '', retiring_principal: '', id: 'g', creator: 'c' };
  const p = grant.plan(g, { ...nulls(grant), key_id: 'k1', grantee_principal: 'u', operations: ['decrypt-data', 'encrypt-data'] });
  t.same(p.requiresReplace, [], 'the same operations in another order are no change');
});

t.test('private data carries the object id', async (t) => {
  t.same(decodePrivate(encodePrivate({ object_id: 'k1/g1' })), { object_id: 'k1/g1' });
  t.equal(decodePrivate(Buffer.alloc(0)), undefined);
  t.equal(decodePrivate(Buffer.from('not json')), undefined);
});

t.test('a secret value is write-only: the plan and the state hold its digest, never the value', async (t) => {
  const secret = new TfResource(resourceType('dew_csms_secret')!);
  const { valueDigest } = await import('../../provider/resources/value-digest.js');
  const attr = (n: string) => secret.block.attributes.find((a) => a.name === n)!;
  t.match(attr('secret_text'), { write_only: true, sensitive: true });
  t.match(attr('secret_text_digest'), { computed: true, sensitive: true });
  const created = secret.plan(null, { ...nulls(secret), name: 'db', secret_text: 'hunter2' }).planned!;
  t.equal(created.secret_text, null, 'never planned');
  t.equal(created.secret_text_digest, valueDigest('hunter2'), 'its digest is, at plan time');
  const imported: TfObject = { ...nulls(secret), name: 'db', secret_text_digest: valueDigest('hunter2'), description: '', secret_type: 'COMMON', event_subscriptions: [], auto_rotation: false, recovery_window_in_days: 30, id: 's/db', secret_id: 's', latest_version: 'v1', version_stages: ['SYSCURRENT'], status: 'ENABLED' };
  const same = secret.plan(imported, { ...nulls(secret), name: 'db', secret_text: 'hunter2' });
  t.same(same.planned, imported, 'the same value: no change');
  const other = secret.plan(imported, { ...nulls(secret), name: 'db', secret_text: 'another' });
  t.equal(other.planned!.secret_text_digest, valueDigest('another'), 'another value is a changed digest');
  t.equal(other.planned!.secret_text, null);
  t.ok(isUnknown(other.planned!.latest_version), 'that makes a new version');
  const upgraded = secret.upgrade({ ...imported, secret_text_digest: null, secret_text: 'hunter2' });
  t.equal(upgraded.secret_text, null, 'a version-1 state: the value leaves the state');
  t.equal(upgraded.secret_text_digest, valueDigest('hunter2'), 'for its digest');
});
