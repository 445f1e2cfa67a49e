/**
 * The master key's records in the `meta` table, and the two writes that change them: `init` (a
 * split master key for a new database) and `switchMaster` (a rekey). Each is one transaction
 * (libSQL batch), so a daemon killed at any point finds the old records or the new ones, whole.
 * A rekey's batch also refuses to commit when another daemon rekeyed or added a partition since
 * the roots were read: a guard row in `meta` is inserted first and any such change re-inserts it,
 * which fails the batch on the primary key and rolls everything back.
 */
import type { Client, InStatement } from '@libsql/client';

export type MasterKeyMode = 'dev' | 'passphrase' | 'shamir' | 'pkcs11';
export const MASTER_KEY_MODES: readonly MasterKeyMode[] = Object.freeze(['dev', 'passphrase', 'shamir', 'pkcs11']);

/** Meta names (the first two are today's: daemon/master-key-loader.ts). */
export const META = Object.freeze({
  check: 'master_key_check',
  passphrase: 'master_key_sealed',
  mode: 'master_key_mode',
  shares: 'master_key_shares',
  pkcs11: 'master_key_pkcs11',
  derivedBase: 'derived_base_sealed',
  guard: 'master_key_rekey_guard',
});

/** Every mode's own record: a switch deletes the ones the new mode does not use. */
const MODE_RECORDS: Readonly<Record<MasterKeyMode, string | undefined>> = Object.freeze({
  dev: undefined,
  passphrase: META.passphrase,
  shamir: META.shares,
  pkcs11: META.pkcs11,
});

export interface MasterKeyRecords {
  /** Absent on a database made before modes were recorded (then dev or passphrase, by the sealed blob). */
  mode?: MasterKeyMode;
  check?: string;
  /** The mode's own record (passphrase blob, share scheme, token wrap), as stored (JSON text). */
  passphrase?: string;
  shares?: string;
  pkcs11?: string;
  /** Base64 of the derived-keys base sealed under the master key; absent: the base is the master key. */
  derivedBase?: string;
}

export interface MasterSwitch {
  /** The check value the database must still hold (the rekey read it). */
  fromCheck: string;
  toCheck: string;
  mode: MasterKeyMode;
  /** The new mode's own record (JSON text); none for dev. */
  record?: string;
  derivedBaseSealed: Buffer;
  /** Every partition root, re-sealed under the new master key. */
  roots: readonly { partitionId: string; wrapped: Buffer }[];
}

/** Another daemon changed the master key or added a partition during the rekey; nothing was written. */
export class RekeyConflictError extends Error {
  constructor(cause: unknown) {
    super('the master key or the partitions changed during the rekey (another daemon?); nothing was changed, try again', { cause });
    this.name = 'RekeyConflictError';
  }
}

/** A database that already has a master key was asked to take a new one (`init`). */
export class AlreadyInitialisedError extends Error {
  constructor(cause?: unknown) {
    super('this database already has a master key', { cause });
    this.name = 'AlreadyInitialisedError';
  }
}

const isConstraint = (err: unknown): boolean => /UNIQUE|PRIMARY KEY|SQLITE_CONSTRAINT/i.test(`${(err as Error)?.message} ${(err as { code?: string })?.code ?? ''}`);

export class MasterKeyRepo {
  constructor(private readonly client: Client) {}

  async read(): Promise<MasterKeyRecords> {
    const names = [META.check, META.passphrase, META.mode, META.shares, META.pkcs11, META.derivedBase];
    const rs = await this.client.execute({ sql: `SELECT name, value FROM meta WHERE name IN (${names.map(() => '?').join(', ')})`, args: names });
    const by = new Map(rs.rows.map((r) => [String(r.name), String(r.value)]));
    const mode = by.get(META.mode);
    return {
      mode: MASTER_KEY_MODES.includes(mode as MasterKeyMode) ? (mode as MasterKeyMode) : undefined,
      check: by.get(META.check),
      passphrase: by.get(META.passphrase),
      shares: by.get(META.shares),
      pkcs11: by.get(META.pkcs11),
      derivedBase: by.get(META.derivedBase),
    };
  }

  /** The stored partition roots, as sealed under the current master key. */
  async loadRoots(): Promise<{ partitionId: string; wrapped: Buffer }[]> {
    const rs = await this.client.execute('SELECT partition_id, root_wrapped FROM partitions ORDER BY partition_id');
    return rs.rows.map((r) => ({ partitionId: String(r.partition_id), wrapped: Buffer.from(r.root_wrapped as ArrayBuffer) }));
  }

  /** A new database's master key records (no key yet): mode, check value, the mode's record, the sealed base. */
  async init(r: { mode: MasterKeyMode; check: string; record?: string; derivedBaseSealed: Buffer }): Promise<void> {
    const own = MODE_RECORDS[r.mode];
    const stmts: InStatement[] = [
      // A plain INSERT of the check value: a database that has one refuses the whole batch.
      { sql: 'INSERT INTO meta (name, value) VALUES (?, ?)', args: [META.check, r.check] },
      { sql: 'INSERT INTO meta (name, value) VALUES (?, ?)', args: [META.mode, r.mode] },
      { sql: 'INSERT INTO meta (name, value) VALUES (?, ?)', args: [META.derivedBase, r.derivedBaseSealed.toString('base64')] },
    ];
    if (own && r.record !== undefined) stmts.push({ sql: 'INSERT INTO meta (name, value) VALUES (?, ?)', args: [own, r.record] });
    try {
      await this.client.batch(stmts, 'write');
    } catch (err) {
      if (isConstraint(err)) throw new AlreadyInitialisedError(err);
      throw err;
    }
  }

  /** The whole rekey in one transaction: roots, check value, mode, the mode's record, the base; other modes' records deleted. */
  async switchMaster(s: MasterSwitch): Promise<void> {
    const upsert = (name: string, value: string): InStatement => ({
      sql: 'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      args: [name, value],
    });
    const ids = s.roots.map((r) => r.partitionId);
    const stmts: InStatement[] = [
      { sql: 'INSERT INTO meta (name, value) VALUES (?, ?)', args: [META.guard, 'rekey'] },
      // The check value the rekey started from must still be there; else the guard row is inserted twice.
      { sql: 'INSERT INTO meta (name, value) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM meta WHERE name = ? AND value = ?)', args: [META.guard, 'check', META.check, s.fromCheck] },
      // A partition added since the roots were read would keep a root under the old master key.
      {
        sql: `INSERT INTO meta (name, value) SELECT ?, ? FROM partitions WHERE partition_id NOT IN (${ids.map(() => '?').join(', ') || "''"}) LIMIT 1`,
        args: [META.guard, 'partition', ...ids],
      },
      ...s.roots.map((r): InStatement => ({ sql: 'UPDATE partitions SET root_wrapped = ? WHERE partition_id = ?', args: [r.wrapped, r.partitionId] })),
      upsert(META.check, s.toCheck),
      upsert(META.mode, s.mode),
      upsert(META.derivedBase, s.derivedBaseSealed.toString('base64')),
    ];
    const own = MODE_RECORDS[s.mode];
    if (own && s.record !== undefined) stmts.push(upsert(own, s.record));
    for (const other of Object.values(MODE_RECORDS)) {
      if (other && other !== own) stmts.push({ sql: 'DELETE FROM meta WHERE name = ?', args: [other] });
    }
    stmts.push({ sql: 'DELETE FROM meta WHERE name = ?', args: [META.guard] });
    try {
      await this.client.batch(stmts, 'write');
    } catch (err) {
      if (isConstraint(err)) throw new RekeyConflictError(err);
      throw err;
    }
  }
}
