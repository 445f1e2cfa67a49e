/**
 * The real `terraform` (1.11) driving the dew provider against a real daemon, as a user runs it:
 * `dew terraform install` into HOME's implied mirror, `terraform init` offline, then the scenarios
 * the `dew` tool's tests run, over dew_kms_key, dew_kms_alias, dew_kms_grant (to a dew_iam_user),
 * dew_kms_rotation and the data sources: plan, apply, a second plan with no changes
 * (-detailed-exitcode 0), an in-place update, drift made through the API planned back, an object
 * deleted outside re-created, a replacement naming the attribute that forces it, a value known only
 * after apply, import, and destroy (the key scheduled for deletion, not deleted).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { TERRAFORM } from '../helpers/terraform.js';
import { PROVIDER, ok, tfWorld } from './e2e-setup.js';

const CONFIG = (o: { description?: string; algorithm?: string; interval?: number; ops?: string; extra?: string } = {}) => `${PROVIDER}
resource "dew_kms_key" "app" {
  key_alias       = "tf-app"
  key_description = "${o.description ?? 'made by terraform'}"
  key_algorithm   = "${o.algorithm ?? 'AES_256'}"
  pending_days    = "9"
  tags = {
    team = "payments"
  }
}

resource "dew_kms_alias" "app" {
  key_id = dew_kms_key.app.key_id
  alias  = "alias/tf-app"
}

resource "dew_kms_rotation" "app" {
  key_id            = dew_kms_key.app.id
  rotation_interval = ${o.interval ?? 90}
}

resource "dew_iam_user" "reader" {
  name  = "tf-reader"
  roles = ["KMS CMKFullAccess"]
}

resource "dew_kms_grant" "reader" {
  key_id            = dew_kms_key.app.key_id
  grantee_principal = dew_iam_user.reader.user_id
  operations        = [${o.ops ?? '"encrypt-data", "decrypt-data"'}]
}

data "dew_kms_key" "by_alias" {
  key_alias = dew_kms_key.app.key_alias
}

output "key_id" {
  value = dew_kms_key.app.key_id
}

output "state_seen" {
  value = data.dew_kms_key.by_alias.key_state
}
${o.extra ?? ''}`;

t.test('terraform manages keys, aliases, grants and rotation in dew', { skip: existsSync(TERRAFORM) ? false : `LOUD SKIP: no terraform binary at ${TERRAFORM}` }, async (t) => {
  // tfWorld: a real daemon, `dew terraform install` into the workspace HOME, `terraform init` offline with no CLI configuration
  const w = await tfWorld(t, { args: ['--key-quota', '50'] });
  const { td, ws } = w;
  ws.write('main.tf', CONFIG());
  const kms = async (op: string, body: Record<string, unknown>) => (await td.client.kms(op, body)) as Record<string, any>;
  const run = (...args: string[]) => w.run(args);

  let keyId = '';
  await t.test('plan, apply, then no changes', async (t) => {
    const p = await run('plan');
    ok(t, p, 'plan');
    t.match(p.stdout, /# dew_kms_key\.app will be created/);
    t.match(p.stdout, /\+ key_id\s+= \(known after apply\)/);
    t.match(p.stdout, /\+ is_enabled\s+= true/, 'a default is planned');
    t.match(p.stdout, /\+ rotation_enabled\s+= false/, 'what the type can tell at plan time');
    t.match(p.stdout, /# dew_kms_grant\.reader will be created[\s\S]*?\+ grantee_principal\s+= \(known after apply\)/, 'a value known only after apply');
    t.match(p.stdout, /Plan: 5 to add, 0 to change, 0 to destroy\./);
    const a = await run('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /Apply complete! Resources: 5 added, 0 changed, 0 destroyed\./);
    t.match(a.stdout, /state_seen = "2"/, 'the data source read the key after it was made');
    keyId = /key_id = "([0-9a-f-]{36})"/.exec(a.stdout)?.[1] ?? '';
    t.match(keyId, /^[0-9a-f-]{36}$/);
    const info = (await kms('describe-key', { key_id: keyId })).key_info;
    t.match(info, { key_alias: 'tf-app', key_description: 'made by terraform', key_state: '2' });
    t.match(await kms('get-key-rotation-status', { key_id: keyId }), { key_rotation_enabled: true, rotation_interval: 90 });
    const grants = (await kms('list-grants', { key_id: keyId })).grants as any[];
    t.equal(grants.length, 1);
    t.same([...grants[0].operations].sort(), ['decrypt-data', 'encrypt-data']);
    const again = await run('plan', '-detailed-exitcode');
    t.equal(again.code, 0, `a second plan: no changes\n${again.stdout}${again.stderr}`);
    t.match(again.stdout, /No changes\./);
  });

  await t.test('an in-place update', async (t) => {
    ws.write('main.tf', CONFIG({ description: 'updated', interval: 120 }));
    // apply prints the plan it makes before it applies it: the plan is asserted there.
    const a = await run('apply', '-auto-approve');
    ok(t, a, 'apply the update');
    t.match(a.stdout, /~ key_description\s+= "made by terraform" -> "updated"/);
    t.match(a.stdout, /~ rotation_interval\s+= 90 -> 120/);
    t.match(a.stdout, /Plan: 0 to add, 2 to change, 0 to destroy\./);
    t.equal((await kms('describe-key', { key_id: keyId })).key_info.key_description, 'updated');
    t.equal((await kms('get-key-rotation-status', { key_id: keyId })).rotation_interval, 120);
    t.equal((await run('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('drift made through the API is planned back', async (t) => {
    await kms('disable-key', { key_id: keyId });
    await kms('update-key-description', { key_id: keyId, key_description: 'changed outside' });
    const a = await run('apply', '-auto-approve');
    ok(t, a, 'apply back');
    t.match(a.stdout, /~ is_enabled\s+= false -> true/);
    t.match(a.stdout, /~ key_description\s+= "changed outside" -> "updated"/);
    t.match(a.stdout, /Plan: 0 to add, 1 to change, 0 to destroy\./);
    t.match((await kms('describe-key', { key_id: keyId })).key_info, { key_state: '2', key_description: 'updated' });
    t.equal((await run('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('objects deleted outside are created again', async (t) => {
    await kms('disable-key-rotation', { key_id: keyId });
    const grant = ((await kms('list-grants', { key_id: keyId })).grants as any[])[0];
    await kms('revoke-grant', { key_id: keyId, grant_id: grant.grant_id });
    const a = await run('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /# dew_kms_rotation\.app will be created/);
    t.match(a.stdout, /# dew_kms_grant\.reader will be created/);
    t.match(a.stdout, /Plan: 2 to add, 0 to change, 0 to destroy\./);
    t.equal((await kms('get-key-rotation-status', { key_id: keyId })).key_rotation_enabled, true);
    t.equal(((await kms('list-grants', { key_id: keyId })).grants as any[]).length, 1);
    t.equal((await run('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('a replacement says which attribute forces it', async (t) => {
    ws.write('main.tf', CONFIG({ description: 'updated', interval: 120, ops: '"encrypt-data"' }));
    const a = await run('apply', '-auto-approve');
    ok(t, a, 'apply the replacement');
    t.match(a.stdout, /# dew_kms_grant\.reader must be replaced/);
    t.match(a.stdout, /~ operations\s+= \[ # forces replacement/);
    t.match(a.stdout, /Plan: 1 to add, 0 to change, 1 to destroy\./);
    const grants = (await kms('list-grants', { key_id: keyId })).grants as any[];
    t.same(grants.map((g) => g.operations), [['encrypt-data']], 'the old grant revoked, the new one made');
    t.equal((await run('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('import: a key made outside joins the configuration', async (t) => {
    const outside = (await kms('create-key', { key_alias: 'made-outside', key_description: 'by hand' })).key_info.key_id as string;
    ws.write('main.tf', CONFIG({ description: 'updated', interval: 120, ops: '"encrypt-data"', extra: `\nresource "dew_kms_key" "outside" {\n  key_alias       = "made-outside"\n  key_description = "by hand"\n}\n` }));
    const i = await run('import', 'dew_kms_key.outside', outside);
    ok(t, i, 'terraform import');
    t.match(i.stdout, /Import successful!/);
    const p = await run('plan', '-detailed-exitcode');
    t.equal(p.code, 0, `no changes after import\n${p.stdout}${p.stderr}`);
    const bad = await run('import', 'dew_kms_key.outside', '00000000-0000-4000-8000-000000000000');
    t.not(bad.code, 0);
    t.match(bad.stderr, /Resource already managed|no object with id|not found|KMS\.0207/);
  });

  await t.test('a refused apply shows the daemon\u2019s error, not a trace', async (t) => {
    ws.write('main.tf', CONFIG({ description: 'updated', interval: 120, ops: '"encrypt-data"', extra: `\nresource "dew_kms_key" "outside" {\n  key_alias       = "made-outside"\n  key_description = "by hand"\n}\n\nresource "dew_kms_key" "clash" {\n  key_alias = "tf-app"\n}\n` }));
    const a = await run('apply', '-auto-approve');
    t.equal(a.code, 1);
    t.match(a.stderr, /dew_kms_key: KMS\.\d{4}: /);
    t.notMatch(a.stderr + a.stdout, /    at [\w.<>]+ \(/, 'no stack trace');
  });

  await t.test('destroy schedules the keys for deletion and disables what hangs on them', async (t) => {
    ws.write('main.tf', CONFIG({ description: 'updated', interval: 120, ops: '"encrypt-data"', extra: `\nresource "dew_kms_key" "outside" {\n  key_alias       = "made-outside"\n  key_description = "by hand"\n}\n` }));
    const d = await run('destroy', '-auto-approve');
    ok(t, d, 'destroy');
    t.match(d.stdout, /Destroy complete! Resources: 6 destroyed\./);
    const info = (await kms('describe-key', { key_id: keyId })).key_info;
    t.equal(info.key_state, '4', 'the key is pending deletion, not gone');
    const days = (Number(info.scheduled_deletion_date) - Date.now()) / 86_400_000;
    t.ok(days > 8.9 && days <= 9, `pending_days = 9 (${days.toFixed(2)} days)`);
    t.equal(((await kms('list-grants', { key_id: keyId })).grants as any[]).length, 0, 'the grant is revoked');
    const state = w.state();
    t.same(state.resources, [], 'the state is empty');
  });

  t.notMatch(w.logs.join('\n'), new RegExp(w.secretKey), 'the secret key is in no output');
});
