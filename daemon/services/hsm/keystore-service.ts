/**
 * Keystores (reference 1h, `/v1.0/{project_id}/keystores`): a DHSM keystore on an HSM instance
 * that has none; keys created with its `keystore_id` live in that instance's partition. Enable and
 * disable (a disabled keystore's keys refuse use), delete only when it holds no key. Keystore `0`
 * is the default one and is not listed, changed or deleted here.
 */
import { randomUUID } from 'node:crypto';
import { kmsErrors, keystoreErrors } from '../../errors.js';
import type { HsmRepo, KeystoreRow } from '../../store/hsm-repo.js';
import type { Caller } from '../caller.js';
import { DEFAULT_KEYSTORE } from '../keystores.js';
import type { HsmRegistry } from './registry.js';

export interface CreateKeystore {
  keystore_alias: string;
  keystore_type?: string;
  hsm_cluster_id?: string;
  hsm_ca_cert?: string;
  cluster_id?: string;
}

export class KeystoreService {
  constructor(
    private readonly repo: HsmRepo,
    private readonly registry: HsmRegistry,
    private readonly now: () => number,
  ) {}

  async create(caller: Caller, input: CreateKeystore): Promise<{ keystore: { keystore_id: string; domain_id: string } }> {
    const type = input.keystore_type ?? 'DHSM';
    if (type !== 'DHSM') {
      throw kmsErrors.invalidAs('keystore_type', `only DHSM keystores can be created (keystore 0 is the DEFAULT one; dew has no CDMS clusters), not ${JSON.stringify(type.slice(0, 16))}`);
    }
    const hsmId = input.hsm_cluster_id;
    if (!hsmId) throw kmsErrors.missingAs('hsm_cluster_id', 'the HSM instance the keystore is made on');
    const inst = await this.repo.instance(hsmId);
    if (!inst || inst.projectId !== caller.projectId) throw keystoreErrors.instanceUnavailable(hsmId.slice(0, 64), 'does not exist');
    if (inst.status !== 'RUNNING') throw keystoreErrors.instanceUnavailable(hsmId, `is ${inst.status}: a keystore needs a RUNNING instance`);
    const row: KeystoreRow = {
      keystoreId: randomUUID(),
      projectId: caller.projectId,
      domainId: caller.domainId,
      keystoreAlias: input.keystore_alias,
      keystoreType: type,
      hsmId,
      state: 'ENABLED',
      createTime: this.now(),
    };
    const outcome = await this.repo.insertKeystore(row);
    if (outcome === 'alias') throw keystoreErrors.aliasExists();
    if (outcome === 'taken') {
      const other = await this.repo.keystoreOfInstance(hsmId);
      throw keystoreErrors.instanceUnavailable(hsmId, `already has keystore ${other?.keystoreId ?? '(another)'}`);
    }
    if (outcome === 'instance') throw keystoreErrors.instanceUnavailable(hsmId, 'stopped RUNNING while the keystore was being made');
    this.registry.putKeystore(row);
    return { keystore: { keystore_id: row.keystoreId, domain_id: row.domainId } };
  }

  async list(caller: Caller, limit: number, offset: number): Promise<{ total: number; keystores: Record<string, unknown>[] }> {
    const { rows, total } = await this.repo.listKeystores(caller.projectId, limit, offset);
    const out: Record<string, unknown>[] = [];
    for (const r of rows) out.push(await this.view(r));
    return { total, keystores: out };
  }

  async show(caller: Caller, keystoreId: string): Promise<{ keystore: Record<string, unknown> }> {
    return { keystore: await this.view(await this.own(caller, keystoreId)) };
  }

  async setEnabled(caller: Caller, keystoreId: string, enabled: boolean): Promise<{ keystore: { keystore_id: string; keystore_state: string } }> {
    const row = await this.own(caller, keystoreId);
    const state = enabled ? 'ENABLED' : 'DISABLED';
    if (!(await this.repo.setKeystoreState(keystoreId, state))) throw keystoreErrors.notFound();
    this.registry.putKeystore({ ...row, state });
    return { keystore: { keystore_id: keystoreId, keystore_state: state } };
  }

  async delete(caller: Caller, keystoreId: string): Promise<void> {
    await this.own(caller, keystoreId);
    const { deleted, keys } = await this.repo.deleteKeystore(keystoreId);
    if (!deleted) throw keystoreErrors.holdsKeys(keys);
    this.registry.removeKeystore(keystoreId);
  }

  private async own(caller: Caller, keystoreId: string): Promise<KeystoreRow> {
    if (keystoreId === DEFAULT_KEYSTORE) throw keystoreErrors.defaultKeystore();
    const row = await this.repo.keystore(keystoreId);
    if (!row || row.projectId !== caller.projectId) throw keystoreErrors.notFound();
    return row;
  }

  private async view(r: KeystoreRow): Promise<Record<string, unknown>> {
    return {
      keystore_id: r.keystoreId,
      domain_id: r.domainId,
      keystore_alias: r.keystoreAlias,
      keystore_type: r.keystoreType,
      hsm_cluster_id: r.hsmId,
      cluster_id: r.hsmId,
      keystore_state: r.state,
      key_count: (await this.repo.keysIn(r.keystoreId)).length,
      create_time: String(r.createTime),
    };
  }
}
