/**
 * The real `terraform` (1.11) over dew_csms_secret, dew_csms_secret_version and the dew_csms_secret_version
 * data source, against a real daemon: the value (a sensitive variable) is (sensitive value) in every plan
 * and in no output; a new value is a new version made in place and the pinned stage follows it; tags
 * and expire_time change in place; a version made by hand and a stage moved by hand are drift planned
 * back; the data source reads the latest version, one by id and one by stage; import by id finds no
 * changes; destroy schedules the deletion recovery_window_in_days ahead. After every apply a second plan
 * has no changes. The secret's secret_text is write-only: plans show (write-only attribute), the state
 * holds only secret_text_digest; the value is in terraform.tfstate only where the data source reads it.
 */
import t from 'tap';
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TERRAFORM } from '../helpers/terraform.js';
import { PROVIDER, ok, sensitiveInState, tfWorld, whereInState } from './e2e-setup.js';

const canary = (tag: string): string => `canary-${tag}-${randomBytes(8).toString('hex')}`;
const EXPIRE = Math.floor(Date.now() / 1000 + 90 * 86400) * 1000;

const CONFIG = (o: { team?: string; expire?: number; extra?: string } = {}) => `${PROVIDER}
variable "pw" {
  type      = string
  sensitive = true
}

resource "dew_csms_secret" "db" {
  name                    = "db"
  secret_text             = var.pw
  description             = "orders"
  recovery_window_in_days = 7
  expire_time             = ${o.expire ?? EXPIRE}
  tags = {
    team = "${o.team ?? 'orders'}"
  }
}

resource "dew_csms_secret_version" "prod" {
  secret_name = dew_csms_secret.db.name
  stage       = "prod"
  version_id  = dew_csms_secret.db.latest_version
}

data "dew_csms_secret_version" "latest" {
  secret_name = dew_csms_secret.db.name
  depends_on  = [dew_csms_secret_version.prod]
}

data "dew_csms_secret_version" "first" {
  secret_name = dew_csms_secret.db.name
  version_id  = "v1"
}

data "dew_csms_secret_version" "prod" {
  secret_name   = dew_csms_secret_version.prod.secret_name
  version_stage = dew_csms_secret_version.prod.stage
}

output "latest" {
  value     = data.dew_csms_secret_version.latest.secret_text
  sensitive = true
}

output "first" {
  value     = data.dew_csms_secret_version.first.secret_text
  sensitive = true
}

output "prod" {
  value     = data.dew_csms_secret_version.prod.secret_text
  sensitive = true
}

output "prod_version" {
  value = data.dew_csms_secret_version.prod.version_stages
}

output "latest_version" {
  value = dew_csms_secret.db.latest_version
}
${o.extra ?? ''}`;

