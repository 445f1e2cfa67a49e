/**
 * The real `terraform` (1.11) over dew_kps_keypair, dew_kps_host and dew_kps_binding against a real daemon
 * and a real sshd (test/helpers/sshd.ts), proved with the stock ssh client: a generated key pair writes
 * key_file 0600 (ssh-keygen -y agrees with the daemon), an imported public key, an imported private key
 * the service holds (write-only: in no plan and not in the state, only its digest); the host key learnt on first contact; the binding logs
 * in, its password a write_only argument in no plan, no output and not in terraform.tfstate (a second
 * plan with another password has no changes); drift (a description, a binding undone by hand) planned
 * back; import by name with no changes; destroy unbinds (the key no longer logs in).
 */
import t from 'tap';
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TERRAFORM } from '../helpers/terraform.js';
import { startSshd } from '../helpers/sshd.js';
import { waitForTask } from '../../provider/resources/kps-task.js';
import { PROVIDER, ok, sensitiveInState, tfWorld, whereInState } from './e2e-setup.js';

const blob = (line: string): string => line.trim().split(/\s+/)[1];
const publicOf = (keyFile: string): string => execFileSync('ssh-keygen', ['-y', '-f', keyFile]).toString();
const mode = (file: string): number => statSync(file).mode & 0o777;
/** A line of the private key's Base64 body: present in any copy of it. */
const secretLine = (privateKey: string): string => privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))[1];

const CONFIG = (o: { sshdConfig: string; myPublic: string; myPrivate: string; description?: string; extra?: string }) => `${PROVIDER}
variable "password" {
  type      = string
  sensitive = true
}

variable "port" {
  type = number
}

variable "user" {
  type = string
}

resource "dew_kps_keypair" "deploy" {
  name            = "deploy"
  algorithm       = "SSH_ED25519"
  encryption_type = "default"
  description     = "${o.description ?? 'generated'}"
  key_file        = "deploy.pem"
}

resource "dew_kps_keypair" "mine" {
  name       = "mine"
  public_key = "${o.myPublic}"
}

resource "dew_kps_keypair" "held" {
  name            = "held"
  public_key      = "${o.myPublic}"
  encryption_type = "default"
  private_key     = <<-EOT
${o.myPrivate}EOT
}

resource "dew_kps_host" "web" {
  name        = "web"
  address     = "127.0.0.1"
  port        = var.port
  username    = var.user
  sshd_config = "${o.sshdConfig}"
}

resource "dew_kps_binding" "web" {
  keypair_name = dew_kps_keypair.deploy.name
  host_id      = dew_kps_host.web.id
  password     = var.password
}

output "fingerprint" {
  value = dew_kps_keypair.deploy.fingerprint
}
${o.extra ?? ''}`;

