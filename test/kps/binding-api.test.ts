/**
 * KPS binding tasks against a real OpenSSH server (test/helpers/sshd.ts), proved with the stock
 * `ssh` client: reset with a password binds a key pair (exported private key logs in), replace logs
 * in with the old managed key and swaps it, disable_password turns password login off and on,
 * unbind removes the key, and a wrong password, a closed port or a changed host key leave a FAILED
 * task with a clear reason and the host unchanged; failed-task records list and delete.
 */
import t from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startTestDaemon, apiError } from '../helpers/daemon.js';
import { startSshd, generateKeyPair } from '../helpers/sshd.js';
import type { DewClient } from '../../provider/client/dew-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const V3 = '/v3/{project_id}';

/** Polls a task until it is no longer READY/RUNNING (at most 600 polls). */
async function finished(c: DewClient, taskId: string): Promise<Any> {
  for (let i = 0; i < 600; i++) {
    const task = (await c.request('GET', `${V3}/tasks/${taskId}`)).body as Any;
    if (!/^(READY|RUNNING)_/.test(task.task_status)) return task;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${taskId} did not finish`);
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

t.test('binding key pairs to a real sshd', async (t) => {
  const d = await startTestDaemon(t);
  const c = d.client;
  const host = await startSshd(t, { sudo: true });
  const authorizedKeys = join(host.home, '.ssh', 'authorized_keys');
  const keysOnHost = () => (existsSync(authorizedKeys) ? readFileSync(authorizedKeys, 'utf8') : '');

  const managed = async (name: string) => {
    await c.request('POST', `${V3}/keypairs`, { keypair: { name, algorithm: 'SSH_ED25519', key_protection: { encryption: { type: 'default' } } } });
    const pk = ((await c.request('POST', `${V3}/keypairs/private-key/export`, { keypair: { name } })).body as Any).keypair.private_key as string;
    const file = join(host.dir, name);
    writeFileSync(file, pk, { mode: 0o600 });
    return file;
  };
  const webKey = await managed('web');
  const web2Key = await managed('web2');
  const associate = async (keypair_name: string, server: object) => finished(c, ((await c.request('POST', `${V3}/keypairs/associate`, { keypair_name, server })).body as Any).task_id);

  const created = ((await c.request('POST', `${V3}/hosts`, { host: { name: 'h1', address: host.address, port: host.port, username: host.user, sshd_config: host.sshdConfigPath } })).body as Any).host;
  t.equal(created.host_key, null, 'no host key yet: learnt on first contact');
  t.equal((await host.sshLogin(webKey)).code, 255, 'before binding the key does not log in');

  await t.test('reset with the password binds the key pair and pins the host key', async (t) => {
    const task = await associate('web', { id: 'h1', auth: { type: 'password', key: host.password } });
    t.equal(task.task_status, 'SUCCESS_RESET', JSON.stringify(task));
    t.equal((await host.sshLogin(webKey)).code, 0, 'ssh -i exported_key logs in');
    const h = ((await c.request('GET', `${V3}/hosts/${created.id}`)).body as Any).host;
    t.equal(h.host_key, host.hostKey, 'the host key is pinned');
    t.equal(h.keypair_name, 'web');
    t.notOk(d.logs.join('\n').includes(host.password), 'the password is not logged');
  });

  await t.test('a key pair bound to a host cannot be deleted', async (t) => {
    const e = await apiError(c.request('DELETE', `${V3}/keypairs/web`));
    t.equal(`${e.status} ${e.code}`, '409 KPS.0013');
  });

  await t.test('replace logs in with the old managed key: the old key fails, the new one works', async (t) => {
    const task = await associate('web2', { id: created.id });
    t.equal(task.task_status, 'SUCCESS_REPLACE', JSON.stringify(task));
    t.equal((await host.sshLogin(webKey)).code, 255, 'the old key no longer logs in');
    t.equal((await host.sshLogin(web2Key)).code, 0, 'the new key does');
    t.equal(keysOnHost().split('\n').filter(Boolean).length, 1, 'one key line on the host');
  });

  await t.test('disable_password turns password login off in sshd, and back on', async (t) => {
    t.equal((await host.passwordLogin(host.password)).code, 0, 'password login works before');
    let task = await associate('web2', { id: 'h1', disable_password: true });
    t.equal(task.task_status, 'SUCCESS_REPLACE', JSON.stringify(task));
    t.equal((await host.passwordLogin(host.password)).code, 255, 'the stock client cannot log in with the password');
    t.equal((await host.sshLogin(web2Key)).code, 0, 'the key still logs in');
    task = await associate('web2', { id: 'h1', disable_password: false });
    t.equal(task.task_status, 'SUCCESS_REPLACE', JSON.stringify(task));
    t.equal((await host.passwordLogin(host.password)).code, 0, 'password login works again');
  });

  await t.test('failures leave a FAILED task with the reason and the host unchanged', async (t) => {
    const before = keysOnHost();
    const wrong = await associate('web', { id: 'h1', auth: { type: 'password', key: 'not-the-password' } });
    t.equal(wrong.task_status, 'FAILED_RESET');
    t.equal(wrong.task_error_code, 'KPS.1004', wrong.task_error_msg);
    t.notOk(String(wrong.task_error_msg).includes('not-the-password'), 'the message does not echo the password');
    t.equal(keysOnHost(), before, 'authorized_keys unchanged');
    t.equal((await host.sshLogin(web2Key)).code, 0, 'the bound key still works');

    const port = await closedPort();
    await c.request('POST', `${V3}/hosts`, { host: { name: 'nowhere', address: '127.0.0.1', port, username: host.user } });
    const down = await associate('web', { id: 'nowhere', auth: { type: 'password', key: host.password } });
    t.equal(down.task_error_code, 'KPS.1001', down.task_error_msg);

    // A pinned host key that is not the host's: every task is refused before logging in.
    const other = await generateKeyPair(host.dir, 'not-the-host');
    await c.request('PUT', `${V3}/hosts/h1`, { host: { host_key: other.publicKey } });
    const spoofed = await associate('web', { id: 'h1', auth: { type: 'password', key: host.password } });
    t.equal(spoofed.task_error_code, 'KPS.1003', spoofed.task_error_msg);
    t.match(spoofed.task_error_msg, /host key/i);
    t.equal(keysOnHost(), before, 'authorized_keys unchanged');
    await c.request('PUT', `${V3}/hosts/h1`, { host: { host_key: host.hostKey } });

    const failed = (await c.request('GET', `${V3}/failed-tasks`)).body as Any;
    t.equal(failed.total, 3, 'three failed tasks');
    t.same(failed.tasks.map((x: Any) => x.operate_type), ['FAILED_RESET', 'FAILED_RESET', 'FAILED_RESET']);
    t.ok(failed.tasks.every((x: Any) => x.task_error_code && x.task_error_msg && x.keypair_name === 'web'), 'each with its code, message and key pair');
    const running = (await c.request('GET', `${V3}/running-tasks`)).body as Any;
    t.same(running, { total: 0, tasks: [] }, 'nothing running');
    await c.request('DELETE', `${V3}/failed-tasks/${failed.tasks[0].task_id}`);
    t.equal(((await c.request('GET', `${V3}/failed-tasks`)).body as Any).total, 2, 'one deleted');
    const gone = await apiError(c.request('DELETE', `${V3}/failed-tasks/${failed.tasks[0].task_id}`));
    t.equal(gone.code, 'KPS.0011');
    await c.request('DELETE', `${V3}/failed-tasks`);
    t.equal(((await c.request('GET', `${V3}/failed-tasks`)).body as Any).total, 0, 'all deleted');
  });

  await t.test('batch-associate: one key pair, each host its own task or the reason it got none', async (t) => {
    const bad = await apiError(c.request('POST', `${V3}/keypairs/batch-associate`, { batch_keypairs: [{ keypair_name: 'web', server: { id: 'h1' } }, { keypair_name: 'web2', server: { id: 'nowhere' } }] }));
    t.equal(`${bad.status} ${bad.code}`, '400 KPS.0001', 'two key pairs in one batch are refused');
    const r = (await c.request('POST', `${V3}/keypairs/batch-associate`, {
      batch_keypairs: [
        { keypair_name: 'web2', server: { id: 'h1' } },
        { keypair_name: 'web2', server: { id: 'no-such-host' } },
      ],
    })).body as Any;
    t.same(r.tasks.map((x: Any) => [x.server_id, x.status, x.error_code ?? null]), [['h1', 'SUCCESS', null], ['no-such-host', 'FAILED', 'KPS.0009']]);
    const task = await finished(c, r.tasks[0].task_id);
    t.equal(task.task_status, 'SUCCESS_REPLACE', JSON.stringify(task));
    t.equal((await host.sshLogin(web2Key)).code, 0, 'the batch task bound the key');
  });

  await t.test('unbind removes only that key; reset with the password restores key login', async (t) => {
    const marker = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq7rQ2nq8r4m5KJ5b8xGv1mYj6bY0m3k0f9bq0hNq3J someone-else';
    writeFileSync(authorizedKeys, keysOnHost() + marker + '\n');
    const unbind = await finished(c, ((await c.request('POST', `${V3}/keypairs/disassociate`, { server: { id: 'h1' } })).body as Any).task_id);
    t.equal(unbind.task_status, 'SUCCESS_UNBIND', JSON.stringify(unbind));
    t.equal((await host.sshLogin(web2Key)).code, 255, 'the unbound key no longer logs in');
    t.equal(keysOnHost(), marker + '\n', "another user's line is kept byte for byte");
    const e = await apiError(c.request('POST', `${V3}/keypairs/disassociate`, { server: { id: 'h1' } }));
    t.equal(e.code, 'KPS.0001', 'nothing bound: nothing to unbind');
    const reset = await associate('web', { id: 'h1', auth: { type: 'password', key: host.password } });
    t.equal(reset.task_status, 'SUCCESS_RESET');
    t.equal((await host.sshLogin(webKey)).code, 0, 'key login restored');
  });
});
