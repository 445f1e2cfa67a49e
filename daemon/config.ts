/** Daemon configuration from command-line flags and the environment (parsed here, used in main). */
import { resolve, join } from 'node:path';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DEFAULT_SCHEDULE, scheduleProblem } from './scheduler/cron-schedule.js';

export interface DaemonConfig {
  host: string;
  port: number;
  dataDir: string;
  dbUrl: string;
  region: string;
  keyQuota: number;
  /** How often to pick up changes other daemons made (ms). */
  syncIntervalMs: number;
  passphrase?: string;
  /** Cron expression of the lifecycle jobs (rotation, deletions, material expiry), or "off". */
  schedule: string;
  /** The audit trail; off only to measure what it costs. */
  audit: boolean;
  /** How often queued data-path audit records are written (ms): what a killed daemon may lose, against fewer, larger writes. */
  auditFlushMs: number;
  /** How long an idle keep-alive connection stays open (ms): above common client pools (Go, Java SDKs keep 60 s or more). */
  keepAliveTimeoutMs: number;
  /** The PKCS#11 library HSM instances of specification `pkcs11` get their tokens from (absent: none can be made); also the pkcs11 seal mode's. */
  pkcs11Library?: string;
  /** `--seal` / DEW_SEAL: how a new database keeps its master key (checked against an existing one's mode). */
  seal?: 'dev' | 'passphrase' | 'shamir' | 'pkcs11';
  /** `--pkcs11-token LABEL` / DEW_PKCS11_TOKEN: the token whose key wraps the master key (pkcs11 seal mode). */
  pkcs11Token?: string;
  /** DEW_PKCS11_PIN (never a flag): the user PIN of that token. */
  pkcs11Pin?: string;
  /** `--workers N` / DEW_WORKERS: processes serving the one listening address (1: a single process, no cluster). */
  workers?: number;
  /** Whether the worker count was asked for (flag or environment) rather than the default. */
  workersExplicit?: boolean;
}

/** The most workers `--workers` takes. */
export const MAX_WORKERS = 64;
/** Without `--workers`: one worker a core (node's availableParallelism), at most MAX_WORKERS. */
export const DEFAULT_WORKERS = Math.max(1, Math.min(MAX_WORKERS, availableParallelism()));

const SEAL_MODES: readonly string[] = Object.freeze(['dev', 'passphrase', 'shamir', 'pkcs11']);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function flagValue(argv: readonly string[], i: number, name: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new ConfigError(`${name} needs a value`);
  return v;
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (loopback: a host-less address never opens the daemon to
 * every interface; say 0.0.0.0 for that). Port 0 picks a free one.
 */
export function parseListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const hostPart = colon >= 0 ? listen.slice(0, colon) : '';
  const host = colon === 0 ? '127.0.0.1' : hostPart.replace(/^\[|\]$/g, '');
  const portText = listen.slice(colon + 1);
  const port = Number(portText);
  if (colon < 0 || !host || !/^\d+$/.test(portText) || port > 65535) throw new ConfigError(`--listen: HOST:PORT or :PORT expected, got ${listen}`);
  return { host, port };
}

