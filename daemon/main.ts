/** Composition root: configuration, database, HSM, services, HTTP server, background sync, shutdown. */
import { writeFileSync, readFileSync, existsSync, renameSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { openDatabase, type Database } from './store/db.js';
import { KeyRepo } from './store/key-repo.js';
import { IdentityRepo } from './store/identity-repo.js';
import { SoftwareHsm } from './hsm/software-hsm.js';
import { KeyCache } from './services/key-cache.js';
import { ChangeFeed } from './services/change-feed.js';
import { KeyService } from './services/keys.js';
import { DataPlane } from './services/data-plane.js';
import { TagService } from './services/tags.js';
import { StackService } from './services/stacks.js';
import { StackRepo } from './store/stack-repo.js';
import { AliasRepo } from './store/alias-repo.js';
import { AliasService } from './services/aliases.js';
import { AsymmetricService } from './services/asymmetric.js';
import { KeyImportService } from './services/key-import.js';
import { IdentityService, type IssuedCredentials } from './services/identity.js';
import { GrantRepo } from './store/grant-repo.js';
import { GrantService } from './services/grants.js';
import { IamAdmin } from './services/iam-admin.js';
import { createApp } from './app.js';
import type { TokenMac } from './hsm/token-mac.js';
import { EncryptionService } from './services/encryption.js';
import { kmsModule } from './modules/kms/module.js';
import { iamModule } from './modules/iam/module.js';
import { stacksModule, liveModule } from './modules/stacks/module.js';
import { auditModule } from './modules/audit/module.js';
import { authModule } from './modules/auth/module.js';
import { kpsModule } from './modules/kps/module.js';
import { KpsRepo } from './store/kps-repo.js';
import { KeypairService, DEFAULT_KPS_QUOTAS } from './services/kps/keypairs.js';
import { PrivateKeyVault } from './services/kps/private-key-vault.js';
import { HostService } from './services/kps/hosts.js';
import { BindingTasks } from './services/kps/binding-tasks.js';
import { csmsModule } from './modules/csms/module.js';
import { assembleCsms } from './services/csms/assemble.js';
import { csmsEventRoutes, csmsPasswordRoute } from './modules/csms/event-routes.js';
import { hsmModule, keystoreModule } from './modules/hsm/module.js';
import { HsmRepo } from './store/hsm-repo.js';
import { HsmRegistry } from './services/hsm/registry.js';
import { HsmInstanceService } from './services/hsm/instances.js';
import { KeystoreService } from './services/hsm/keystore-service.js';
import { Pkcs11Backend } from './services/hsm/pkcs11-backend.js';
import { createAuditTrail, createGovernance, ownAuditTrail, type AuditTrail, keyChangeHandler } from './governance.js';
import type { AuditLog } from './services/audit.js';
import { GrantIndex } from './services/grant-index.js';
import { AliasIndex } from './services/alias-index.js';
import type { JobReport } from './scheduler/jobs.js';
import { openMaster, sealConfigOf } from './seal/open-master.js';
import { SealController } from './seal/seal-controller.js';
import { sealGate, InFlight, type GateServices } from './seal/gate.js';
import { SealJournal, sealEventRecord } from './seal/seal-journal.js';
import { SourceLimiter } from './seal/source-limiter.js';
import { RekeyService } from './seal/rekey.js';
import { tokenMasterWrapper } from './seal/token-master-wrapper.js';
import { MasterKeyRepo } from './store/master-key-repo.js';
import { sysModule } from './modules/sys/module.js';
import { consoleLinksModule, consoleSessionsModule } from './modules/console/module.js';
import { ConsoleRepo } from './store/console-repo.js';
import { ConsoleSignIn } from './services/console-sign-in.js';
import { TokenRevocations } from './services/token-revocations.js';
import { randomBytes } from 'node:crypto';
import type { RequestListener } from './http/op-lane.js';
import { parseDaemonArgs, ConfigError, type DaemonConfig } from './config.js';
import { loadSchemas } from '../schemas/index.js';
import { LockoutRepo } from './store/lockout-repo.js';
import { VerifyPool } from './hsm/asym/verify-pool.js';
import { AkLockout, LOCK_MS, LOCK_THRESHOLD } from './http/auth/ak-lockout.js';
import { lockoutAlarm } from './http/auth/lockout-alarm.js';
import { runPrimary, type Bootstrapped } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';
import { WORKER_ENV } from './cluster/messages.js';
import type { AuditChannel } from './cluster/audit-link.js';

export { ConfigError };

export interface RunningDaemon {
  url: string;
  config: DaemonConfig;
  credentials: IssuedCredentials & { endpoint: string };
  /** Stops accepting requests, finishes in-flight ones, closes the database. */
  close(): Promise<void>;
  /** Runs the scheduler's lifecycle jobs once now (what each cron tick does). */
  runJobs(): Promise<JobReport>;
}

export interface DaemonIo {
  log: (line: string) => void;
  now?: () => number;
  version?: string;
}

/**
 * A daemon serving as one worker of a cluster (daemon/cluster/): the primary migrated the database,
 * made the bootstrap admin, wrote credentials.json and logs the one "listening on" line, so the
 * worker does none of these; only the worker `runsScheduler` names runs the cron schedule.
 */
export interface WorkerRole {
  /** The cluster's worker count (`/healthz` reports it). */
  workers: number;
  runsScheduler: boolean;
  /** DEW_DEBUG_WORKER=1: every answer carries `x-dew-worker: PID` (tests find which worker answered). */
  debugHeader: boolean;
  /** The worker's link to the others through the primary (read-your-writes; daemon/cluster/write-barrier.ts). */
  link?: ClusterLink;
}

/** What the services of a cluster worker use to keep writes visible on every worker at once. */
export interface ClusterLink {
  /** Resolves once every other worker applied the changes committed so far (a write route awaits it before answering). */
  afterWrite(): Promise<void>;
  /** How this worker applies the change log when another worker wrote. */
  serveSync(apply: () => Promise<unknown>): void;
  /** An operator sealed this worker: every other worker seals too. */
  sealOthers(): void;
  /** How this worker seals when an operator sealed another one. */
  serveSeal(seal: () => void): void;
  /** The way to the cluster's one audit writer, in the primary (cluster/audit-link.ts). */
  audit: AuditChannel;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Writes credentials.json (mode 0600) atomically, only when it is missing or its contents changed. */
function writeCredentials(dataDir: string, creds: IssuedCredentials & { endpoint: string }): string {
  const path = join(dataDir, 'credentials.json');
  const text = JSON.stringify(creds, null, 2) + '\n';
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

/** What the services need from the daemon around them (the database is open, the server listens). */
interface AssemblyContext {
  config: DaemonConfig;
  io: DaemonIo;
  now: () => number;
  database: Database;
  /** The daemon's URL (credentials.json names it). */
  url: string;
  /** The seal state: the sys module seals through it and a rekey tells it the new mode. */
  seal: SealController<Services>;
  inFlight: InFlight;
  /** The worker count `/healthz` reports (absent: the field is left out, as an in-process daemon always did). */
  workers?: number;
  /** A cluster worker's link to the others (absent: one process). */
  link?: ClusterLink;
}

/** The running services of an unsealed daemon: built from the master key at start or at unseal, torn down at seal. */
interface Services extends GateServices {
  admin: IssuedCredentials;
  runJobs(): Promise<JobReport>;
  /** Stops background work, waits for `drain` (in-flight requests), closes the services and wipes the keys; the database stays open. */
  close(drain: () => Promise<void>): Promise<void>;
}

/**
 * The whole service assembly, from a master key (the HSM takes ownership of it and of the
 * derived-keys base, and wipes both at close). Runs at start (dev, passphrase, pkcs11) or at unseal
 * (shamir); new services are wired here.
 */
async function assembleServices(ctx: AssemblyContext, master: Buffer, derivedBase: Buffer | undefined): Promise<Services> {
  const { config, io, now, database } = ctx;
  let verifyPool: VerifyPool | undefined;
  let trail: AuditTrail | undefined;
  let hsmToWipe: SoftwareHsm | undefined;
  let tokens: Pkcs11Backend | undefined;
  try {
    const identityRepo = new IdentityRepo(database.db, now);
    const keyRepo = new KeyRepo(database.db, now);
    const grantRepo = new GrantRepo(database.db, now);
    const aliasRepo = new AliasRepo(database.db, now);
    // SM2 and ECDSA-over-a-digest verification on worker threads, off the event loop.
    verifyPool = VerifyPool.create();
    const hsm = new SoftwareHsm(
      master,
      {
        ensurePartitionRoot: (id, w, check) => identityRepo.ensurePartitionRoot(id, w, check),
        loadPartitionRoot: (id) => identityRepo.loadPartitionRoot(id),
        loadMaterial: (id, v) => keyRepo.loadMaterial(id, v),
      },
      { verifyPool, derivedBase },
    );
    hsmToWipe = hsm;
    await hsm.init();
    // HSM instances' partitions open before the keys are served (a key's keystore names its partition).
    const hsmRepo = new HsmRepo(database.db, now);
    tokens = config.pkcs11Library ? new Pkcs11Backend(config.pkcs11Library, { loadMaterial: (id, v) => keyRepo.loadMaterial(id, v) }) : undefined;
    const hsmRegistry = new HsmRegistry({ repo: hsmRepo, hsm, tokens, log: io.log });
    await hsmRegistry.load();

    const feed = new ChangeFeed(keyRepo);
    await feed.start();
    const cache = new KeyCache(keyRepo, () => feed.sync());
    const identity = new IdentityService(identityRepo, hsm, { region: config.region, now });
    await cache.load();
    await identity.load();
    // The audit trail, grant and alias indexes come first: KeyService consults them on every call.
    trail = createAuditTrail({ database, config, now, log: io.log, ...(ctx.link ? { cluster: ctx.link.audit } : {}) });
    const grantIndex = new GrantIndex(grantRepo);
    const aliasIndex = new AliasIndex(aliasRepo);
    await grantIndex.load();
    await aliasIndex.load();
    const keys = new KeyService(keyRepo, cache, hsm, { region: config.region, keyQuota: config.keyQuota, now, keystores: hsmRegistry }, { grants: grantIndex, aliases: aliasIndex, audit: trail.log });
    const grants = new GrantService(grantIndex, grantRepo, keys, identity, now);
    const iam = new IamAdmin(identityRepo, identity, hsm, { region: config.region, now, audit: trail.log });
    const data = new DataPlane(keys, hsm, now);
    const tags = new TagService(keys);
    const stacks = new StackService(new StackRepo(database.db), keys, now);
    const aliases = new AliasService(aliasIndex, aliasRepo, keys, { region: config.region, now });
    const asym = new AsymmetricService(keys, hsm, now);
    const imports = new KeyImportService(keys, keyRepo, cache, hsm, {
      now,
      warn: (message) => io.log(JSON.stringify({ level: 'warn', msg: message })),
    });
    // KPS reads and writes the database on every call (no cache), and seals managed private keys
    // through the KMS data plane; binding tasks run here and are waited for at shutdown.
    const kpsRepo = new KpsRepo(database.db);
    const keypairs = new KeypairService(kpsRepo, new PrivateKeyVault(data), { now, quotas: DEFAULT_KPS_QUOTAS, userExists: (domainId, userId) => identity.findUser(domainId, userId) !== undefined });
    const hosts = new HostService(kpsRepo, now);
    const kpsTasks = new BindingTasks(kpsRepo, keypairs, hosts, { now, sshTimeoutMs: KPS_SSH_TIMEOUT_MS, log: io.log });
    // CSMS, like KPS, answers from the database on every call; its scheduled work runs in the lifecycle ticks.
    const csms = assembleCsms({ db: database.db, data, hsm, now, log: io.log });
    // Notifications go out at once when raised; retries whose backoff has passed go out within seconds.
    const deliveryTimer = setInterval(() => {
      csms.events.deliverDue().catch((err) => io.log(JSON.stringify({ level: 'warn', msg: 'csms event delivery failed', error: (err as Error).message })));
    }, CSMS_DELIVERY_INTERVAL_MS);
    deliveryTimer.unref();
    const hsmInstances = new HsmInstanceService({ repo: hsmRepo, registry: hsmRegistry, hsm, tokens, now, log: io.log });
    await hsmInstances.recover();
    const hsmDeps = { instances: hsmInstances, keystores: new KeystoreService(hsmRepo, hsmRegistry, now), registry: hsmRegistry };
    const admin = await identity.ensureBootstrapAdmin();
    const gov = await createGovernance({ database, trail, hsm, feed, cache, keys, config, now, log: io.log, isOperatorAccount: (id) => identity.isOperatorAccount(id), serviceJobs: [csms.job] });

    // AK lockout per (AK, source): counts and locks shared through the database, mirrored from the
    // change feed; each lock raises the alarm (http/auth/lockout-alarm.ts).
    const lockoutRepo = new LockoutRepo(database.db, now);
    const lockout = new AkLockout(now, {
      threshold: LOCK_THRESHOLD,
      lockMs: LOCK_MS,
      shared: {
        store: lockoutRepo,
        onError: (err) => io.log(JSON.stringify({ level: 'warn', msg: 'shared AK lockout write failed; this daemon still counts on its own', error: err.message })),
      },
      onLock: lockoutAlarm({ audit: gov.audit, log: io.log, ownerOf: (ak) => identity.principal(ak) }),
    });
    for (const [key, s] of await lockoutRepo.loadActive()) lockout.merge(key, s);
    feed.on('ak_lockout', async (keys) => {
      const states = await lockoutRepo.load(keys);
      for (const key of keys) lockout.merge(key, states.get(key));
    });
    // Idle counts and ended locks are deleted, so strangers' tries do not pile up in the database.
    const pruneTimer = setInterval(() => {
      revocations.prune();
      lockoutRepo.prune(now(), LOCK_MS).catch((err) => io.log(JSON.stringify({ level: 'warn', msg: 'AK lockout prune failed', error: (err as Error).message })));
    }, LOCK_MS);
    pruneTimer.unref();

    // The edge MACs bearer tokens through the HSM; it never holds the key (hsm/token-mac.ts).
    const tokenKey: TokenMac = { macToken: (b) => hsm.macToken(b), verifyTokenMac: (b, m) => hsm.verifyTokenMac(b, m) };
    // Console sign-in links and token revocations (sign-out), shared through the database and the change feed.
    const revocations = new TokenRevocations(now);
    const signIn = new ConsoleSignIn({ repo: new ConsoleRepo(database.db, now), revocations, tokenKey, now, random: randomBytes, userName: (domainId, userId) => identity.findUser(domainId, userId)?.name });
    await signIn.loadRevoked();
    const modules = [
      kmsModule({ keys, data, encryption: new EncryptionService(data, asym), tags, asym, imports, grants, aliases, rotation: gov.rotation, grantIndex, aliasIndex, keyChanges: keyChangeHandler(cache, hsm) }),
      iamModule({ iam, identity }),
      stacksModule({ stacks }),
      liveModule({ stacks }),
      auditModule({ queries: gov.auditQueries }),
      authModule({ tokenKey, now }),
      kpsModule({ keypairs, hosts, tasks: kpsTasks }),
      csmsModule({ ...csms, eventRoutes: [...csmsEventRoutes(csms.events), csmsPasswordRoute] }),
      hsmModule(hsmDeps),
      keystoreModule(hsmDeps),
      consoleLinksModule({ signIn }),
      consoleSessionsModule({ signIn }),
      sysModule({
        rekey: new RekeyService({
          records: new MasterKeyRepo(database.client),
          hsm,
          dataDir: config.dataDir,
          switched: (mode, scheme) => ctx.seal.switched(mode, scheme),
          tokenWrapper: config.pkcs11Library ? (token, pin) => tokenMasterWrapper(config.pkcs11Library!, token, pin) : undefined,
          now,
          log: io.log,
          workers: ctx.workers,
        }),
        seal: () => {
          void ctx.seal.seal(() => ctx.inFlight.drained(), 'an operator sealed it with `dew operator seal`');
          ctx.link?.sealOthers();
          return ctx.seal.status();
        },
        isOperatorAccount: (id) => identity.isOperatorAccount(id),
      }),
    ];
    for (const m of modules) for (const [type, view] of Object.entries(m.liveViews ?? {})) stacks.addLiveView(type, view);
    for (const m of modules) for (const [type, find] of Object.entries(m.finders ?? {})) stacks.addFinder(type, find);

    const front = createApp({
      modules,
      lockout,
      revocations,
      identity,
      tokenKey,
      schemas: new Map([...loadSchemas('kms'), ...loadSchemas('dew'), ...loadSchemas('kps'), ...loadSchemas('csms'), ...loadSchemas('dhsm')]),
      now,
      version: io.version ?? packageVersion(),
      workers: ctx.workers,
      ...(ctx.link ? { afterWrite: ctx.link.afterWrite } : {}),
      audit: gov.audit,
      logError: (err, requestId) => io.log(JSON.stringify({ level: 'error', request_id: requestId, error: (err as Error)?.name, message: (err as Error)?.message })),
    });

    // createApp checked the modules (one handler per change kind among them): register theirs
    // beside the edge's lockout, then let changes flow.
    for (const m of modules) for (const [kind, reload] of Object.entries(m.feeds ?? {})) feed.on(kind, async (ids) => reload(ids));
    feed.open();
    ctx.link?.serveSync(() => feed.syncFresh());

    let syncing = true;
    const timer = setInterval(() => {
      if (syncing) feed.sync().catch((err) => io.log(JSON.stringify({ level: 'warn', msg: 'change sync failed', error: (err as Error).message })));
    }, config.syncIntervalMs);
    timer.unref();
    gov.start();

    return {
      listener: front.listener,
      recordSealEvents: (events) => {
        for (const e of events) gov.audit?.record(sealEventRecord(e, admin.domain_id));
      },
      admin,
      runJobs: () => gov.runJobs(),
      close: async (drain) => {
        syncing = false;
        clearInterval(timer);
        clearInterval(pruneTimer);
        await gov.stopScheduler();
        await drain();
        await lockout.settled();
        await kpsTasks.settled();
        await hsmInstances.settled();
        clearInterval(deliveryTimer);
        await csms.events.close();
        await verifyPool?.close();
        await gov.close();
        await hsmRegistry.close();
        tokens?.close();
        hsm.wipe();
      },
    };
  } catch (err) {
    // An assembly that fails leaves no worker thread behind to keep the process alive, and no key in memory.
    await trail?.close();
    await verifyPool?.close();
    tokens?.close();
    if (hsmToWipe) hsmToWipe.wipe();
    else {
      master.fill(0);
      derivedBase?.fill(0);
    }
    throw err;
  }
}

/** Binds the listen address; a ListenError when it cannot. */
function listen(config: DaemonConfig, listener: RequestListener): Promise<Server> {
  return new Promise((resolveServer, reject) => {
    // Node closes idle sockets after 5 s; clients' pools keep them longer and a POST racing the
    // close fails. Node requires headersTimeout above keepAliveTimeout.
    const s = createServer({ keepAliveTimeout: config.keepAliveTimeoutMs, headersTimeout: config.keepAliveTimeoutMs + 1000 }, listener);
    s.once('error', (err: NodeJS.ErrnoException) => reject(LISTEN_ERRORS.has(err.code ?? '') ? new ListenError(config, err.code!) : err));
    s.listen(config.port, config.host, () => resolveServer(s));
  });
}

/**
 * Opens the database, finds the master key by the database's mode (open-master.ts), listens with
 * the seal gate in front (seal/gate.ts), and builds the services at once when the master key is at
 * hand, or at unseal (shamir). credentials.json is written once the services know the bootstrap admin.
 */
export async function startDaemon(givenConfig: DaemonConfig, io: DaemonIo, role?: WorkerRole, healthWorkers?: number): Promise<RunningDaemon> {
  const now = io.now ?? Date.now;
  // A worker that is not the scheduler's runs no cron ticks (the jobs are claimed through the database either way).
  const config: DaemonConfig = role && !role.runsScheduler ? { ...givenConfig, schedule: 'off' } : givenConfig;
  const workers = role?.workers ?? healthWorkers;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase(config.dbUrl, { migrate: !role });
  let server: Server | undefined;
  try {
    const identityRepo = new IdentityRepo(database.db, now);
    const records = new MasterKeyRepo(database.client);
    const opened = await openMaster(records, identityRepo, sealConfigOf(config));
    const logError = (err: unknown, requestId: string) => io.log(JSON.stringify({ level: 'error', request_id: requestId, error: (err as Error)?.name, message: (err as Error)?.message }));
    const inFlight = new InFlight();
    let url = '';
    let credentials: (IssuedCredentials & { endpoint: string }) | undefined;
    const controller: SealController<Services> = new SealController<Services>(
      {
        records,
        assemble: async (master, derivedBase) => {
          const services = await assembleServices({ config, io, now, database, url, seal: controller, inFlight, workers, link: role?.link }, master, derivedBase);
          credentials = { endpoint: url, ...services.admin };
          if (!role) io.log(`credentials: ${writeCredentials(config.dataDir, credentials)}`);
          return services;
        },
        teardown: (services) => services.close(() => inFlight.drained()),
        log: io.log,
      },
      opened.state === 'ready' ? { mode: opened.mode, state: 'sealed' } : opened,
    );
    role?.link?.serveSeal(() => void controller.seal(() => inFlight.drained(), 'an operator sealed it with `dew operator seal` (through another worker)'));
    const limiter = new SourceLimiter({ burst: SEAL_CALLS_BURST, perMinute: SEAL_CALLS_PER_MINUTE, maxSources: SEAL_SOURCES_KEPT, now: Date.now });
    const gate = sealGate({ controller, limiter, inFlight, logError, journal: new SealJournal(), now });
    const pid = String(process.pid);
    server = await listen(
      config,
      role?.debugHeader
        ? (req, res) => {
            res.setHeader('x-dew-worker', pid);
            gate(req, res);
          }
        : gate,
    );
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    url = `http://${host}:${addr.port}`;
    const where = `database ${redactUrl(config.dbUrl)}`;
    if (opened.state === 'ready') {
      await controller.startUnsealed(opened.master, opened.derivedBase);
      if (!role) io.log(`dew daemon listening on ${url} (${where}, master key ${opened.describe})`);
    } else if (role) {
      throw new ConfigError('a cluster worker cannot start sealed: the shamir seal mode runs one process (--workers 1)');
    } else if (opened.state === 'sealed') {
      io.log(`dew daemon listening on ${url} (${where}, master key split into shares: sealed; give ${opened.scheme.k} of the ${opened.scheme.n} shares with \`dew operator unseal\`)`);
    } else {
      io.log(`dew daemon listening on ${url} (${where}, master key not initialised: run \`dew operator init --shares N --threshold K\`, then \`dew operator unseal\`)`);
    }

    const listening = server;
    let closing: Promise<void> | undefined;
    return {
      url,
      config,
      get credentials() {
        if (!credentials) throw new Error('the daemon is sealed: its credentials are known once it is unsealed');
        return credentials;
      },
      runJobs: () => {
        const services = controller.services();
        return services ? services.runJobs() : Promise.reject(controller.sealedError());
      },
      close: () =>
        (closing ??= (async () => {
          await controller.settled();
          const serverClosed = () => new Promise<void>((r) => listening.close(() => r()));
          const services = controller.services();
          if (services) {
            await services.close(serverClosed);
            controller.take();
          } else {
            await serverClosed();
          }
          database.close();
        })()),
    };
  } catch (err) {
    server?.close();
    database.close();
    throw err;
  }
}

/** The unauthenticated seal calls (init, unseal) a source address may make: 20 at once, then 10 a minute; 4096 addresses remembered. */
const SEAL_CALLS_BURST = 20;
const SEAL_CALLS_PER_MINUTE = 10;
const SEAL_SOURCES_KEPT = 4096;

/** How often a daemon looks for CSMS notifications whose retry time has come. */
const CSMS_DELIVERY_INTERVAL_MS = 5000;

/** Each SSH step of a KPS binding task (connect, log in, each command) gives up after this long. */
const KPS_SSH_TIMEOUT_MS = 15_000;

const LISTEN_ERRORS = new Map([
  ['EADDRINUSE', 'is already in use'],
  ['EADDRNOTAVAIL', 'is not an address of this machine'],
  ['EACCES', 'needs privileges this process lacks (ports below 1024)'],
]);

/** The listen address cannot be bound: a user error, told in one line with what to do. */
export class ListenError extends Error {
  constructor(config: DaemonConfig, code: string) {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    super(`${host}:${config.port} ${LISTEN_ERRORS.get(code) ?? 'cannot be bound'} (${code}); pick another with --listen HOST:PORT or DEW_LISTEN`);
    this.name = 'ListenError';
  }
}

/** A URL with any credentials or auth token removed, for logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//').replace(/([?&]authToken=)[^&]*/i, '$1…');
}

/**
 * What a cluster's primary does once before it forks: migrations, the master key (made on a new
 * database), the default partition root and the bootstrap admin, and credentials.json naming `url`.
 * The keys are wiped and the database closed before the workers start. 'sealed': a shamir database.
 */
export async function bootstrapOnce(config: DaemonConfig, io: DaemonIo, url: string): Promise<Bootstrapped | 'sealed'> {
  const now = io.now ?? Date.now;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase(config.dbUrl);
  try {
    const identityRepo = new IdentityRepo(database.db, now);
    const keyRepo = new KeyRepo(database.db, now);
    const opened = await openMaster(new MasterKeyRepo(database.client), identityRepo, sealConfigOf(config));
    if (opened.state !== 'ready') return 'sealed';
    const hsm = new SoftwareHsm(
      opened.master,
      {
        ensurePartitionRoot: (id, w, check) => identityRepo.ensurePartitionRoot(id, w, check),
        loadPartitionRoot: (id) => identityRepo.loadPartitionRoot(id),
        loadMaterial: (id, v) => keyRepo.loadMaterial(id, v),
      },
      { derivedBase: opened.derivedBase },
    );
    try {
      await hsm.init();
      const admin = await new IdentityService(identityRepo, hsm, { region: config.region, now }).ensureBootstrapAdmin();
      io.log(`credentials: ${writeCredentials(config.dataDir, { endpoint: url, ...admin })}`);
    } finally {
      hsm.wipe();
    }
    return { describe: opened.describe, where: `database ${redactUrl(config.dbUrl)}` };
  } finally {
    database.close();
  }
}

/** The audit writer of a cluster's primary (cluster/audit-owner.ts): the one chain every worker's records go on, on a connection of its own. */
async function openClusterAudit(config: DaemonConfig, io: DaemonIo): Promise<{ log: AuditLog; close(): Promise<void> } | undefined> {
  if (!config.audit) return undefined;
  const database = await openDatabase(config.dbUrl, { migrate: false });
  const trail = ownAuditTrail({ database, config, now: io.now ?? Date.now, log: io.log });
  if (!trail.log) {
    database.close();
    return undefined;
  }
  return {
    log: trail.log,
    close: async () => {
      await trail.close();
      database.close();
    },
  };
}

/** The compiled dew executable the workers run (absent when the daemon runs from its sources: then one process). */
function workerExecutable(): string | undefined {
  const path = fileURLToPath(new URL('../bin/dew.js', import.meta.url));
  return existsSync(path) ? path : undefined;
}

function isUserError(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof ListenError || (err as Error).name === 'WrongPassphraseError' || (err as Error).name === 'TokenUnavailableError';
}

/**
 * `dew daemon …`: runs until SIGTERM/SIGINT, then shuts down gracefully. Returns the exit code.
 * `--workers 1` is one process; more (the default: one a core) a node:cluster primary
 * (cluster/primary.ts) and its workers (cluster/worker.ts, each the whole daemon below). A shamir
 * database (unsealed over the API, one process at a time) runs one process; asking it for more is refused.
 */
export async function runDaemon(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string, io: DaemonIo): Promise<number> {
  let config: DaemonConfig;
  try {
    config = parseDaemonArgs(argv, env, cwd);
  } catch (err) {
    if (!isUserError(err)) throw err;
    io.log(`dew daemon: ${(err as Error).message}`);
    return 2;
  }
  if (cluster.isWorker && env[WORKER_COUNT_ENV]) {
    return runWorker({ config, env, io, start: (c, role) => startDaemon(c, io, role), isUserError });
  }
  const workers = config.workers ?? 1;
  const executable = workerExecutable();
  if (workers > 1 && config.seal === 'shamir') return config.workersExplicit ? refuseShamir(config, io) : runSingle(config, io);
  if (workers > 1 && executable) {
    let ran: number | 'sealed';
    try {
      ran = await runPrimary({ config: { ...config, workers }, io, executable, argv, bootstrap: (url) => bootstrapOnce(config, io, url), openAudit: () => openClusterAudit(config, io), listenError: (err) => (LISTEN_ERRORS.has(err.code ?? '') ? new ListenError(config, err.code!) : err) });
    } catch (err) {
      if (!isUserError(err)) throw err;
      io.log(`dew daemon: ${(err as Error).message}`);
      return 2;
    }
    if (ran !== 'sealed') return ran;
    if (config.workersExplicit) return refuseShamir(config, io);
  }
  return runSingle(config, io);
}

/** The cluster env var a worker is forked with (cluster/messages.ts); a cluster worker without it is someone else's. */
const WORKER_COUNT_ENV = WORKER_ENV.count;

function refuseShamir(config: DaemonConfig, io: DaemonIo): number {
  io.log(`dew daemon: --workers ${config.workers}: the shamir seal mode runs one process (its master key is given over the API, share by share, to the process that collects them); start it with --workers 1 or without --workers`);
  return 2;
}

/** One process: today's daemon. */
async function runSingle(config: DaemonConfig, io: DaemonIo): Promise<number> {
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon(config, io, undefined, 1);
  } catch (err) {
    if (isUserError(err)) {
      io.log(`dew daemon: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      io.log(`dew daemon: ${signal}, finishing in-flight requests`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      daemon.close().then(resolveStop, resolveStop);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  io.log('dew daemon: stopped');
  return 0;
}
