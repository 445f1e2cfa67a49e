/**
 * Binding tasks (reference 4: associate, batch-associate, disassociate, tasks, running-tasks,
 * failed-tasks). A task is accepted at once (`task_id`) and runs in this daemon:
 *   - RESET: log in with a password, put the key pair's public key in authorized_keys (replacing
 *     the key pair bound before, if any);
 *   - REPLACE: log in with the private key bound now (given, or the bound key pair's managed one)
 *     and replace it by the new key pair's;
 *   - UNBIND: log in (a given password or key, else the bound key pair's managed private key) and
 *     remove the bound key.
 * `disable_password` turns password login off (true) or on (false) after the key is in place. A
 * task that fails leaves the host as it was and a FAILED record with the reason; passwords and
 * private keys live only in memory for the task's duration. One task at a time per host.
 */
import { randomUUID } from 'node:crypto';
import { DewError, kpsErrors } from '../../errors.js';
import type { HostRow, KeypairRow, KpsRepo, TaskRow } from '../../store/kps-repo.js';
import type { Caller } from '../caller.js';
import type { KeypairService } from './keypairs.js';
import type { HostService } from './hosts.js';
import { pinnedHostKey } from './hosts.js';
import { addAuthorizedKey, HostError, removeAuthorizedKey, replaceAuthorizedKey, setPasswordLogin, type HostAuth, type HostTarget } from '../../kps/ssh-host.js';

export type OperateType = 'RESET' | 'REPLACE' | 'UNBIND';

export interface ServerSpec {
  id: string;
  auth?: { type: 'password' | 'keypair'; key?: string };
  disable_password?: boolean;
  port?: number;
}

/** Task failure codes by the SSH library's error code. */
const HOST_ERROR_CODES: Readonly<Record<string, string>> = Object.freeze({
  unreachable: 'KPS.1001',
  timeout: 'KPS.1002',
  host_key_mismatch: 'KPS.1003',
  auth_failed: 'KPS.1004',
  not_privileged: 'KPS.1005',
  remote_failed: 'KPS.1006',
});

export const INTERRUPTED_MESSAGE = 'the daemon running this task stopped before it finished; check the host and run the task again';

export interface TaskOptions {
  now: () => number;
  /** Per SSH step (connect, auth, each command); a task's lease is a few of these. */
  sshTimeoutMs: number;
  log: (line: string) => void;
}

/** What a task does once accepted (everything resolved, secrets in memory only). */
interface Plan {
  task: TaskRow;
  host: HostRow;
  keypair?: KeypairRow;
  auth: HostAuth;
  port: number;
  disablePassword?: boolean;
}

