/**
 * Finds the master key at start, by the mode the database records (`master_key_mode`; on a
 * database made before modes were recorded: passphrase when a sealed blob is stored, else dev) or,
 * on a new database, by `--seal`: dev and passphrase exactly as before (master-key-loader.ts),
 * pkcs11 unwrapped by the token's key, shamir never at start (the daemon starts sealed, or
 * uninitialised on a new database). Also finishes a dev-mode rekey killed between its commit and
 * the rename of the new key file. A `--seal` that contradicts the database stops the start.
 */
import { existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityRepo } from '../store/identity-repo.js';
import type { MasterKeyRecords, MasterKeyMode, MasterKeyRepo } from '../store/master-key-repo.js';
import { loadMasterKey } from '../master-key-loader.js';
import { checkValueMatches, generateMasterKey, keyCheckValue } from '../hsm/master-key.js';
import { openDerivedBase, sealDerivedBase } from '../hsm/derived-keys.js';
import type { ShareScheme } from '../hsm/master-shares.js';
import { ConfigError, type DaemonConfig } from '../config.js';
import type { MasterWrapper } from './master-wrapper.js';
import { tokenMasterWrapper } from './token-master-wrapper.js';

/** The new dev key file of a rekey, renamed over master.key once the database took it. */
export const NEXT_KEY_FILE = 'master.key.next';

export interface SealConfig {
  dataDir: string;
  /** `--seal` / DEW_SEAL, when given. */
  seal?: MasterKeyMode;
  passphrase?: string;
  /** The token wrap of the pkcs11 mode, when the daemon is configured for it (`--pkcs11-library`, `--pkcs11-token`, DEW_PKCS11_PIN). */
  wrapper?: () => MasterWrapper;
}

/** What the daemon's configuration says of its master key (every entry point that opens it: daemon, cluster primary, offline commands). */
export function sealConfigOf(config: DaemonConfig): SealConfig {
  const { pkcs11Library: library, pkcs11Token: token, pkcs11Pin: pin } = config;
  return {
    dataDir: config.dataDir,
    seal: config.seal,
    passphrase: config.passphrase,
    wrapper: library && token && pin ? () => tokenMasterWrapper(library, token, pin) : undefined,
  };
}

export type OpenedMaster =
  | { state: 'ready'; mode: MasterKeyMode; master: Buffer; derivedBase?: Buffer; describe: string }
  | { state: 'sealed'; mode: 'shamir'; scheme: ShareScheme }
  | { state: 'uninitialised'; mode: 'shamir' };

/** The mode a database's records say (undefined: no master key yet). */
export function recordedMode(r: MasterKeyRecords): MasterKeyMode | undefined {
  if (r.mode) return r.mode;
  if (!r.check) return undefined;
  return r.passphrase ? 'passphrase' : 'dev';
}

export function parseScheme(text: string | undefined): ShareScheme {
  const s = JSON.parse(text ?? 'null') as ShareScheme | null;
  if (!s || !Number.isInteger(s.n) || !Number.isInteger(s.k) || typeof s.set !== 'string') throw new ConfigError('the database\'s share scheme record (meta master_key_shares) is damaged');
  return { n: s.n, k: s.k, set: s.set };
}

const DESCRIBE: Readonly<Record<MasterKeyMode, string>> = Object.freeze({
  dev: 'from data dir (dev mode)',
  passphrase: 'sealed by passphrase',
  shamir: 'rebuilt from shares',
  pkcs11: 'unwrapped by the PKCS#11 token',
});

export function describeMode(mode: MasterKeyMode): string {
  return DESCRIBE[mode];
}

