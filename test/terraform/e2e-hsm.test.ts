/**
 * The real `terraform` (1.11) over dew_hsm_instance, dew_keystore and a dew_kms_key in the keystore, against a
 * real daemon: created in dependency order (the key's keystore_id known after apply); the admin credential
 * only in credential_file (0600), never in terraform.tfstate or any output; description and enabled change
 * in place; drift through the API planned back; import by id; a specification change refused at plan time
 * while the instance holds keys (naming them), and a replacement naming the attribute when it holds none
 * (software -> pkcs11 on SoftHSM2); destroy goes key -> keystore -> instance and needs the key deleted first.
 * After every apply a second plan has no changes.
 */
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TERRAFORM } from '../helpers/terraform.js';
import { PROVIDER, ok, tfWorld, whereInState } from './e2e-setup.js';
import { hsmStackHcl, type HsmStackOptions } from '../hsm-instances/stack-hcl.js';
import { useSoftHsm } from '../helpers/softhsm.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const DAY = 86_400_000;
const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

const CONFIG = (o: HsmStackOptions = {}) => `${PROVIDER}${hsmStackHcl(o)}`;

/** Whether the lines appear in `text` in this order. */
const inOrder = (text: string, lines: string[]): boolean => {
  const at = lines.map((l) => text.indexOf(l));
  return at.every((x) => x >= 0) && at.every((x, i) => i === 0 || x > at[i - 1]);
};

