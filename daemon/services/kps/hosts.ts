/**
 * SSH hosts that key pairs are bound to (dew's own resource; the reference binds to its own
 * servers). A host's SSH host key is pinned when it is registered (given) or on the first task
 * that reaches it, and then required: a changed key refuses every task (daemon/kps/ssh-host.ts).
 */
import { randomUUID } from 'node:crypto';
import { kpsErrors } from '../../errors.js';
import type { HostRow, KpsRepo } from '../../store/kps-repo.js';
import type { Caller } from '../caller.js';
import { KeyFormatError, parsePublicKey } from '../../kps/key-formats.js';

export interface HostInput {
  name: string;
  address: string;
  port?: number;
  username: string;
  host_key?: string;
  sshd_config?: string;
  description?: string;
}

export const DEFAULT_SSHD_CONFIG = '/etc/ssh/sshd_config';

/** A host key as pinned: "type base64" (no comment), with its fingerprint. */
export function pinnedHostKey(text: string): { line: string; fingerprint: string } {
  try {
    const info = parsePublicKey(text);
    const [type, blob] = info.openssh.split(/\s+/);
    return { line: `${type} ${blob}`, fingerprint: info.fingerprint };
  } catch (e) {
    if (e instanceof KeyFormatError) throw kpsErrors.badKey('host_key', e.message);
    throw e;
  }
}

export class HostService {
  constructor(
    private readonly repo: KpsRepo,
    private readonly now: () => number,
  ) {}

  toEntity(h: HostRow): Record<string, unknown> {
    return {
      id: h.hostId,
      name: h.name,
      address: h.address,
      port: h.port,
      username: h.username,
      host_key: h.hostKey,
      host_key_fingerprint: h.hostKey ? pinnedHostKey(h.hostKey).fingerprint : null,
      sshd_config: h.sshdConfig,
      description: h.description,
      keypair_name: h.keypairName,
      password_disabled: h.passwordDisabled === 1,
      create_time: h.createTime,
      update_time: h.updateTime,
    };
  }

  async get(caller: Caller, idOrName: string): Promise<HostRow> {
    const h = await this.repo.host(caller.projectId, idOrName);
    if (!h) throw kpsErrors.hostNotFound(idOrName);
    return h;
  }

  async create(caller: Caller, input: HostInput): Promise<Record<string, unknown>> {
    const now = this.now();
    const row: HostRow = {
      hostId: randomUUID(),
      projectId: caller.projectId,
      domainId: caller.domainId,
      name: input.name,
      address: input.address,
      port: input.port ?? 22,
      username: input.username,
      hostKey: input.host_key === undefined ? null : pinnedHostKey(input.host_key).line,
      sshdConfig: input.sshd_config ?? DEFAULT_SSHD_CONFIG,
      description: input.description ?? '',
      keypairId: null,
      keypairName: null,
      boundPublicKey: null,
      passwordDisabled: 0,
      createTime: now,
      updateTime: now,
      revision: 1,
    };
    if (!(await this.repo.insertHost(row))) throw kpsErrors.hostExists(input.name);
    return { host: this.toEntity(row) };
  }

  async list(caller: Caller, offset: number, limit: number): Promise<Record<string, unknown>> {
    const { total, hosts } = await this.repo.listHosts(caller.projectId, offset, limit);
    return { total, hosts: hosts.map((h) => this.toEntity(h)) };
  }

  /** PUT /hosts/{id}: a new host_key re-pins the host (after a legitimate reinstall, say). */
  async update(caller: Caller, idOrName: string, input: Partial<Omit<HostInput, 'name'>>): Promise<Record<string, unknown>> {
    const h = await this.get(caller, idOrName);
    const set: Partial<HostRow> = { updateTime: this.now() };
    if (input.address !== undefined) set.address = input.address;
    if (input.port !== undefined) set.port = input.port;
    if (input.username !== undefined) set.username = input.username;
    if (input.host_key !== undefined) set.hostKey = pinnedHostKey(input.host_key).line;
    if (input.sshd_config !== undefined) set.sshdConfig = input.sshd_config;
    if (input.description !== undefined) set.description = input.description;
    if (!(await this.repo.updateHost(h.hostId, h.revision, set))) throw kpsErrors.busy(`The host ${JSON.stringify(h.name)} changed meanwhile; try again.`);
    return { host: this.toEntity({ ...h, ...set }) };
  }

  /** Refused while a key pair is bound (unbind first) or a task runs on it. */
  async delete(caller: Caller, idOrName: string): Promise<void> {
    const h = await this.get(caller, idOrName);
    if (h.keypairName !== null) throw kpsErrors.busy(`The host ${JSON.stringify(h.name)} has the key pair ${JSON.stringify(h.keypairName)} bound: unbind it first.`);
    if ((await this.repo.activeTasksOfHost(h.hostId, this.now())).length > 0) throw kpsErrors.busy(`A task is running on the host ${JSON.stringify(h.name)}.`);
    await this.repo.deleteHost(h.hostId);
  }
}
