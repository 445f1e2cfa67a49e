/**
 * Shared set-up for the CSMS event tests: a temp libSQL file database with the daemon's
 * migrations, a software HSM under a fresh master key, a movable clock, the events service over
 * them, a loopback webhook receiver that records what it is sent, and (for HTTP tests) the CSMS
 * event routes served by the daemon's own edge (createApp) on a loopback port with a signed client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from '../../daemon/store/db.js';
import { IdentityRepo } from '../../daemon/store/identity-repo.js';
import { SoftwareHsm } from '../../daemon/hsm/software-hsm.js';
import { generateMasterKey } from '../../daemon/hsm/master-key.js';
import { CsmsEventRepo } from '../../daemon/store/csms-event-repo.js';
import { SecretEvents, type DeliveryOptions } from '../../daemon/services/csms/events.js';
import { IdentityService, type IssuedCredentials } from '../../daemon/services/identity.js';
import { createApp } from '../../daemon/app.js';
import { defineModule } from '../../daemon/modules/contract.js';
import { csmsEventRoutes, csmsPasswordRoute } from '../../daemon/modules/csms/event-routes.js';
import { loadSchemas } from '../../schemas/index.js';
import { DewClient } from '../../provider/client/dew-client.js';
import type { Caller } from '../../daemon/services/caller.js';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/** A clock tests move by hand. */
export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

export function clock(start = T0): Clock {
  let at = start;
  return { now: () => at, advance: (ms) => void (at += ms) };
}

export interface EventsFixture {
  database: Database;
  url: string;
  hsm: SoftwareHsm;
  clock: Clock;
  repo: CsmsEventRepo;
  events: SecretEvents;
  /** Event names some secret subscribes to (what isSubscribed answers from). */
  subscribed: Set<string>;
  logs: string[];
  caller: Caller;
  /** Another service on its own connection to the same database: a second daemon. */
  another(): Promise<SecretEvents>;
}

export function callerOf(projectId: string, domainId = 'd'.repeat(32)): Caller {
  return { domainId, projectId, userId: 'u'.repeat(32), accessKey: 'AK', roles: ['KMS Administrator'], sourceIp: '127.0.0.1' };
}

export async function eventsFixture(t: Teardown, delivery: Partial<DeliveryOptions> = {}, projectId = 'p'.repeat(32)): Promise<EventsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'dew-csms-events-'));
  const url = `file:${join(dir, 'dew.db')}`;
  const database = await openDatabase(url);
  const opened: Database[] = [database];
  const services: SecretEvents[] = [];
  t.teardown(async () => {
    for (const s of services) await s.close();
    for (const d of opened) d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const c = clock();
  const identityRepo = new IdentityRepo(database.db, c.now);
  const hsm = new SoftwareHsm(generateMasterKey(), {
    ensurePartitionRoot: (id, w, check) => identityRepo.ensurePartitionRoot(id, w, check),
    loadPartitionRoot: (id) => identityRepo.loadPartitionRoot(id),
    loadMaterial: async () => undefined,
  });
  await hsm.init();
  const subscribed = new Set<string>();
  const logs: string[] = [];
  const make = (repo: CsmsEventRepo) => {
    const s = new SecretEvents({ repo, hsm, now: c.now, isSubscribed: async (_p, name) => subscribed.has(name), log: (l) => logs.push(l), delivery });
    services.push(s);
    return s;
  };
  const repo = new CsmsEventRepo(database.db);
  return {
    database,
    url,
    hsm,
    clock: c,
    repo,
    events: make(repo),
    subscribed,
    logs,
    caller: callerOf(projectId),
    another: async () => {
      const second = await openDatabase(url);
      opened.push(second);
      return make(new CsmsEventRepo(second.db));
    },
  };
}

export interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  hits: Hit[];
  /** What the next requests are answered (a status, or 'hang' for no answer); then `dflt`. */
  answers: (number | 'hang')[];
  dflt: number | 'hang';
}

/** A real HTTP server on 127.0.0.1 (free port) recording every request; closed at teardown. */
export async function receiver(t: Teardown, dflt: number | 'hang' = 200): Promise<Receiver> {
  const r: Receiver = { url: '', hits: [], answers: [], dflt };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      r.hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = r.answers.length > 0 ? r.answers.shift()! : r.dflt;
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(`answer ${answer}: a body the record must not keep`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/dew`;
  return r;
}

export interface CsmsHttp {
  client: DewClient;
  admin: IssuedCredentials;
  errors: unknown[];
  /** The caller the admin's requests are served as (for service calls in the same project). */
  caller: Caller;
}

/**
 * The event and password routes in a test-only CSMS module behind the daemon's edge (auth, role
 * check, schema validation, error bodies), served on a loopback port. The edge's clock is the
 * wall clock (request signatures carry real dates); the events service keeps the fixture's.
 */
export async function serveCsms(t: Teardown, f: EventsFixture): Promise<CsmsHttp> {
  const identity = new IdentityService(new IdentityRepo(f.database.db, Date.now), f.hsm, { region: 'test-1', now: Date.now });
  await identity.load();
  const admin = await identity.ensureBootstrapAdmin();
  const errors: unknown[] = [];
  const front = createApp({
    modules: [defineModule({ name: 'csms', base: '/v1/:project_id', routes: [...csmsEventRoutes(f.events), csmsPasswordRoute] })],
    identity,
    tokenKey: { macToken: (b) => f.hsm.macToken(b), verifyTokenMac: (b, m) => f.hsm.verifyTokenMac(b, m) },
    schemas: loadSchemas('csms'),
    now: Date.now,
    version: 'test',
    logError: (err) => errors.push(err),
  });
  const server = createServer(front.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DewClient({ endpoint, projectId: admin.project_id, accessKey: admin.access_key, secretKey: admin.secret_key });
  return { client, admin, errors, caller: callerOf(admin.project_id, admin.domain_id) };
}