t.test('terraform manages HSM instances, keystores and keys in them in dew', { skip: existsSync(TERRAFORM) ? false : `LOUD SKIP: no terraform binary at ${TERRAFORM}` }, async (t) => {
  const pkcs11 = existsSync(SOFTHSM);
  const args = ['--key-quota', '200'];
  if (pkcs11) {
    useSoftHsm(t);
    args.push('--pkcs11-library', SOFTHSM);
  }
  let offset = 0;
  const w = await tfWorld(t, { args, now: () => Date.now() + offset });
  const dir = w.ws.dir;
  const tf = (...a: string[]) => w.run(a);
  const hsm = async (method: string, path: string, body?: object, headers?: Record<string, string>) => (await w.td.client.request(method, `/v1/{project_id}/dew/hsms${path}`, body, undefined, headers)).body as Record<string, any>;
  const kms = async (op: string, body: Record<string, unknown>) => (await w.td.client.kms(op, body)) as Record<string, any>;
  /** `dew ARGS…` (the CLI, in the workspace), for what needs a job waited for or a credential file. */
  const dew = (...argv: string[]): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...argv], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: w.ws.home, DEW_CREDENTIALS: join(dir, 'creds.json'), NO_COLOR: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
    });
  const attrs = (type: string, name: string): Record<string, any> => w.state().resources.find((r: { type: string; name: string }) => r.type === type && r.name === name).instances[0].attributes;
  const noChanges = async (t: Test, what: string) => {
    const p = await tf('plan', '-detailed-exitcode');
    t.equal(p.code, 0, `${what}: a second plan has no changes\n${p.stdout}${p.stderr}`);
  };
  const credentials: string[] = [];
  const credentialsNowhere = (t: Test) => {
    const state = w.state();
    for (const c of credentials) t.same(whereInState(state, c), [], 'no HSM credential in terraform.tfstate');
    t.same(whereInState(state, w.secretKey), [], 'the AK/SK secret is not in the state');
  };
  w.ws.write('main.tf', CONFIG());

  await t.test('plan and apply in dependency order; the credential only in its file; no changes after', async (t) => {
    // apply prints the plan it makes before it applies it: the plans are asserted there.
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /# dew_hsm_instance\.vault will be created[\s\S]*?\+ credential_file\s+= "vault\.cred"/);
    t.match(a.stdout, /# dew_kms_key\.pay will be created[\s\S]*?\+ keystore_id\s+= \(known after apply\)/);
    t.match(a.stdout, /Plan: 6 to add, 0 to change, 0 to destroy\./);
    t.ok(inOrder(a.stdout, ['dew_hsm_instance.vault: Creation complete', 'dew_keystore.vault: Creating', 'dew_keystore.vault: Creation complete', 'dew_kms_key.pay: Creating', 'dew_kms_key.pay: Creation complete', 'dew_kms_alias.pay: Creating']), `created in dependency order:\n${a.stdout}`);
    for (const f of ['vault.cred', 'spare.cred']) {
      const text = readFileSync(join(dir, f), 'utf8').trim();
      t.match(text, /^dhsm_[A-Za-z0-9_-]{43}$/, `${f} holds the credential`);
      t.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${f} is mode 0600`);
      credentials.push(text);
    }
    const ks = attrs('dew_keystore', 'vault');
    const key = attrs('dew_kms_key', 'pay');
    t.equal(key.keystore_id, ks.keystore_id, 'the key is in the keystore');
    t.equal((await kms('describe-key', { key_id: key.key_id })).key_info.keystore_id, ks.keystore_id, 'and the daemon says so');
    t.match((await hsm('GET', `/${attrs('dew_hsm_instance', 'vault').id}`)).hsm, { status: 'RUNNING', keystore_id: ks.keystore_id, key_count: 1, description: 'payments' });
    t.match(a.stdout, new RegExp(`keystore_id = "${ks.keystore_id}"`));
    t.equal(attrs('dew_hsm_instance', 'vault').credential_file, 'vault.cred', 'the state records where the credential is, not what it is');
    credentialsNowhere(t);
    await noChanges(t, 'after create');
  });

  await t.test('description and enabled change in place; a disabled keystore\u2019s key refuses use', async (t) => {
    w.ws.write('main.tf', CONFIG({ description: 'payments team', enabled: false }));
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /# dew_hsm_instance\.vault will be updated in-place[\s\S]*~ description\s+= "payments" -> "payments team"/);
    t.match(a.stdout, /# dew_keystore\.vault will be updated in-place[\s\S]*~ enabled\s+= true -> false/);
    t.match(a.stdout, /Plan: 0 to add, 2 to change, 0 to destroy\./);
    const keyId = attrs('dew_kms_key', 'pay').key_id;
    await t.rejects(kms('encrypt-data', { key_id: keyId, plain_text: 'hi' }), /KMS\.4606|keystore/, 'the key of a disabled keystore refuses use');
    await noChanges(t, 'after the update');
    w.ws.write('main.tf', CONFIG());
    ok(t, await tf('apply', '-auto-approve'), 'enable again');
    t.ok((await kms('encrypt-data', { key_id: keyId, plain_text: 'hi' })).cipher_text, 'enabled again');
    await noChanges(t, 'after enabling');
  });

  await t.test('drift made through the API is planned back', async (t) => {
    const hsmId = attrs('dew_hsm_instance', 'vault').id;
    const ksId = attrs('dew_keystore', 'vault').keystore_id;
    const [u, dk] = await Promise.all([dew('hsm', 'update', '--hsm-id', hsmId, '--description', 'by hand'), dew('kms', 'disable-keystore', '--keystore-id', ksId)]);
    t.equal(u.code, 0, u.err);
    t.equal(dk.code, 0, dk.err);
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply back');
    t.match(a.stdout, /~ description\s+= "by hand" -> "payments"/);
    t.match(a.stdout, /~ enabled\s+= false -> true/);
    t.match(a.stdout, /Plan: 0 to add, 2 to change, 0 to destroy\./);
    t.equal((await hsm('GET', `/${hsmId}`)).hsm.description, 'payments');
    await noChanges(t, 'after the drift');
  });

  await t.test('import by id: an instance made with dew hsm create and its keystore', async (t) => {
    const c = await dew('hsm', 'create', '--name', 'adopted', '--specification', 'software', '--credential-file', 'adopted.cred', '--wait');
    t.equal(c.code, 0, c.err);
    const made = JSON.parse(c.out.trim().split(/\n(?=\{)/)[0]);
    credentials.push(readFileSync(join(dir, 'adopted.cred'), 'utf8').trim());
    const ck = await dew('kms', 'create-keystore', '--keystore-alias', 'adopted-ks', '--hsm-cluster-id', made.hsm_id);
    t.equal(ck.code, 0, ck.err);
    const ks = JSON.parse(ck.out).keystore;
    const extra = `
resource "dew_hsm_instance" "adopted" {
  name            = "adopted"
  specification   = "software"
  credential_file = "adopted.cred"
}

resource "dew_keystore" "adopted" {
  alias          = "adopted-ks"
  hsm_cluster_id = dew_hsm_instance.adopted.id
}
`;
    w.ws.write('main.tf', CONFIG({ extra }));
    const i = await tf('import', 'dew_hsm_instance.adopted', made.hsm_id);
    ok(t, i, 'import the instance');
    ok(t, await tf('import', 'dew_keystore.adopted', ks.keystore_id), 'import the keystore');
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply: where the credential is gets recorded');
    t.match(a.stdout, /# dew_hsm_instance\.adopted will be updated in-place[\s\S]*\+ credential_file\s+= "adopted\.cred"/);
    t.match(a.stdout, /Plan: 0 to add, 1 to change, 0 to destroy\./);
    await noChanges(t, 'after import');
    credentialsNowhere(t);
    w.ws.write('main.tf', CONFIG());
    const d = await tf('apply', '-auto-approve');
    ok(t, d, 'drop them from the configuration');
    t.match(d.stdout, /0 added, 0 changed, 2 destroyed/);
    t.notOk(existsSync(join(dir, 'adopted.cred')), 'its credential file is removed with it');
  });

  await t.test('a specification change is refused at plan time while the instance holds keys, naming them', async (t) => {
    w.ws.write('main.tf', CONFIG({ vaultSpec: 'pkcs11' }));
    const keyId = attrs('dew_kms_key', 'pay').key_id;
    for (const cmd of [['plan'], ['apply', '-auto-approve']]) {
      const r = await tf(...cmd);
      t.equal(r.code, 1, `terraform ${cmd[0]} refuses`);
      const err = r.stderr.replace(/[\s│]+/g, ' '); // terraform wraps diagnostics
      t.match(err, /HSM instance holds keys: it cannot be replaced/);
      t.match(err, new RegExp(`holds 1 key: ${keyId} \\(alias "pay"\\)`));
      t.match(err, /specification changes from "software" to "pkcs11"/);
      t.notMatch(r.stdout, /Destroying|Destruction complete/, 'nothing destroyed');
    }
    t.equal((await kms('describe-key', { key_id: keyId })).key_info.key_state, '2', 'the key is untouched');
    t.equal((await hsm('GET', `/${attrs('dew_hsm_instance', 'vault').id}`)).hsm.specification, 'software', 'nothing was changed');
    w.ws.write('main.tf', CONFIG());
    await noChanges(t, 'back to the configuration');
  });

  await t.test('a specification change replaces an instance without keys, naming the attribute', { skip: pkcs11 ? false : 'SoftHSM2 is not installed' }, async (t) => {
    const before = attrs('dew_hsm_instance', 'spare').id;
    w.ws.write('main.tf', CONFIG({ spec: 'pkcs11' }));
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply the replacement');
    t.match(a.stdout, /# dew_hsm_instance\.spare must be replaced/);
    t.match(a.stdout, /~ specification\s+= "software" -> "pkcs11" # forces replacement/);
    t.match(a.stdout, /# dew_keystore\.spare must be replaced/);
    t.match(a.stdout, /Plan: 2 to add, 0 to change, 2 to destroy\./);
    t.ok(inOrder(a.stdout, ['dew_keystore.spare: Destroying', 'dew_hsm_instance.spare: Destroying', 'dew_hsm_instance.spare: Creation complete', 'dew_keystore.spare: Creation complete']), `keystore deleted, instance replaced, keystore made:\n${a.stdout}`);
    const now = attrs('dew_hsm_instance', 'spare');
    t.not(now.id, before);
    t.match((await hsm('GET', `/${now.id}`)).hsm, { specification: 'pkcs11', status: 'RUNNING', keystore_id: attrs('dew_keystore', 'spare').keystore_id });
    credentials.push(readFileSync(join(dir, 'spare.cred'), 'utf8').trim());
    t.equal(statSync(join(dir, 'spare.cred')).mode & 0o777, 0o600);
    await t.rejects(hsm('GET', `/${before}`), /does not exist/, 'the old instance is gone');
    credentialsNowhere(t);
    await noChanges(t, 'after the replacement');
  });

  await t.test('destroy: alias and key first, then the keystore once the key is deleted, then the instance', async (t) => {
    const d = await tf('destroy', '-auto-approve');
    t.equal(d.code, 1, 'the keystore still holds the key pending deletion');
    t.match(d.stderr.replace(/[\s│]+/g, ' '), /dew_keystore: KMS\.4605: the keystore [0-9a-f-]{36} still holds 1 key/);
    t.ok(existsSync(join(dir, 'vault.cred')), 'the instance and its credential file are still there');
    t.notOk(existsSync(join(dir, 'spare.cred')), 'the spare instance is deleted, its credential file removed');
    offset = 8 * DAY;
    await w.td.daemon.runJobs();
    offset = 0;
    const last = await tf('destroy', '-auto-approve');
    ok(t, last, 'destroy again');
    t.notOk(existsSync(join(dir, 'vault.cred')));
    t.equal(((await hsm('GET', '')).hsms as unknown[]).length, 0, 'no instance is left');
    t.same(w.state().resources, [], 'the state is empty');
  });

  const all = w.logs.join('\n');
  t.ok(credentials.length >= 3, `${credentials.length} credentials captured`);
  for (const c of [...credentials, w.secretKey]) t.notOk(all.includes(c), 'no terraform output holds an HSM credential or the AK/SK secret');
});