/** Parses `--listen HOST:PORT`, `--data-dir DIR`, `--db URL`, `--region`, `--key-quota`, `--sync-interval MS`, `--schedule`, `--audit`, `--audit-flush MS`, `--keep-alive-timeout SECONDS`, `--pkcs11-library PATH`, `--seal MODE`, `--pkcs11-token LABEL`, `--workers N`. */
export function parseDaemonArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string): DaemonConfig {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('-') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const name = a.replace(/^--?/, '');
    if (!['listen', 'data-dir', 'db', 'region', 'key-quota', 'sync-interval', 'schedule', 'audit', 'audit-flush', 'keep-alive-timeout', 'pkcs11-library', 'seal', 'pkcs11-token', 'workers'].includes(name) || !a.startsWith('-')) {
      throw new ConfigError(`unknown argument ${argv[i]} (flags: --listen HOST:PORT --data-dir DIR --db URL --region NAME --key-quota N --sync-interval MS --schedule CRON|off --audit on|off --audit-flush MS --keep-alive-timeout SECONDS --pkcs11-library PATH --seal dev|passphrase|shamir|pkcs11 --pkcs11-token LABEL --workers N)`);
    }
    opts[name] = inline ?? flagValue(argv, i++, a);
  }
  const listen = opts.listen ?? env.DEW_LISTEN ?? '127.0.0.1:8787';
  const { host, port } = parseListen(listen);
  const dataDir = resolve(cwd, opts['data-dir'] ?? env.DEW_DATA_DIR ?? '.dew');
  const dbUrl = opts.db ?? env.DEW_DB ?? `file:${join(dataDir, 'dew.db')}`;
  if (!/^(file:|libsql:|https?:|wss?:)/.test(dbUrl)) throw new ConfigError(`--db: a file:, libsql://, http:// or ws:// URL expected, got ${dbUrl}`);
  const keyQuota = Number(opts['key-quota'] ?? env.DEW_KEY_QUOTA ?? 20);
  if (!Number.isInteger(keyQuota) || keyQuota < 1) throw new ConfigError('--key-quota: a positive integer expected');
  const syncIntervalMs = Number(opts['sync-interval'] ?? env.DEW_SYNC_INTERVAL_MS ?? 500);
  if (!Number.isInteger(syncIntervalMs) || syncIntervalMs < 10) throw new ConfigError('--sync-interval: at least 10 ms');
  const schedule = (opts.schedule ?? env.DEW_SCHEDULE ?? DEFAULT_SCHEDULE).trim();
  const problem = schedule === 'off' ? undefined : scheduleProblem(schedule);
  if (problem) throw new ConfigError(`--schedule: ${problem} (or "off" to run the jobs from the system crontab with \`dew rotate --due\`)`);
  const audit = opts.audit ?? env.DEW_AUDIT ?? 'on';
  if (audit !== 'on' && audit !== 'off') throw new ConfigError('--audit: on or off expected');
  const auditFlushMs = Number(opts['audit-flush'] ?? env.DEW_AUDIT_FLUSH_MS ?? 50);
  if (!Number.isInteger(auditFlushMs) || auditFlushMs < 10 || auditFlushMs > 10_000) throw new ConfigError('--audit-flush: 10 to 10000 ms');
  const keepAlive = Number(opts['keep-alive-timeout'] ?? env.DEW_KEEP_ALIVE_TIMEOUT ?? 65);
  if (!Number.isInteger(keepAlive) || keepAlive < 1 || keepAlive > 3600) throw new ConfigError('--keep-alive-timeout: 1 to 3600 seconds');
  const libraryArg = opts['pkcs11-library'] ?? (env.DEW_PKCS11_LIBRARY || undefined);
  const pkcs11Library = libraryArg === undefined ? undefined : resolve(cwd, libraryArg);
  if (pkcs11Library !== undefined && !existsSync(pkcs11Library)) throw new ConfigError(`--pkcs11-library: ${pkcs11Library} does not exist (the PKCS#11 module of the HSM, e.g. /usr/lib/softhsm/libsofthsm2.so)`);
  const seal = opts.seal ?? (env.DEW_SEAL || undefined);
  if (seal !== undefined && !SEAL_MODES.includes(seal)) throw new ConfigError(`--seal: one of ${SEAL_MODES.join(', ')} expected, got ${seal}`);
  const pkcs11Token = opts['pkcs11-token'] ?? (env.DEW_PKCS11_TOKEN || undefined);
  if (seal === 'pkcs11' && (!pkcs11Library || !pkcs11Token || !env.DEW_PKCS11_PIN)) {
    throw new ConfigError('--seal pkcs11 needs --pkcs11-library PATH (DEW_PKCS11_LIBRARY), --pkcs11-token LABEL (DEW_PKCS11_TOKEN) and the user PIN in DEW_PKCS11_PIN');
  }
  const workersText = opts.workers ?? (env.DEW_WORKERS || undefined);
  const workers = workersText === undefined ? DEFAULT_WORKERS : Number(workersText);
  if (!/^\d+$/.test(workersText ?? '1') || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new ConfigError(`--workers: 1 to ${MAX_WORKERS} processes expected (default ${DEFAULT_WORKERS}), got ${workersText}`);
  }
  return {
    workers,
    workersExplicit: workersText !== undefined,
    ...(seal ? { seal: seal as DaemonConfig['seal'] } : {}),
    ...(pkcs11Token ? { pkcs11Token } : {}),
    ...(env.DEW_PKCS11_PIN ? { pkcs11Pin: env.DEW_PKCS11_PIN } : {}),
    pkcs11Library,
    keepAliveTimeoutMs: keepAlive * 1000,
    auditFlushMs,
    schedule,
    audit: audit === 'on',
    host,
    port,
    dataDir,
    dbUrl,
    region: opts.region ?? env.DEW_REGION ?? 'local-1',
    keyQuota,
    syncIntervalMs,
    passphrase: env.DEW_MASTER_PASSPHRASE || undefined,
  };
}
