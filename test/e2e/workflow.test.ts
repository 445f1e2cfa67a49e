/**
 * The plan/apply workflow against a real daemon, for what test/provider/commands.test.ts also
 * checks against its in-memory daemon: ignore_changes at apply, the approval prompt, -var and
 * -chdir, the grant lifecycle, and a create the daemon refuses part-way through an apply.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, world } from './harness.js';

type Any = Record<string, any>;

t.test('ignore_changes: a value changed outside dew is left alone by plan and by apply', async (t) => {
  const w = await world(t, { stack: 'ignore' });
  const hcl = (alias: string) =>
    `resource "dew_kms_key" "k" {\n  key_alias       = "${alias}"\n  key_description = "from dew"\n  tags            = { owner = "dev" }\n  lifecycle {\n    ignore_changes = [tags, key_description]\n  }\n}\n`;
  w.write({ 'main.hcl': hcl('ign-one') });
  const first = await w.dew('apply', '-auto-approve');
  t.equal(first.code, 0, first.err);
  const keyId = ((await w.td.client.kms('list-keys', { key_spec: 'ALL' })) as Any).keys[0] as string;
  const info = await describe(w, keyId);
  t.equal(info.key_description, 'from dew', 'ignored attributes still take their value at create');
  await w.kms('update-key-description', { key_id: keyId, key_description: 'changed by ops' });
  await w.kms('create-tag', { key_id: keyId, tag: JSON.stringify({ key: 'owner', value: 'ops' }) });
  const plan = await w.dew('plan', '-detailed-exitcode');
  t.equal(plan.code, 0, `drift in ignored attributes plans nothing\n${plan.out}${plan.err}`);
  t.match(plan.out, /No changes\./);

  w.write({ 'main.hcl': hcl('ign-two') });
  const rename = await w.dew('plan');
  t.match(rename.out, /~ key_alias += "ign-one" -> "ign-two"/);
  t.notMatch(rename.out, /key_description|owner/, 'the ignored attributes are not in the plan');
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  const after = await describe(w, keyId);
  t.equal(after.key_alias, 'ign-two');
  t.equal(after.key_description, 'changed by ops', 'apply did not put the ignored description back');
  const tags = JSON.parse((await w.dew('kms', 'list-key-tags', '--key-id', keyId)).out).tags;
  t.same(tags, [{ key: 'owner', value: 'ops' }], 'nor the ignored tags');
});

t.test('the approval prompt: anything but "yes" cancels and changes nothing; "yes" applies', async (t) => {
  const w = await world(t, { stack: 'prompt', answers: ['y', 'yes'] });
  w.write({ 'main.hcl': 'resource "dew_kms_key" "k" {\n  key_alias = "prompted"\n}\n' });
  const no = await w.dew('apply');
  t.equal(no.code, 1);
  t.match(no.out, /Do you want to perform these actions\?/);
  t.match(no.err, /Apply cancelled/);
  t.equal(((await w.td.client.kms('list-keys', { key_spec: 'ALL' })) as Any).keys.length, 0, '"y" created nothing');
  const stack = ((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/prompt')).body as Any).stack;
  t.equal(stack.lock, null, 'the cancelled apply released the lock');
  const yes = await w.dew('apply');
  t.equal(yes.code, 0, yes.err);
  t.match(yes.out, /Apply complete! Resources: 1 added/);
  t.equal(((await w.td.client.kms('list-keys', { key_spec: 'ALL' })) as Any).keys.length, 1);
});

t.test('-var and -chdir: a configuration elsewhere, with a variable from the command line', async (t) => {
  const w = await world(t, { stack: 'here' });
  const elsewhere = join(w.dir, '..', 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(
    join(elsewhere, 'main.hcl'),
    'dew {\n  stack = "vars"\n}\n\nvariable "env" {\n  type = string\n}\n\nresource "dew_kms_key" "k" {\n  key_alias = "${var.env}-vars"\n}\n',
  );
  const missing = await w.dew('plan', '-chdir', elsewhere);
  t.equal(missing.code, 1);
  t.match(missing.err, /No value for required variable "env"/);
  const a = await w.dew('apply', '-auto-approve', `-chdir=${elsewhere}`, '-var', 'env=prod');
  t.equal(a.code, 0, a.err);
  const keys = ((await w.td.client.kms('list-keys', { key_spec: 'ALL' })) as Any).keys as string[];
  t.equal((await describe(w, keys[0])).key_alias, 'prod-vars');
  const again = await w.dew('plan', '-detailed-exitcode', '-chdir', elsewhere, '-var=env=prod');
  t.equal(again.code, 0, 'the same variable: no changes');
  const other = await w.dew('plan', '-chdir', elsewhere, '-var', 'env=test');
  t.match(other.out, /key_alias += "prod-vars" -> "test-vars"/);
});

t.test('grant lifecycle: create, replace on a new operation list, destroy revokes it', async (t) => {
  const w = await world(t, { stack: 'grants' });
  const user = (await w.td.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name: 'reader', roles: [] })).body as Any;
  const hcl = (ops: string[]) =>
    `resource "dew_kms_key" "k" {\n  key_alias = "granted"\n}\n\nresource "dew_kms_grant" "g" {\n  key_id            = dew_kms_key.k.key_id\n  name              = "reader"\n  grantee_principal = "${user.user_id}"\n  operations        = ${JSON.stringify(ops)}\n}\n`;
  w.write({ 'main.hcl': hcl(['encrypt-data']) });
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  const keyId = (((await w.td.client.kms('list-keys', { key_spec: 'ALL' })) as Any).keys as string[])[0];
  const grants = async () => ((await w.td.client.kms('list-grants', { key_id: keyId })) as Any).grants as Any[];
  const [g1] = await grants();
  t.same(g1.operations, ['encrypt-data']);
  t.equal(g1.grantee_principal, user.user_id);

  w.write({ 'main.hcl': hcl(['encrypt-data', 'decrypt-data']) });
  const plan = await w.dew('plan');
  t.match(plan.out, /dew_kms_grant\.g must be replaced/);
  t.match(plan.out, /# forces replacement/);
  t.match(plan.out, /Plan: 1 to add, 0 to change, 1 to destroy\./);
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  const after = await grants();
  t.equal(after.length, 1, 'the old grant was revoked');
  t.not(after[0].grant_id, g1.grant_id);
  t.same([...after[0].operations].sort(), ['decrypt-data', 'encrypt-data']);

  const d = await w.dew('destroy', '-auto-approve', '-target', 'dew_kms_grant.g');
  t.equal(d.code, 0, d.err);
  t.same(await grants(), [], 'destroying the grant revoked it');
  t.equal((await describe(w, keyId)).key_state, '2', 'and left the key it depends on');
});

t.test('a create the daemon refuses: the error names the resource and code, dependants are skipped, the rest is recorded', async (t) => {
  const w = await world(t, { stack: 'partial' });
  // The alias is taken outside the stack, so create-alias is refused with KMS.1104.
  const outside = (await w.kms('create-key', { key_alias: 'outside' })) as Any;
  await w.td.client.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: outside.key_info.key_id, alias: 'alias/taken' });
  w.write({
    'main.hcl': `resource "dew_kms_key" "app" {
  key_alias = "partial-app"
}

resource "dew_kms_key" "other" {
  key_alias = "partial-other"
}

resource "dew_kms_alias" "a" {
  key_id = dew_kms_key.app.key_id
  alias  = "alias/taken"
}

resource "dew_kms_key" "after" {
  key_alias  = "partial-after"
  depends_on = [dew_kms_alias.a]
}
`,
  });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 1);
  t.match(a.err, /dew_kms_alias\.a: KMS\.1104/);
  t.match(a.err, /Skipped: dew_kms_key\.after, because dew_kms_alias\.a did not complete/);
  const list = await w.dew('state', 'list');
  t.equal(list.out, 'dew_kms_key.app\ndew_kms_key.other\n', 'the keys that were made are recorded');
  const plan = await w.dew('plan');
  t.match(plan.out, /Plan: 2 to add, 0 to change, 0 to destroy\./, 'the next plan describes the stack truthfully');
  await w.td.client.request('DELETE', '/v1.0/{project_id}/kms/aliases', { key_id: outside.key_info.key_id, aliases: ['alias/taken'] });
  const again = await w.dew('apply', '-auto-approve');
  t.equal(again.code, 0, again.err);
  t.equal((await w.dew('state', 'list')).out, 'dew_kms_alias.a\ndew_kms_key.after\ndew_kms_key.app\ndew_kms_key.other\n');
});
