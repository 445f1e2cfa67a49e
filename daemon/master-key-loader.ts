/**
 * Finds the master key at start: a dev key file in the data dir (mode 0600), or a passphrase-sealed
 * blob kept in the database (so every daemon sharing it can unseal it). A key check value in the
 * database stops a daemon from running with a different master key than the one the data was made with.
 */
import { readFileSync, writeFileSync, existsSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityRepo } from './store/identity-repo.js';
import { generateMasterKey, sealMasterKey, unsealMasterKey, keyCheckValue, checkValueMatches, type SealedMasterKey } from './hsm/master-key.js';
import { ConfigError } from './config.js';

const KCV = 'master_key_check';
const SEALED = 'master_key_sealed';

function readKeyFile(path: string): Buffer | undefined {
  if (!existsSync(path)) return undefined;
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ConfigError(`${path}: not a master key file (64 hex characters expected)`);
  return Buffer.from(hex, 'hex');
}

export async function loadMasterKey(repo: IdentityRepo, dataDir: string, passphrase: string | undefined): Promise<{ master: Buffer; mode: 'dev' | 'sealed' }> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyFile = join(dataDir, 'master.key');
  const sealed = await repo.getMeta(SEALED);
  let master: Buffer;
  let mode: 'dev' | 'sealed';
  if (passphrase) {
    mode = 'sealed';
    if (sealed) {
      master = unsealMasterKey(JSON.parse(sealed) as SealedMasterKey, passphrase);
    } else {
      // First sealed start: adopt the dev key this database was made with, if there is one.
      master = readKeyFile(keyFile) ?? generateMasterKey();
      const stored = await repo.ensureMeta(SEALED, JSON.stringify(sealMasterKey(master, passphrase)));
      master = unsealMasterKey(JSON.parse(stored) as SealedMasterKey, passphrase);
    }
  } else {
    mode = 'dev';
    if (sealed) {
      throw new ConfigError('this database\'s master key is sealed by a passphrase: set DEW_MASTER_PASSPHRASE to start the daemon');
    }
    const existing = readKeyFile(keyFile);
    if (existing) {
      master = existing;
    } else {
      master = generateMasterKey();
      try {
        writeFileSync(keyFile, master.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        // Another daemon on this data dir wrote it first: use theirs.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        master = readKeyFile(keyFile) as Buffer;
      }
    }
    chmodSync(keyFile, 0o600);
  }
  const kcv = await repo.ensureMeta(KCV, keyCheckValue(master));
  if (!checkValueMatches(master, kcv)) {
    master.fill(0);
    throw new ConfigError(
      mode === 'dev'
        ? `${keyFile} is not the master key this database was created with: copy the right master.key into the data dir, or start with DEW_MASTER_PASSPHRASE`
        : 'the sealed master key does not match this database',
    );
  }
  return { master, mode };
}
