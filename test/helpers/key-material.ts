/**
 * Reads a key's raw material straight from a daemon's database (master key → partition root →
 * material), so tests can check the daemon's MACs against an independent implementation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { open } from '../../daemon/hsm/aead.js';
import { unsealMasterKey, type SealedMasterKey } from '../../daemon/hsm/master-key.js';

/** The clear material of one key version; `passphrase` when the master key is sealed in the database. */
export async function readKeyMaterial(opts: { dbUrl: string; dataDir: string; passphrase?: string; keyId: string; version?: number }): Promise<Buffer> {
  const db = createClient({ url: opts.dbUrl });
  try {
    let master: Buffer;
    if (opts.passphrase) {
      const row = (await db.execute({ sql: 'SELECT value FROM meta WHERE name = ?', args: ['master_key_sealed'] })).rows[0];
      master = unsealMasterKey(JSON.parse(String(row!.value)) as SealedMasterKey, opts.passphrase);
    } else {
      master = Buffer.from(readFileSync(join(opts.dataDir, 'master.key'), 'utf8').trim(), 'hex');
    }
    const key = (await db.execute({ sql: 'SELECT partition_id FROM keys WHERE key_id = ?', args: [opts.keyId] })).rows[0];
    const partitionId = String(key!.partition_id);
    const rootRow = (await db.execute({ sql: 'SELECT root_wrapped FROM partitions WHERE partition_id = ?', args: [partitionId] })).rows[0];
    const root = open(master, Buffer.from(rootRow!.root_wrapped as ArrayBuffer), `dew/partition-root/v1|${partitionId}`);
    const version = opts.version ?? 1;
    const matRow = (await db.execute({ sql: 'SELECT material_wrapped FROM key_versions WHERE key_id = ? AND version = ?', args: [opts.keyId, version] })).rows[0];
    return open(root, Buffer.from(matRow!.material_wrapped as ArrayBuffer), `dew/key-material/v1|${opts.keyId}|${version}`);
  } finally {
    db.close();
  }
}
