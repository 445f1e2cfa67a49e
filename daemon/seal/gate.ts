/**
 * The request listener in front of the services: the daemon listens from the start with it, sealed
 * or not. It serves the seal API that needs no master key itself (GET /v1/sys/seal-status,
 * POST /v1/sys/init, POST /v1/sys/unseal; the last two rate-limited per source address), answers
 * /healthz, and sends everything else to the services' listener while unsealed, counting what is
 * in flight so a seal can wait for it. While sealed every other call gets 503 DEW.0503 saying
 * what to do. Request bodies here are read up to 4 KiB and never logged (they hold shares).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DewError, toErrorBody, kmsErrors } from '../errors.js';
import { requestIds } from '../http/error-reply.js';
import type { RequestListener } from '../http/op-lane.js';
import type { SealController } from './seal-controller.js';
import type { SourceLimiter } from './source-limiter.js';
import { sealErrors } from './seal-errors.js';
import type { SealEvent, SealJournal } from './seal-journal.js';

const MAX_SYS_BODY = 4096;

export const SYS_PATHS = Object.freeze({
  status: '/v1/sys/seal-status',
  init: '/v1/sys/init',
  unseal: '/v1/sys/unseal',
});

/** Requests handed to the services and not yet answered; `drained` resolves when there are none. */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  track(res: ServerResponse): void {
    this.count++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.count--;
      if (this.count === 0) for (const w of this.waiters.splice(0)) w();
    };
    res.once('finish', end);
    res.once('close', end);
  }

  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/** What the gate needs of the services: their listener, and the audit trail for what happened while sealed. */
export interface GateServices {
  listener: RequestListener;
  recordSealEvents(events: SealEvent[]): void;
}

/** What the gate needs of the seal state (seal-controller.ts). */
export type GateController = Pick<SealController<GateServices>, 'services' | 'status' | 'init' | 'unseal' | 'sealedError'>;

export interface GateDeps {
  controller: GateController;
  limiter: SourceLimiter;
  inFlight: InFlight;
  logError: (err: unknown, requestId: string) => void;
  /** Init and unseal calls (answered or refused), audited once the services run; the clock of their records. */
  journal: SealJournal;
  now: () => number;
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string, extra: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': requestId, 'cache-control': 'no-store', ...extra });
  res.end(payload);
}

/** The JSON object body of a sys call (≤ 4 KiB); a DewError for anything else. */
function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_SYS_BODY) {
        failed = true;
        reject(kmsErrors.tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (failed) return;
      const buf = Buffer.concat(chunks);
      const text = buf.toString('utf8');
      buf.fill(0);
      for (const c of chunks) c.fill(0);
      try {
        const v = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch {
        // JSON.parse messages quote the input, which may hold a share: not chained.
        reject(kmsErrors.badJson());
      }
    });
  });
}

const toWire = (s: ReturnType<SealController<unknown>['status']>) => ({ ...s });

export function sealGate(d: GateDeps): RequestListener {
  const nextId = requestIds();
  /** Answers the error (an unexpected one as KMS.0101, logged) and returns what was answered. */
  const fail = (res: ServerResponse, err: unknown, requestId: string): DewError => {
    const e = err instanceof DewError ? err : (d.logError(err, requestId), kmsErrors.internal());
    const extra: Record<string, string> = e.status === 503 ? { 'retry-after': '5' } : e.status === 429 ? { 'retry-after': String(/in (\d+) s/.exec(e.message)?.[1] ?? 60) } : {};
    if (e.code === 'KMS.0203') extra.connection = 'close';
    send(res, e.status, toErrorBody(e, requestId), requestId, extra);
    return e;
  };
  const limited = (req: IncomingMessage) => {
    const wait = d.limiter.take(req.socket.remoteAddress ?? '');
    if (wait > 0) throw sealErrors.tooMany(wait);
  };

  return (req, res) => {
    const url = req.url ?? '/';
    const services = d.controller.services();
    // The target starts with /v1/sys/ exactly when its path does (no `?` among those characters):
    // the path is cut out only for the requests served here, not for every data-path call.
    if (services && !url.startsWith('/v1/sys/')) {
      d.inFlight.track(res);
      services.listener(req, res);
      return;
    }
    const path = url.split('?')[0];
    const requestId = nextId();
    const at = d.now();
    const operation = req.method !== 'POST' ? undefined : path === SYS_PATHS.init ? 'init-master-key' : path === SYS_PATHS.unseal ? 'unseal' : undefined;
    /** An init or unseal call's outcome into the journal, and the journal into the trail once there is one. */
    const journal = (status: number, errorCode: string) => {
      if (!operation) return;
      const outcome = status < 400 ? 'allowed' : status >= 500 && status !== 503 ? 'failed' : 'refused';
      d.journal.add({ at, requestId, sourceIp: req.socket.remoteAddress ?? '', operation, outcome, status, errorCode });
      const running = d.controller.services();
      if (running) running.recordSealEvents(d.journal.drain(d.now()));
    };
    const run = async () => {
      if (path === SYS_PATHS.status && req.method === 'GET') return send(res, 200, toWire(d.controller.status()), requestId);
      if (path === SYS_PATHS.init && req.method === 'POST') {
        limited(req);
        const body = await readJson(req);
        const answer = await d.controller.init(body.shares, body.threshold);
        journal(200, '');
        return send(res, 200, { shares: answer.shares, threshold: answer.threshold, initialized: true, sealed: true }, requestId);
      }
      if (path === SYS_PATHS.unseal && req.method === 'POST') {
        limited(req);
        const body = await readJson(req);
        if (typeof body.share !== 'string' || body.share === '') throw sealErrors.malformedShare('the body needs "share": the share text');
        const status = await d.controller.unseal(body.share);
        journal(200, '');
        return send(res, 200, toWire(status), requestId);
      }
      if (services) {
        // The authenticated seal API (seal, rekey) is a service module.
        d.inFlight.track(res);
        services.listener(req, res);
        return;
      }
      // A body nobody reads: drop it, answer, and end the connection.
      req.resume();
      if (path === '/healthz' && req.method === 'GET') return send(res, 200, { status: d.controller.status().state }, requestId);
      throw d.controller.sealedError();
    };
    run().catch((err) => {
      if (!req.complete) {
        req.resume();
        res.setHeader('connection', 'close');
      }
      const sent = fail(res, err, requestId);
      journal(sent.status, sent.code);
    });
  };
}
