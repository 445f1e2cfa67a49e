/**
 * dew_kps_host + dew_kps_keypair + dew_kps_binding against a real daemon and a real sshd
 * (test/helpers/sshd.ts), proved with the stock ssh client: after apply, key_file logs in; a binding
 * undone by hand (`dew kps disassociate-keypair --wait`) is planned back; destroy makes the key fail;
 * a wrong password fails the apply with the task's error, and `--wait` exits 1 with it. The password
 * is in no output and not in the stack.
 */
import t from 'tap';
import { join } from 'node:path';
import { world } from '../e2e/harness.js';
import { startSshd } from '../helpers/sshd.js';

const CONFIG = (sshdConfig: string) => `variable "password" {
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
  key_file        = "deploy.pem"
}

resource "dew_kps_host" "web" {
  name        = "web"
  address     = "127.0.0.1"
  port        = var.port
  username    = var.user
  sshd_config = "${sshdConfig}"
}

resource "dew_kps_binding" "web" {
  keypair_name = dew_kps_keypair.deploy.name
  host_id      = dew_kps_host.web.id
  password     = var.password
}
`;

t.test('a key pair bound to a real sshd by apply logs in; destroy unbinds it', async (t) => {
  const w = await world(t);
  const host = await startSshd(t);
  w.write({ 'main.hcl': CONFIG(host.sshdConfigPath) });
  const vars = ['-var', `port=${host.port}`, '-var', `user=${host.user}`];
  const outputs: string[] = [];
  const dew = async (...argv: string[]) => {
    const r = await w.dew(argv[0], ...argv.slice(1));
    outputs.push(r.out, r.err);
    return r;
  };
  const keyFile = join(w.dir, 'deploy.pem');
  t.equal((await host.sshLogin(join(w.dir, 'nothing-yet'))).code, 255);

  const a = await dew('apply', '-auto-approve', ...vars, '-var', `password=${host.password}`);
  t.equal(a.code, 0, a.err);
  t.match(a.out, /dew_kps_binding\.web: Creation complete after \d+s \[id=deploy\/[0-9a-f-]{36}\]/);
  t.equal((await host.sshLogin(keyFile)).code, 0, 'ssh -i key_file logs in after apply');
  const p = await dew('plan', '-detailed-exitcode', ...vars, '-var', 'password=any-other');
  t.equal(p.code, 0, `bound, host key learnt and pinned: nothing to change (${p.out})`);
  const stack = JSON.stringify((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/stack')).body);
  t.notMatch(stack, host.password, 'the password is not in the stack');
  const hostId = (JSON.parse((await dew('show', '-json')).out).resources as { address: string; object_id: string }[]).find((r) => r.address === 'dew_kps_host.web')!.object_id;
  const shown = JSON.parse((await dew('kps', 'show-host', '--host-id', hostId)).out).host;
  t.equal(shown.keypair_name, 'deploy');
  t.equal(shown.host_key, host.hostKey, 'the host key was learnt on first contact');

  await t.test('unbound by hand: dew kps disassociate-keypair --wait, then the binding is planned back', async (t) => {
    const u = await dew('kps', 'disassociate-keypair', '--server', JSON.stringify({ id: hostId }), '--wait');
    t.equal(u.code, 0, u.err);
    t.match(JSON.parse(u.out), { task_status: 'SUCCESS_UNBIND', server_id: hostId });
    t.equal((await host.sshLogin(keyFile)).code, 255);
    const drift = await dew('plan', '-detailed-exitcode', ...vars, '-var', `password=${host.password}`);
    t.equal(drift.code, 2);
    t.match(drift.out, /# dew_kps_binding\.web will be created/);
    t.match(drift.out, /no longer exists in the daemon/);
    const r = await dew('apply', '-auto-approve', ...vars, '-var', `password=${host.password}`);
    t.equal(r.code, 0, r.err);
    t.equal((await host.sshLogin(keyFile)).code, 0, 'bound again');
  });

  const d = await dew('destroy', '-auto-approve', ...vars, '-var', 'password=unused');
  t.equal(d.code, 0, d.err);
  t.match(d.out, /the disassociate task logs in with the key pair’s managed private key/);
  t.equal((await host.sshLogin(keyFile)).code, 255, 'after destroy the key no longer logs in');
  t.equal((await w.dew('kps', 'show-host', '--host-id', hostId)).code, 1, 'the host is gone');

  await t.test('a wrong password: apply fails with the task error, --wait exits 1 with it, nothing is bound', async (t) => {
    const r = await dew('apply', '-auto-approve', ...vars, '-var', 'password=wrong-password');
    t.equal(r.code, 1);
    t.match(r.err, /Error: dew_kps_binding\.web: KPS\.1004: /);
    t.equal((await host.sshLogin(keyFile)).code, 255);
    const again = await dew('kps', 'associate-keypair', '--keypair-name', 'deploy', '--server', JSON.stringify({ id: 'web', auth: { type: 'password', key: 'wrong-password' } }), '--wait');
    t.equal(again.code, 1);
    t.match(JSON.parse(again.out), { task_status: 'FAILED_RESET', task_error_code: 'KPS.1004' });
    t.match(again.err, /^Error: task [0-9a-f-]+ ended FAILED_RESET: KPS\.1004: /);
    const failed = JSON.parse((await dew('kps', 'list-failed-tasks', '--limit', '10')).out);
    t.ok(failed.total >= 2, 'both failures are listed');
    t.equal((await dew('kps', 'delete-all-failed-tasks')).code, 0);
    t.equal(JSON.parse((await dew('kps', 'list-failed-tasks')).out).total, 0);
    const cleanup = await dew('destroy', '-auto-approve', ...vars, '-var', 'password=unused');
    t.equal(cleanup.code, 0, cleanup.err);
  });

  for (const text of outputs) t.notMatch(text, host.password, 'no dew output shows the password');
});
