/**
 * Operator commands that open the database directly, as the daemon does, without serving:
 * `dew rotate --due` (the scheduler's jobs once, for hosts that prefer the system crontab) and
 * `dew audit verify`. Loaded by the CLI at run time; flags as the daemon's (`--db`, `--data-dir`).
 */
import { openDatabase } from './store/db.js';
import { IdentityRepo } from './store/identity-repo.js';
import { KeyRepo } from './store/key-repo.js';
import { AuditRepo } from './store/audit-repo.js';
import { LifecycleRepo } from './store/lifecycle-repo.js';
import { SoftwareHsm } from './hsm/software-hsm.js';
import { AuditLog } from './services/audit.js';
import { verifyTrail } from './services/audit-verify.js';
import { LifecycleJobs } from './scheduler/jobs.js';
import { openMaster, sealConfigOf } from './seal/open-master.js';
import { MasterKeyRepo } from './store/master-key-repo.js';
import { parseDaemonArgs, ConfigError } from './config.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface OfflineIo {
  out: (text: string) => void;
  log: (line: string) => void;
  now?: () => number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The file of a `file:` database URL that does not exist (opening it would create an empty one), else undefined. */
function missingFile(dbUrl: string): string | undefined {
  if (!dbUrl.startsWith('file:')) return undefined;
  const path = dbUrl.startsWith('file://') ? fileURLToPath(dbUrl) : dbUrl.slice('file:'.length).split('?')[0];
  return existsSync(path) ? undefined : path;
}

/** Runs the lifecycle jobs once; prints the report as JSON. Exit 0, or 1 when any item failed, 2 on bad flags. */
export async function runDueJobs(argv: readonly string[], env: Env, cwd: string, io: OfflineIo): Promise<number> {
  const now = io.now ?? Date.now;
  let config;
  try {
    config = parseDaemonArgs(argv, env, cwd);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.log(`dew rotate: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const absent = missingFile(config.dbUrl);
  if (absent) {
    io.log(`dew rotate: no database at ${absent} (give the daemon's --data-dir DIR or --db URL)`);
    return 1;
  }
  const database = await openDatabase(config.dbUrl);
  try {
    const identityRepo = new IdentityRepo(database.db, now);
    const keyRepo = new KeyRepo(database.db, now);
    const opened = await openMaster(new MasterKeyRepo(database.client), identityRepo, sealConfigOf(config));
    if (opened.state !== 'ready') {
      io.log(`dew rotate: this database's master key is split into shares (shamir mode): no single command holds it; the unsealed daemon's scheduler runs these jobs`);
      return 2;
    }
    const hsm = new SoftwareHsm(opened.master, {
      ensurePartitionRoot: (id, w, check) => identityRepo.ensurePartitionRoot(id, w, check),
      loadPartitionRoot: (id) => identityRepo.loadPartitionRoot(id),
      loadMaterial: (id, v) => keyRepo.loadMaterial(id, v),
    }, { derivedBase: opened.derivedBase });
    await hsm.init();
    const repo = new LifecycleRepo(database.db, now);
    await repo.detectCleanupTables();
    const audit = config.audit ? new AuditLog(new AuditRepo(database.db, database.client), { now, log: io.log, writer: 'cli' }) : undefined;
    const report = await new LifecycleJobs({ repo, hsm, audit, now, log: () => undefined }).runDue();
    await audit?.close();
    hsm.wipe();
    io.out(JSON.stringify(report, null, 2) + '\n');
    return report.failed.length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof ConfigError || (err as Error).name === 'WrongPassphraseError' || (err as Error).name === 'TokenUnavailableError') {
      io.log(`dew rotate: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  } finally {
    database.close();
  }
}

/** Verifies every audit chain; prints the report. Exit 0 when intact, 1 naming the first bad record. */
export async function runAuditVerify(argv: readonly string[], env: Env, cwd: string, io: OfflineIo): Promise<number> {
  let config;
  try {
    config = parseDaemonArgs(argv, env, cwd);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.log(`dew audit verify: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const missing = missingFile(config.dbUrl);
  if (missing) {
    io.log(`dew audit verify: no database at ${missing} (give the daemon's --data-dir DIR or --db URL, or run without them to verify through the daemon)`);
    return 1;
  }
  const database = await openDatabase(config.dbUrl);
  try {
    const report = await verifyTrail(new AuditRepo(database.db, database.client));
    io.out(JSON.stringify(report, null, 2) + '\n');
    if (!report.ok && report.first_bad) {
      const b = report.first_bad;
      io.log(`dew audit verify: the trail is broken at record ${b.chain_seq} of chain ${b.chain_id}${b.seq ? ` (trail position ${b.seq}${b.request_id ? `, request ${b.request_id}` : ''})` : ''}: ${b.reason}`);
    }
    return report.ok ? 0 : 1;
  } finally {
    database.close();
  }
}
