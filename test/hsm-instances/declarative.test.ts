/**
 * dew_hsm_instance and dew_keystore against a real daemon: an instance, a keystore on it, a key in the keystore
 * (its keystore_id unknown until apply) and an alias plan and apply in that order; a second plan has no
 * changes; description and enabled change in place (a disabled keystore's key refuses use); drift made through
 * the API is planned back; objects deleted outside dew are created again; both types import by id; a
 * specification change is refused while the instance holds keys (naming them) and replaces instance and
 * keystore when it holds none (software -> pkcs11 on SoftHSM2); destroy goes key -> keystore -> instance, waits
 * for the key's scheduled deletion, and needs the credential file. The credential is in no plan output, saved
 * plan, stack record, daemon log or daemon file.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon } from '../helpers/daemon.js';
import { dewRunner, type Result } from '../e2e/harness.js';
import { hsmStackHcl, type HsmStackOptions } from './stack-hcl.js';
import { useSoftHsm } from '../helpers/softhsm.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const DAY = 86_400_000;

/** Every file under dir (the daemon's database, WAL, master key, audit), as bytes. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
  });
}

const CONFIG = (o: Omit<HsmStackOptions, 'vaultSpec'> = {}): string => `dew {
  stack = "vault"
}
${hsmStackHcl(o)}`;

t.test('dew_hsm_instance and dew_keystore end to end', async (t) => {
  const pkcs11 = existsSync(SOFTHSM);
  const home = mkdtempSync(join(tmpdir(), 'dew-hsm-decl-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const args = ['--key-quota', '200'];
  if (pkcs11) {
    useSoftHsm(t);
    args.push('--pkcs11-library', SOFTHSM);
  }
  let offset = 0;
  const td = await startTestDaemon(t, { args, now: () => Date.now() + offset });
  const dir = join(home, 'vault');
  mkdirSync(dir);
  const env: Record<string, string> = { DEW_CREDENTIALS: join(td.dataDir, 'credentials.json'), NO_COLOR: '1', USER: 'e2e' };
  const run = dewRunner(dir, env);
  const outputs: string[] = [];
  const dew = async (...argv: string[]): Promise<Result> => {
    const r = await run(argv[0], ...argv.slice(1));
    outputs.push(r.out, r.err);
    return r;
  };
  const json = async (...argv: string[]): Promise<Record<string, any>> => {
    const r = await dew(...argv);
    if (r.code !== 0) throw new Error(`dew ${argv.join(' ')} failed: ${r.err}`);
    return Object.assign({}, ...(r.out.trim() ? r.out.trim().split(/\n(?=\{)/).map((d) => JSON.parse(d)) : []));
  };
  const stackText = async (): Promise<string> => JSON.stringify((await td.client.request('GET', '/v1.0/{project_id}/dew/stacks/vault')).body);
  const state = async (address: string): Promise<Record<string, any>> => {
    const s = (await td.client.request('GET', '/v1.0/{project_id}/dew/stacks/vault')).body as { stack: { objects: { address: string; object_id: string; attributes: Record<string, any> }[] } };
    return s.stack.objects.find((o) => o.address === address)!;
  };
  const credentials: string[] = [];
  const write = (text: string) => writeFileSync(join(dir, 'main.hcl'), text);
  write(CONFIG());

  await t.test('plan and apply: instance, keystore, key in it, alias, in dependency order; the credential only in its file', async (t) => {
    const p = await dew('plan', '-out', '../first.plan');
    t.equal(p.code, 0, p.err);
    t.match(p.out, /# dew_hsm_instance\.vault will be created/);
    t.match(p.out, /\+ credential_file += "vault\.cred"/);
    t.match(p.out, /# dew_kms_key\.pay will be created[\s\S]*?\+ keystore_id += \(known after apply\)/);
    t.match(p.out, /6 to add, 0 to change, 0 to destroy/);
    const a = await dew('apply', '../first.plan');
    t.equal(a.code, 0, a.err);
    const order = ['dew_hsm_instance.vault: Creation complete', 'dew_keystore.vault: Creating', 'dew_keystore.vault: Creation complete', 'dew_kms_key.pay: Creating', 'dew_kms_key.pay: Creation complete', 'dew_kms_alias.pay: Creating'];
    const at = order.map((l) => a.out.indexOf(l));
    t.ok(at.every((x) => x >= 0) && at.every((x, i) => i === 0 || x > at[i - 1]), `created in dependency order:\n${a.out}`);
    for (const f of ['vault.cred', 'spare.cred']) {
      const text = readFileSync(join(dir, f), 'utf8').trim();
      t.match(text, /^dhsm_[A-Za-z0-9_-]{43}$/, `${f} holds the credential`);
      t.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${f} is mode 0600`);
      credentials.push(text);
    }
    const ks = await state('dew_keystore.vault');
    const key = await state('dew_kms_key.pay');
    t.equal(key.attributes.keystore_id, ks.object_id, 'the key is in the keystore');
    const info = ((await td.client.kms('describe-key', { key_id: key.object_id })) as { key_info: Record<string, string> }).key_info;
    t.equal(info.keystore_id, ks.object_id, 'and the daemon says so');
    const inst = ((await td.client.request('GET', `/v1/{project_id}/dew/hsms/${(await state('dew_hsm_instance.vault')).object_id}`)).body as { hsm: Record<string, unknown> }).hsm;
    t.match(inst, { status: 'RUNNING', keystore_id: ks.object_id, key_count: 1, description: 'payments' });
    t.match(a.out, new RegExp(`keystore_id = "${ks.object_id}"`), 'the output has the keystore id');
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0, 'a second plan has no changes');
    const shown = await dew('state', 'show', 'dew_hsm_instance.vault');
    t.match(shown.out, /credential_file += "vault\.cred"/);
    t.match(shown.out, /status += "RUNNING"/);
  });

  await t.test('description and enabled change in place; a disabled keystore\u2019s key refuses use', async (t) => {
    write(CONFIG({ description: 'payments team', enabled: false }));
    const p = await dew('plan');
    t.match(p.out, /# dew_hsm_instance\.vault will be updated in-place[\s\S]*~ description += "payments" -> "payments team"/);
    t.match(p.out, /# dew_keystore\.vault will be updated in-place[\s\S]*~ enabled += true -> false/);
    t.match(p.out, /0 to add, 2 to change, 0 to destroy/);
    const a = await dew('apply', '-auto-approve');
    t.equal(a.code, 0, a.err);
    const keyId = (await state('dew_kms_key.pay')).object_id;
    const refused = await dew('kms', 'encrypt-data', '--key-id', keyId, '--plain-text', 'hi');
    t.equal(refused.code, 1);
    t.match(refused.err, /KMS\.4606/, 'the key of a disabled keystore refuses use');
    write(CONFIG());
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    t.equal((await dew('kms', 'encrypt-data', '--key-id', keyId, '--plain-text', 'hi')).code, 0, 'enabled again');
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('drift made through the API is planned back', async (t) => {
    const hsmId = (await state('dew_hsm_instance.vault')).object_id;
    const ksId = (await state('dew_keystore.vault')).object_id;
    await json('hsm', 'update', '--hsm-id', hsmId, '--description', 'by hand');
    await json('kms', 'disable-keystore', '--keystore-id', ksId);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 2);
    t.match(p.out, /~ description += "by hand" -> "payments"/);
    t.match(p.out, /~ enabled += false -> true/);
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    t.match((await json('kms', 'show-keystore', '--keystore-id', ksId)).keystore, { keystore_state: 'ENABLED' });
    t.equal((await json('hsm', 'show', '--hsm-id', hsmId)).hsm.description, 'payments');
  });

  await t.test('a keystore and an instance deleted outside dew are created again', async (t) => {
    const ksId = (await state('dew_keystore.spare')).object_id;
    await json('kms', 'delete-keystore', '--keystore-id', ksId);
    const p = await dew('plan');
    t.match(p.out, /dew_keystore\.spare no longer exists in the daemon/);
    t.match(p.out, /1 to add, 0 to change, 0 to destroy/);
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    const again = await state('dew_keystore.spare');
    t.not(again.object_id, ksId);

    const hsmId = (await state('dew_hsm_instance.spare')).object_id;
    await json('kms', 'delete-keystore', '--keystore-id', again.object_id);
    await json('hsm', 'delete', '--hsm-id', hsmId, '--credential-file', 'spare.cred', '--wait');
    const q = await dew('plan');
    t.match(q.out, /dew_hsm_instance\.spare no longer exists in the daemon/);
    t.match(q.out, /2 to add, 0 to change, 0 to destroy/);
    const refused = await dew('apply', '-auto-approve');
    t.equal(refused.code, 1, 'the old credential file is not overwritten');
    t.match(refused.err, /spare\.cred already exists: dew never overwrites a credential file/);
    rmSync(join(dir, 'spare.cred'));
    const a = await dew('apply', '-auto-approve');
    t.equal(a.code, 0, a.err);
    credentials.push(readFileSync(join(dir, 'spare.cred'), 'utf8').trim());
    t.not((await state('dew_hsm_instance.spare')).object_id, hsmId);
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('import by id: an instance made with dew hsm create and its keystore', async (t) => {
    const made = await json('hsm', 'create', '--name', 'adopted', '--specification', 'software', '--credential-file', 'adopted.cred', '--wait');
    credentials.push(readFileSync(join(dir, 'adopted.cred'), 'utf8').trim());
    const ks = (await json('kms', 'create-keystore', '--keystore-alias', 'adopted-ks', '--hsm-cluster-id', made.hsm_id)).keystore;
    write(CONFIG({ extra: `
resource "dew_hsm_instance" "adopted" {
  name            = "adopted"
  specification   = "software"
  credential_file = "adopted.cred"
}

resource "dew_keystore" "adopted" {
  alias          = "adopted-ks"
  hsm_cluster_id = dew_hsm_instance.adopted.id
}
` }));
    const i = await dew('import', 'dew_hsm_instance.adopted', made.hsm_id);
    t.equal(i.code, 0, i.err);
    t.match(i.out, /Import successful!/);
    t.equal((await dew('import', 'dew_keystore.adopted', ks.keystore_id)).code, 0);
    t.equal((await dew('import', 'dew_keystore.adopted', ks.keystore_id)).code, 1, 'the address is taken now');
    const none = await dew('import', 'dew_hsm_instance.adopted', '00000000-0000-0000-0000-000000000000');
    t.equal(none.code, 1);
    const p = await dew('plan');
    t.match(p.out, /# dew_hsm_instance\.adopted will be updated in-place[\s\S]*\+ credential_file += "adopted\.cred"/, 'where the credential is gets recorded');
    t.match(p.out, /0 to add, 1 to change, 0 to destroy/);
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('a specification change is refused while the instance holds keys, naming them', async (t) => {
    const text = readFileSync(join(dir, 'main.hcl'), 'utf8');
    write(text.replace('name            = "vault"\n  specification   = "software"', 'name            = "vault"\n  specification   = "pkcs11"'));
    const keyId = (await state('dew_kms_key.pay')).object_id;
    for (const cmd of [['plan'], ['apply', '-auto-approve']]) {
      const r = await dew(...cmd);
      t.equal(r.code, 1, `dew ${cmd[0]} refuses`);
      t.match(r.err, /HSM instance holds keys: it cannot be replaced/);
      t.match(r.err, new RegExp(`holds 1 key: ${keyId} \\(alias "pay"\\)`));
      t.match(r.err, /specification changes from "software" to "pkcs11"/);
      t.match(r.err, /on main\.hcl:\d+/, 'pointing at the resource block');
    }
    t.equal((await json('hsm', 'show', '--hsm-id', (await state('dew_hsm_instance.vault')).object_id)).hsm.specification, 'software', 'nothing was changed');
    write(text);
  });

  await t.test('a specification change replaces an instance without keys, and its keystore with it', { skip: pkcs11 ? false : 'SoftHSM2 is not installed' }, async (t) => {
    const before = { hsm: (await state('dew_hsm_instance.spare')).object_id, ks: (await state('dew_keystore.spare')).object_id };
    const text = readFileSync(join(dir, 'main.hcl'), 'utf8');
    write(text.replace('name            = "spare"\n  specification   = "software"', 'name            = "spare"\n  specification   = "pkcs11"'));
    const p = await dew('plan', '-out', '../replace.plan');
    t.equal(p.code, 0, p.err);
    t.match(p.out, /# dew_hsm_instance\.spare must be replaced/);
    t.match(p.out, /~ specification += "software" -> "pkcs11" # forces replacement/);
    t.match(p.out, /# dew_keystore\.spare must be replaced/);
    t.match(p.out, /2 to add, 0 to change, 2 to destroy/);
    const a = await dew('apply', '../replace.plan');
    t.equal(a.code, 0, a.err);
    const order = ['dew_keystore.spare: Destroying', 'dew_hsm_instance.spare: Destroying', 'dew_hsm_instance.spare: Creation complete', 'dew_keystore.spare: Creation complete'];
    const at = order.map((l) => a.out.indexOf(l));
    t.ok(at.every((x) => x >= 0) && at.every((x, i) => i === 0 || x > at[i - 1]), `keystore deleted, instance replaced, keystore made:\n${a.out}`);
    const now = await state('dew_hsm_instance.spare');
    t.not(now.object_id, before.hsm);
    t.match((await json('hsm', 'show', '--hsm-id', now.object_id)).hsm, { specification: 'pkcs11', status: 'RUNNING', keystore_id: (await state('dew_keystore.spare')).object_id });
    credentials.push(readFileSync(join(dir, 'spare.cred'), 'utf8').trim());
    t.equal((await dew('hsm', 'show', '--hsm-id', before.hsm)).code, 1, 'the old instance is gone');
    const token = await run('hsm', 'token', '--hsm-id', now.object_id, '--credential-file', 'spare.cred');
    t.equal(token.code, 0, token.err);
    t.match(JSON.parse(token.out).token, { library: SOFTHSM, token_label: /^dew-/ }, 'the new credential opens the pkcs11 instance\u2019s token details');
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('destroy: alias and key first, then the keystore once the key is deleted, then the instance with its credential', async (t) => {
    const d = await dew('destroy', '-auto-approve');
    t.equal(d.code, 1, 'the keystore still holds the key pending deletion');
    t.match(d.out, /dew_kms_key\.pay: Deletion scheduled for/);
    t.match(d.err, /dew_keystore\.vault: KMS\.4605: the keystore [0-9a-f-]{36} still holds 1 key: [0-9a-f-]{36} \(alias "pay-deleted-[0-9a-f]{8}", pending deletion until \d{4}-\d\d-\d\dT/);
    t.match(d.err, /Skipped: dew_hsm_instance\.vault, because dew_keystore\.vault did not complete/);
    t.ok(existsSync(join(dir, 'vault.cred')), 'the instance and its credential file are still there');
    t.notOk(existsSync(join(dir, 'spare.cred')), 'the spare instance is deleted, its credential file removed');

    offset = 8 * DAY;
    await td.daemon.runJobs();
    offset = 0;
    renameSync(join(dir, 'vault.cred'), join(dir, 'moved.cred'));
    const noCred = await dew('destroy', '-auto-approve');
    t.equal(noCred.code, 1);
    t.match(noCred.err, /dew_hsm_instance\.vault: hsm\.credential_file_missing: the credential file .*vault\.cred does not exist/);
    renameSync(join(dir, 'moved.cred'), join(dir, 'vault.cred'));
    const last = await dew('destroy', '-auto-approve');
    t.equal(last.code, 0, last.err);
    t.notOk(existsSync(join(dir, 'vault.cred')));
    t.equal((await json('hsm', 'list')).total, 0, 'no instance is left');
    t.equal((await json('kms', 'list-keystores')).total, 0, 'no keystore either');
  });

  await t.test('the credential is nowhere but in its file: not in outputs, saved plans, stack records, logs or daemon files', async (t) => {
    t.ok(credentials.length >= 5, `${credentials.length} credentials captured`);
    const record = await stackText();
    const plans = ['first.plan', 'replace.plan'].filter((f) => existsSync(join(home, f))).map((f) => readFileSync(join(home, f), 'utf8'));
    const logs = td.logs.join('\n');
    const files = filesUnder(td.dataDir);
    for (const c of credentials) {
      t.notOk(outputs.some((o) => o.includes(c)), 'in no command output');
      t.notOk(plans.some((p) => p.includes(c)), 'in no saved plan');
      t.notOk(record.includes(c), 'not in the stack record');
      t.notOk(logs.includes(c), 'not in the daemon log');
      t.notOk(files.some((b) => b.includes(c)), 'not in the daemon\u2019s files (only its hash is kept)');
    }
  });
});