export class BindingTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly repo: KpsRepo,
    private readonly keypairs: KeypairService,
    private readonly hosts: HostService,
    private readonly opts: TaskOptions,
  ) {}

  /** The lease a task holds while it runs: long enough for its SSH steps, short enough to notice a dead daemon. */
  private lease(): number {
    return this.opts.now() + this.opts.sshTimeoutMs * 8 + 5_000;
  }

  private async assertIdle(host: HostRow): Promise<void> {
    if ((await this.repo.activeTasksOfHost(host.hostId, this.opts.now())).length > 0) throw kpsErrors.busy(`A task is already running on the host ${JSON.stringify(host.name)}; wait for it to finish.`);
  }

  /** The login for a task: a password, a private key given, or the managed private key of the key pair bound now. */
  private async loginOf(caller: Caller, host: HostRow, auth: ServerSpec['auth']): Promise<{ auth: HostAuth; type: 'password' | 'keypair' }> {
    if (auth?.type === 'password') {
      if (!auth.key) throw kpsErrors.missing('server.auth.key (the password)');
      return { auth: { password: auth.key }, type: 'password' };
    }
    if (auth?.key) return { auth: { privateKey: auth.key }, type: 'keypair' };
    if (host.keypairId === null) throw kpsErrors.missing('server.auth (the host has no key pair bound: give a password, or a private key that logs in)');
    const bound = await this.repo.keypairById(host.keypairId);
    if (!bound) throw kpsErrors.invalid('server.auth', 'the key pair bound to this host no longer exists: give a password or a private key');
    if (bound.privateSealed === null) throw kpsErrors.invalid('server.auth', `the bound key pair ${JSON.stringify(bound.name)} is not managed, so its private key is not held here: give it in server.auth.key, or a password`);
    return { auth: { privateKey: await this.keypairs.privateKeyOf(caller, bound) }, type: 'keypair' };
  }

  private newTask(caller: Caller, host: HostRow, keypairName: string, operateType: OperateType): TaskRow {
    const now = this.opts.now();
    return {
      taskId: randomUUID(),
      projectId: caller.projectId,
      domainId: caller.domainId,
      userId: caller.userId,
      hostId: host.hostId,
      serverName: host.name,
      keypairName,
      operateType,
      state: 'RUNNING',
      errorCode: null,
      errorMsg: null,
      taskTime: now,
      leaseUntil: this.lease(),
      updateTime: now,
    };
  }

  /** POST /keypairs/associate: RESET (password) or REPLACE (the key that logs in now). */
  async associate(caller: Caller, keypairName: string, server: ServerSpec): Promise<{ task_id: string }> {
    const plan = await this.planAssociate(caller, keypairName, server);
    await this.repo.insertTask(plan.task);
    this.start(plan);
    return { task_id: plan.task.taskId };
  }

  private async planAssociate(caller: Caller, keypairName: string, server: ServerSpec): Promise<Plan> {
    const keypair = await this.keypairs.get(caller, keypairName);
    const host = await this.hosts.get(caller, server.id);
    await this.assertIdle(host);
    const login = await this.loginOf(caller, host, server.auth);
    const task = this.newTask(caller, host, keypair.name, login.type === 'password' ? 'RESET' : 'REPLACE');
    return { task, host, keypair, auth: login.auth, port: server.port ?? host.port, disablePassword: server.disable_password };
  }

  /** POST /keypairs/batch-associate: one key pair onto up to 10 hosts; each host gets its own task or the reason it got none. */
  async batchAssociate(caller: Caller, bodies: { keypair_name: string; server: ServerSpec }[]): Promise<{ tasks: Record<string, unknown>[] }> {
    const names = new Set(bodies.map((b) => b.keypair_name));
    if (names.size !== 1) throw kpsErrors.invalid('batch_keypairs', 'every entry must bind the same key pair');
    const ids = bodies.map((b) => b.server.id);
    if (new Set(ids).size !== ids.length) throw kpsErrors.invalid('batch_keypairs', 'a host may appear once');
    const tasks: Record<string, unknown>[] = [];
    for (const b of bodies) {
      try {
        const { task_id } = await this.associate(caller, b.keypair_name, b.server);
        tasks.push({ task_id, server_id: b.server.id, status: 'SUCCESS' });
      } catch (e) {
        // A refusal is this host's answer; anything else (the database failing) fails the batch.
        if (!(e instanceof DewError)) throw e;
        tasks.push({ task_id: null, server_id: b.server.id, status: 'FAILED', error_code: e.code, error_msg: e.message });
      }
    }
    return { tasks };
  }

  /** POST /keypairs/disassociate: removes the bound key pair's public key from the host. */
  async disassociate(caller: Caller, server: ServerSpec): Promise<{ task_id: string }> {
    const host = await this.hosts.get(caller, server.id);
    if (host.keypairName === null || host.boundPublicKey === null) throw kpsErrors.invalid('server.id', `the host ${JSON.stringify(host.name)} has no key pair bound`);
    await this.assertIdle(host);
    const login = await this.loginOf(caller, host, server.auth);
    const task = this.newTask(caller, host, host.keypairName, 'UNBIND');
    await this.repo.insertTask(task);
    this.start({ task, host, auth: login.auth, port: server.port ?? host.port });
    return { task_id: task.taskId };
  }

  private start(plan: Plan): void {
    const p = this.run(plan).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private target(plan: Plan): HostTarget {
    return { address: plan.host.address, port: plan.port, username: plan.host.username, hostKey: plan.host.hostKey ?? undefined, sshdConfig: plan.host.sshdConfig, timeoutMs: this.opts.sshTimeoutMs };
  }

  private async run(plan: Plan): Promise<void> {
    const { task, host } = plan;
    const target = this.target(plan);
    try {
      let hostKey: string;
      if (task.operateType === 'UNBIND') {
        hostKey = (await removeAuthorizedKey(target, plan.auth, host.boundPublicKey!)).hostKey;
        await this.repo.forceUpdateHost(host.hostId, { keypairId: null, keypairName: null, boundPublicKey: null, hostKey: pinnedHostKey(hostKey).line, updateTime: this.opts.now() });
      } else {
        const line = plan.keypair!.publicKey;
        hostKey = host.boundPublicKey ? (await replaceAuthorizedKey(target, plan.auth, host.boundPublicKey, line)).hostKey : (await addAuthorizedKey(target, plan.auth, line)).hostKey;
        // The key is in place: from here on the host is bound, even if the password step fails.
        const pinned = { ...target, hostKey: pinnedHostKey(hostKey).line };
        await this.repo.forceUpdateHost(host.hostId, { keypairId: plan.keypair!.id, keypairName: plan.keypair!.name, boundPublicKey: line, hostKey: pinned.hostKey, updateTime: this.opts.now() });
        if (plan.disablePassword !== undefined) {
          await setPasswordLogin(pinned, plan.auth, !plan.disablePassword);
          await this.repo.forceUpdateHost(host.hostId, { passwordDisabled: plan.disablePassword ? 1 : 0, updateTime: this.opts.now() });
        }
      }
      await this.repo.updateTask(task.taskId, { state: 'SUCCESS', updateTime: this.opts.now() });
    } catch (e) {
      const code = e instanceof HostError ? HOST_ERROR_CODES[e.code] ?? 'KPS.1006' : 'KPS.0101';
      const msg = e instanceof HostError ? e.message : 'internal error while running the task';
      if (!(e instanceof HostError)) this.opts.log(JSON.stringify({ level: 'error', msg: 'kps task failed', task_id: task.taskId, error: (e as Error)?.name }));
      await this.repo.updateTask(task.taskId, { state: 'FAILED', errorCode: code, errorMsg: msg, updateTime: this.opts.now() }).catch(() => undefined);
    }
  }

  /** GET /tasks/{task_id}: `task_status` as the reference spells it (`SUCCESS_RESET`, `FAILED_UNBIND`, …). */
  async get(caller: Caller, taskId: string): Promise<Record<string, unknown>> {
    await this.repo.failExpired(caller.projectId, this.opts.now(), INTERRUPTED_MESSAGE);
    const t = await this.repo.task(caller.projectId, taskId);
    if (!t) throw kpsErrors.taskNotFound(taskId);
    const out: Record<string, unknown> = { server_id: t.hostId, task_id: t.taskId, task_status: `${t.state}_${t.operateType}` };
    if (t.state === 'FAILED') Object.assign(out, { task_error_code: t.errorCode, task_error_msg: t.errorMsg });
    return out;
  }

  /** GET /running-tasks and /failed-tasks (limit, offset). */
  async list(caller: Caller, which: 'running' | 'failed', limit: number, offset: number): Promise<Record<string, unknown>> {
    await this.repo.failExpired(caller.projectId, this.opts.now(), INTERRUPTED_MESSAGE);
    const { total, tasks } = await this.repo.listTasks(caller.projectId, which === 'running' ? ['READY', 'RUNNING'] : ['FAILED'], offset, limit);
    return {
      total,
      tasks: tasks.map((t) => ({
        task_id: t.taskId,
        operate_type: which === 'failed' ? `FAILED_${t.operateType}` : t.operateType,
        task_time: t.taskTime,
        server_name: t.serverName,
        server_id: t.hostId,
        keypair_name: t.keypairName,
        ...(which === 'failed' ? { task_error_code: t.errorCode, task_error_msg: t.errorMsg } : {}),
      })),
    };
  }

  /** DELETE /failed-tasks[/{task_id}]. */
  async deleteFailed(caller: Caller, taskId?: string): Promise<void> {
    const n = await this.repo.deleteFailed(caller.projectId, taskId);
    if (taskId !== undefined && n === 0) throw kpsErrors.taskNotFound(taskId);
  }

  /** Waits for the tasks in flight (each SSH step is bounded by its timeout). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