/** A dev-mode rekey killed after its commit left the new key beside the old one: put it in place. A stale one (killed before) goes. */
function finishDevRekey(dataDir: string, check: string | undefined): void {
  const next = join(dataDir, NEXT_KEY_FILE);
  if (!existsSync(next) || !check) return;
  const key = (p: string) => (existsSync(p) ? Buffer.from(readFileSync(p, 'utf8').trim(), 'hex') : Buffer.alloc(0));
  const current = join(dataDir, 'master.key');
  const nextKey = key(next);
  const currentKey = key(current);
  try {
    if (nextKey.length === 32 && checkValueMatches(nextKey, check) && !(currentKey.length === 32 && checkValueMatches(currentKey, check))) renameSync(next, current);
    else unlinkSync(next);
  } finally {
    nextKey.fill(0);
    currentKey.fill(0);
  }
}

export async function openMaster(records: MasterKeyRepo, identity: IdentityRepo, c: SealConfig): Promise<OpenedMaster> {
  const r = await records.read();
  const mode = recordedMode(r);
  if (mode && c.seal && c.seal !== mode) {
    throw new ConfigError(`--seal ${c.seal}: this database's master key is in ${mode} mode; start with --seal ${mode} (or without --seal), or move it with \`dew operator rekey --to ${c.seal}\` on the running daemon`);
  }
  const wanted = mode ?? c.seal;
  // Whatever the mode: a dev rekey's key file the database took is put in place, one it never took removed.
  finishDevRekey(c.dataDir, r.check);
  if (wanted === 'shamir') {
    if (!r.check) return { state: 'uninitialised', mode: 'shamir' };
    return { state: 'sealed', mode: 'shamir', scheme: parseScheme(r.shares) };
  }
  if (wanted === 'pkcs11') {
    if (!c.wrapper) throw new ConfigError('--seal pkcs11 needs --pkcs11-library PATH (DEW_PKCS11_LIBRARY), --pkcs11-token LABEL (DEW_PKCS11_TOKEN) and the PIN in DEW_PKCS11_PIN');
    const wrapper = c.wrapper();
    if (!r.check) return initPkcs11(records, wrapper);
    const master = await wrapper.unwrap(r.pkcs11 ?? '');
    if (!checkValueMatches(master, r.check)) {
      master.fill(0);
      throw new ConfigError('the PKCS#11 token unwrapped a key that is not this database\'s master key (another token with the same label?)');
    }
    return { state: 'ready', mode: 'pkcs11', master, derivedBase: base(master, r), describe: DESCRIBE.pkcs11 };
  }
  // dev and passphrase: as they always were; a recorded dev mode ignores a passphrase in the environment.
  const passphrase = wanted === 'dev' ? undefined : c.passphrase;
  if (wanted === 'passphrase' && !passphrase && !r.passphrase) throw new ConfigError('--seal passphrase: set DEW_MASTER_PASSPHRASE');
  const { master, mode: legacy } = await loadMasterKey(identity, c.dataDir, passphrase);
  const actual: MasterKeyMode = legacy === 'dev' ? 'dev' : 'passphrase';
  return { state: 'ready', mode: actual, master, derivedBase: base(master, r), describe: DESCRIBE[actual] };
}

/** The derived-keys base: stored sealed under the master key since a rekey or an init, else the master key itself. */
function base(master: Buffer, r: MasterKeyRecords): Buffer | undefined {
  return r.derivedBase ? openDerivedBase(master, Buffer.from(r.derivedBase, 'base64')) : undefined;
}

/** A new database in pkcs11 mode: a fresh master key, wrapped by a new key inside the token, recorded in one transaction. */
async function initPkcs11(records: MasterKeyRepo, wrapper: MasterWrapper): Promise<OpenedMaster> {
  const master = generateMasterKey();
  const derivedBase = generateMasterKey();
  const record = await wrapper.wrap(master);
  await records.init({ mode: 'pkcs11', check: keyCheckValue(master), record, derivedBaseSealed: sealDerivedBase(master, derivedBase) });
  return { state: 'ready', mode: 'pkcs11', master, derivedBase, describe: DESCRIBE.pkcs11 };
}