t.test('terraform manages CSMS secrets, versions and stages in dew', { skip: existsSync(TERRAFORM) ? false : `LOUD SKIP: no terraform binary at ${TERRAFORM}` }, async (t) => {
  const w = await tfWorld(t);
  const first = canary('first');
  const second = canary('second');
  const byHand = canary('by-hand');
  const outside = canary('outside');
  const secrets = [first, second, byHand, outside];
  const csms = async (method: string, path: string, body?: object) => (await w.td.client.request(method, `/v1/{project_id}/secrets${path}`, body)).body as Record<string, any>;
  const latest = async (name: string) => (await csms('GET', `/${name}/versions/latest`)).version;
  const stage = async (name: string, s: string) => (await csms('GET', `/${name}/stages/${s}`)).stage.version_id as string;
  const outputs = async (): Promise<Record<string, any>> => {
    const r = await w.ws.run(['output', '-json']); // not logged: it shows the sensitive outputs by design
    t.equal(r.code, 0, r.stderr);
    return Object.fromEntries(Object.entries(JSON.parse(r.stdout)).map(([k, v]) => [k, (v as { value: unknown }).value]));
  };
  let pw = first;
  const tf = (...args: string[]) => w.run(args, { TF_VAR_pw: pw });
  const noChanges = async (t: Test, what: string) => {
    const p = await tf('plan', '-detailed-exitcode');
    t.equal(p.code, 0, `${what}: a second plan has no changes\n${p.stdout}${p.stderr}`);
  };
  const stateHoldsOnlyWhereSensitive = (t: Test) => {
    const state = w.state();
    const sensitive = new Set(sensitiveInState(state));
    for (const s of secrets) for (const where of whereInState(state, s)) t.ok(sensitive.has(where), `${where} holds a secret value and is marked sensitive in the state`);
    t.same(whereInState(state, w.secretKey), [], 'the AK/SK secret is not in the state');
    return state;
  };
  w.ws.write('main.tf', CONFIG());

  await t.test('plan shows (sensitive value); apply makes v1 with the exact value; no changes after', async (t) => {
    // apply prints the plan it makes before it applies it: the plans are asserted there.
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /\+ secret_text\s+= \(write-only attribute\)/);
    t.match(a.stdout, /\+ secret_text_digest\s+= \(sensitive value\)/);
    t.match(a.stdout, /\+ latest_version\s+= \(known after apply\)/);
    t.match(a.stdout, /\+ expire_time\s+= \d+/);
    t.match(a.stdout, /Plan: 2 to add, 0 to change, 0 to destroy\./);
    t.match(a.stdout, /Apply complete! Resources: 2 added, 0 changed, 0 destroyed\./);
    t.match(a.stdout, /latest_version = "v1"/);
    const v = await latest('db');
    t.equal(v.secret_string, first, 'the daemon holds the value exactly');
    t.equal(v.version_metadata.expire_time, EXPIRE / 1000, 'expire_time (ms) reached the version (s)');
    t.equal(await stage('db', 'prod'), 'v1');
    const secret = (await csms('GET', '/db')).secret;
    t.match(secret, { description: 'orders' });
    const tags = (await w.td.client.request('GET', `/v1/{project_id}/csms/${secret.id}/tags`)).body as { tags: { key: string; value: string }[] };
    t.same(tags.tags.map((x) => [x.key, x.value]), [['team', 'orders']]);
    const o = await outputs();
    t.equal(o.latest, first, 'data source by latest');
    t.equal(o.first, first, 'data source by version_id');
    t.equal(o.prod, first, 'data source by version_stage');
    t.same(o.prod_version, ['SYSCURRENT', 'prod']);
    await noChanges(t, 'after create');
    const state = stateHoldsOnlyWhereSensitive(t);
    t.same(whereInState(state, first).sort(), ['data.dew_csms_secret_version.first.secret_text', 'data.dew_csms_secret_version.latest.secret_text', 'data.dew_csms_secret_version.prod.secret_text', 'output.first', 'output.latest', 'output.prod'], 'where Terraform keeps the value');
    const show = await tf('show');
    t.match(show.stdout, /secret_text_digest\s+= \(sensitive value\)/);
    t.equal(state.resources.find((r: any) => r.type === 'dew_csms_secret').instances[0].attributes.secret_text, null, 'the resource keeps no value');
  });

  await t.test('a new value is a new version in place; the pinned stage follows it', async (t) => {
    pw = second;
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply the new value');
    t.match(a.stdout, /# dew_csms_secret\.db will be updated in-place/);
    t.match(a.stdout, /~ secret_text_digest\s+= \(sensitive value\)/);
    t.match(a.stdout, /~ latest_version\s+= "v1" -> \(known after apply\)/);
    t.match(a.stdout, /~ version_id\s+= "v1" -> \(known after apply\)/, 'the pin waits for the new version');
    t.match(a.stdout, /Plan: 0 to add, 2 to change, 0 to destroy\./);
    t.equal((await latest('db')).secret_string, second);
    t.same(((await csms('GET', '/db/versions')).version_metadatas as { id: string }[]).map((v) => v.id).sort(), ['v1', 'v2']);
    t.equal(await stage('db', 'prod'), 'v2', 'one apply moves the stage with the value');
    const o = await outputs();
    t.match(o, { latest: second, first, prod: second, latest_version: 'v2' });
    await noChanges(t, 'after the new value');
  });

  await t.test('tags and expire_time change in place, with no new version', async (t) => {
    w.ws.write('main.tf', CONFIG({ team: 'billing', expire: EXPIRE + 86_400_000 }));
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /~ "team" = "orders" -> "billing"/);
    t.match(a.stdout, new RegExp(`~ expire_time\\s+= ${EXPIRE} -> ${EXPIRE + 86_400_000}`));
    t.match(a.stdout, /Plan: 0 to add, 1 to change, 0 to destroy\./);
    const v = await latest('db');
    t.equal(v.version_metadata.id, 'v2', 'no new version');
    t.equal(v.version_metadata.expire_time, EXPIRE / 1000 + 86400);
    const secret = (await csms('GET', '/db')).secret;
    const tags = (await w.td.client.request('GET', `/v1/{project_id}/csms/${secret.id}/tags`)).body as { tags: { key: string; value: string }[] };
    t.same(tags.tags.map((x) => [x.key, x.value]), [['team', 'billing']]);
    await noChanges(t, 'after tags');
  });

  await t.test('drift: a version made by hand and a stage moved by hand are planned back', async (t) => {
    await csms('POST', '/db/versions', { secret_string: byHand });
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply back');
    t.match(a.stdout, /~ secret_text_digest\s+= \(sensitive value\)/);
    t.notMatch(a.stdout, new RegExp(byHand));
    const v = await latest('db');
    t.equal(v.secret_string, second, 'the configured value is current again');
    t.equal(v.version_metadata.id, 'v4');
    t.equal(await stage('db', 'prod'), 'v4');
    await noChanges(t, 'after the version drift');
    await csms('PUT', '/db/stages/prod', { version_id: 'v1' });
    const s = await tf('apply', '-auto-approve');
    ok(t, s, 'apply the stage back');
    t.match(s.stdout, /~ version_id\s+= "v1" -> "v4"/);
    t.equal(await stage('db', 'prod'), 'v4');
    await noChanges(t, 'after the stage drift');
  });

  await t.test('import: a secret and a stage made outside join with no changes', async (t) => {
    await csms('POST', '', { name: 'adopted', secret_string: outside, description: 'by hand' });
    await csms('PUT', '/adopted/stages/beta', { version_id: 'v1' });
    const id = `${(await csms('GET', '/adopted')).secret.id}/adopted`;
    const extra = `
variable "outside" {
  type      = string
  sensitive = true
}

resource "dew_csms_secret" "adopted" {
  name        = "adopted"
  secret_text = var.outside
  description = "by hand"
}

resource "dew_csms_secret_version" "beta" {
  secret_name = dew_csms_secret.adopted.name
  stage       = "beta"
  version_id  = "v1"
}
`;
    w.ws.write('main.tf', CONFIG({ team: 'billing', expire: EXPIRE + 86_400_000, extra }));
    const env = { TF_VAR_pw: pw, TF_VAR_outside: outside };
    const i = await w.run(['import', 'dew_csms_secret.adopted', id], env);
    ok(t, i, 'import the secret by <secret_id>/<name>');
    ok(t, await w.run(['import', 'dew_csms_secret_version.beta', 'adopted/beta'], env), 'import the stage by <name>/<stage>');
    const p = await w.run(['plan', '-detailed-exitcode'], env);
    t.equal(p.code, 0, `no changes after import: the value compared by digest\n${p.stdout}${p.stderr}`);
    const state = w.state();
    t.same(whereInState(state, outside), [], 'an imported value is kept as its digest');
    t.match(JSON.stringify(state), /"secret_text_digest":"sha256:[0-9a-f]{64}"/);
    w.ws.write('main.tf', CONFIG({ team: 'billing', expire: EXPIRE + 86_400_000 }));
    const d = await tf('apply', '-auto-approve');
    ok(t, d, 'drop them from the configuration: destroyed');
    t.match(d.stdout, /0 added, 0 changed, 2 destroyed/);
    t.equal((await csms('GET', '/adopted')).secret.state, 'PENDING_DELETE');
  });

  await t.test('destroy schedules the deletion recovery_window_in_days ahead', async (t) => {
    stateHoldsOnlyWhereSensitive(t);
    const d = await tf('destroy', '-auto-approve');
    ok(t, d, 'destroy');
    t.match(d.stdout, /Destroy complete! Resources: 2 destroyed\./);
    const shown = (await csms('GET', '/db')).secret;
    t.equal(shown.state, 'PENDING_DELETE', 'scheduled, not deleted');
    const days = (shown.scheduled_delete_time - Date.now() / 1000) / 86400;
    t.ok(days > 6.9 && days <= 7, `recovery_window_in_days = 7 (${days.toFixed(2)} days)`);
    t.same(w.state().resources, [], 'the state is empty');
  });

  const all = w.logs.join('\n');
  for (const s of [...secrets, w.secretKey]) t.notOk(all.includes(s), 'no terraform output holds a secret value or the AK/SK secret');
});