t.test('terraform manages KPS key pairs, hosts and bindings in dew, against a real sshd', { skip: existsSync(TERRAFORM) ? false : `LOUD SKIP: no terraform binary at ${TERRAFORM}` }, async (t) => {
  const w = await tfWorld(t);
  const host = await startSshd(t);
  const keys = mkdtempSync(join(host.dir, 'keys-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mine', '-f', join(keys, 'id')]);
  const myPrivate = readFileSync(join(keys, 'id'), 'utf8');
  const myPublic = readFileSync(join(keys, 'id.pub'), 'utf8').trim();
  const base = { sshdConfig: host.sshdConfigPath, myPublic, myPrivate };
  let password = host.password;
  const tf = (...args: string[]) => w.run(args, { TF_VAR_password: password, TF_VAR_port: String(host.port), TF_VAR_user: host.user });
  const kps = async (method: string, path: string, body?: object) => (await w.td.client.request(method, `/v3/{project_id}${path}`, body)).body as Record<string, any>;
  const keyFile = join(w.ws.dir, 'deploy.pem');
  const noChanges = async (t: Test, what: string) => {
    const p = await tf('plan', '-detailed-exitcode');
    t.equal(p.code, 0, `${what}: a second plan has no changes\n${p.stdout}${p.stderr}`);
  };
  const secrets = () => [host.password, secretLine(myPrivate), ...(existsSync(keyFile) ? [secretLine(readFileSync(keyFile, 'utf8'))] : [])];
  const checkState = (t: Test) => {
    const state = w.state();
    t.same(whereInState(state, host.password), [], 'the password (write_only) is not in terraform.tfstate');
    t.same(whereInState(state, secretLine(readFileSync(keyFile, 'utf8'))), [], 'the generated private key is only in key_file');
    t.same(whereInState(state, w.secretKey), [], 'the AK/SK secret is not in the state');
    t.same(whereInState(state, secretLine(myPrivate)), [], 'the imported private key is write-only: not in the state');
    t.ok(sensitiveInState(state).some((w) => w.endsWith('.private_key_digest')), 'its digest is, marked sensitive');
    return state;
  };
  w.ws.write('main.tf', CONFIG(base));
  t.equal((await host.sshLogin(join(keys, 'nothing-yet'))).code, 255);

  await t.test('plan, apply, then no changes: key_file 0600, the key logs in, the password nowhere', async (t) => {
    // apply prints the plan it makes before it applies it: the plans are asserted there.
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /# dew_kps_keypair\.held will be created[\s\S]*?\+ private_key\s+= \(write-only attribute\)[\s\S]*?\+ private_key_digest\s+= \(sensitive value\)/);
    t.match(a.stdout, /# dew_kps_binding\.web will be created[\s\S]*?\+ password\s+= \(write-only attribute\)/, 'the password is write-only: not planned');
    t.match(a.stdout, /Plan: 5 to add, 0 to change, 0 to destroy\./);
    t.notOk(a.stdout.includes(host.password));
    t.match(a.stdout, /dew_kps_binding\.web: Creation complete after \d+s \[id=deploy\/[0-9a-f-]{36}\]/);
    t.equal(mode(keyFile), 0o600, 'key_file is written with mode 0600');
    const shown = (await kps('GET', '/keypairs/deploy')).keypair;
    t.equal(blob(publicOf(keyFile)), blob(shown.public_key), 'ssh-keygen -y on key_file gives the public key the daemon has');
    t.match(a.stdout, new RegExp(`fingerprint = "${shown.fingerprint.replace(/[+/]/g, '\\$&')}"`));
    t.equal(blob((await kps('GET', '/keypairs/mine')).keypair.public_key), blob(myPublic), 'the imported public key');
    t.match((await kps('GET', '/keypairs/held')).keypair, { is_key_protection: true }, 'the imported private key is held by the service');
    t.equal((await host.sshLogin(keyFile)).code, 0, 'ssh -i key_file logs in after apply');
    await noChanges(t, 'after create');
    password = 'any-other-password';
    await noChanges(t, 'another password: a write-only argument is never diffed');
    password = host.password;
    const state = checkState(t);
    const binding = state.resources.find((r: { type: string }) => r.type === 'dew_kps_binding').instances[0].attributes;
    t.equal(binding.password, null, 'the state has password = null');
    const hostState = state.resources.find((r: { type: string }) => r.type === 'dew_kps_host').instances[0].attributes;
    t.equal(hostState.host_key, null, 'host_key left unset stays unset in the state');
    t.equal(blob((await kps('GET', `/hosts/${hostState.id}`)).host.host_key), blob(host.hostKey), 'the host key was learnt on first contact');
  });

  await t.test('drift: a description changed by hand is planned back', async (t) => {
    await kps('PUT', '/keypairs/deploy', { keypair: { description: 'by hand' } });
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply back');
    t.match(a.stdout, /~ description\s+= "by hand" -> "generated"/);
    t.match(a.stdout, /Plan: 0 to add, 1 to change, 0 to destroy\./);
    t.equal((await kps('GET', '/keypairs/deploy')).keypair.description, 'generated');
    await noChanges(t, 'after the description drift');
  });

  await t.test('a binding undone by hand is created again', async (t) => {
    const hostId = w.state().resources.find((r: { type: string }) => r.type === 'dew_kps_host').instances[0].attributes.id as string;
    const { task_id } = await kps('POST', '/keypairs/disassociate', { server: { id: hostId } });
    t.match(await waitForTask(w.td.client, task_id), { task_status: 'SUCCESS_UNBIND' });
    t.equal((await host.sshLogin(keyFile)).code, 255);
    const a = await tf('apply', '-auto-approve');
    ok(t, a, 'apply');
    t.match(a.stdout, /# dew_kps_binding\.web will be created/);
    t.match(a.stdout, /Plan: 1 to add, 0 to change, 0 to destroy\./);
    t.equal((await host.sshLogin(keyFile)).code, 0, 'bound again');
    await noChanges(t, 'after binding again');
  });

  await t.test('import by name: key pairs and a host made outside join with no changes', async (t) => {
    await kps('POST', '/keypairs', { keypair: { name: 'adopted', type: 'ssh', algorithm: 'ECDSA_NISTP256', description: 'made by hand' } });
    const extra = `
resource "dew_kps_keypair" "adopted" {
  name        = "adopted"
  description = "made by hand"
}
`;
    w.ws.write('main.tf', CONFIG({ ...base, extra }));
    const i = await tf('import', 'dew_kps_keypair.adopted', 'adopted');
    ok(t, i, 'import');
    t.match(i.stdout, /Import successful!/);
    await noChanges(t, 'after import');
    const bad = await tf('import', 'dew_kps_keypair.nothere', 'nothere');
    t.not(bad.code, 0);
    const hostId = w.state().resources.find((r: { type: string }) => r.type === 'dew_kps_host').instances[0].attributes.id as string;
    ok(t, await tf('state', 'rm', 'dew_kps_binding.web', 'dew_kps_host.web'), 'forget the host and the binding');
    ok(t, await tf('import', 'dew_kps_host.web', hostId), 'import the host by id');
    ok(t, await tf('import', 'dew_kps_binding.web', `deploy/${hostId}`), 'import the binding by <keypair>/<host_id>');
    await noChanges(t, 'after importing the host and the binding');
    t.same(whereInState(w.state(), host.password), [], 'an imported binding has no password in the state');
  });

  await t.test('destroy unbinds the key and removes what terraform made', async (t) => {
    checkState(t);
    const d = await tf('destroy', '-auto-approve');
    ok(t, d, 'destroy');
    t.match(d.stdout, /Destroy complete! Resources: 6 destroyed\./);
    t.equal((await host.sshLogin(keyFile)).code, 255, 'after destroy the key no longer logs in');
    t.equal(((await kps('GET', '/keypairs')).keypairs as unknown[]).length, 0, 'no key pair left');
    t.same(w.state().resources, [], 'the state is empty');
  });

  const all = w.logs.join('\n');
  for (const s of [...secrets(), w.secretKey]) t.notOk(all.includes(s), 'no terraform output holds the password, a private key or the AK/SK secret');
});
