/**
 * servePlugin: runs this process as a Terraform provider plugin, the way go-plugin's server does
 * (hashicorp/go-plugin v1.6, the version Terraform 1.11 uses). It checks the launch environment,
 * listens on a unix socket (TCP on Windows), serves tfplugin6.Provider with the given handlers
 * plus go-plugin's health, broker, controller and stdio services over mutual TLS (the client's
 * PLUGIN_CLIENT_CERT is the only trusted root and is required; we present a fresh self-signed
 * certificate), prints the handshake line alone on stdout, and exits when the controller's
 * Shutdown is called. SIGINT is ignored: Terraform forwards Ctrl-C, then calls StopProvider.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from './cert.js';
import { checkLaunchEnv, handshakeLine } from './handshake.js';
import { createLogger, logLevelFromEnv, type Logger } from './hclog.js';
import { loadPluginProtos } from './protos.js';
import { RPC_NAMES, wrapHandler, type ProviderHandlers } from './rpc-handlers.js';
import { divertStdout, takeStdout } from './stdout-guard.js';

export interface ServeOptions {
  /** The launch environment (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The `@module` of log lines (default "dew"). */
  module?: string;
  /** unix (default) or tcp on 127.0.0.1 (the default on Windows), within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT when set. */
  network?: 'unix' | 'tcp';
  /** Runs after the server closed, before the process exits (close connections, flush). */
  onShutdown?: () => void | Promise<void>;
  /** Ends the process (default process.exit). */
  exit?: (code: number) => void;
}

export interface PluginServer {
  readonly network: 'unix' | 'tcp';
  readonly address: string;
  readonly tls: boolean;
  readonly log: Logger;
  /** Stops serving, runs onShutdown and exits, as the controller's Shutdown does. */
  shutdown(reason: string): void;
}

const MAX_MESSAGE = 2 ** 31 - 1;

async function bind(server: grpc.Server, network: 'unix' | 'tcp', env: Readonly<Record<string, string | undefined>>, creds: grpc.ServerCredentials): Promise<{ address: string; socket?: string }> {
  const bindAsync = (target: string) => new Promise<number>((resolve, reject) => server.bindAsync(target, creds, (err, port) => (err ? reject(err) : resolve(port))));
  if (network === 'unix') {
    const socket = join(env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), `plugin-dew-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    await bindAsync(`unix://${socket}`);
    return { address: socket, socket };
  }
  const min = Number(env.PLUGIN_MIN_PORT);
  const max = Number(env.PLUGIN_MAX_PORT);
  if (Number.isInteger(min) && Number.isInteger(max) && min > 0 && max >= min) {
    for (let port = min; port <= max; port++) {
      try {
        await bindAsync(`127.0.0.1:${port}`);
        return { address: `127.0.0.1:${port}` };
      } catch {
        // taken: the next one
      }
    }
    throw new Error(`no free port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (${min}..${max})`);
  }
  const port = await bindAsync('127.0.0.1:0');
  return { address: `127.0.0.1:${port}` };
}

/**
 * Serves `handlers` as this process's plugin. Run by hand (no magic cookie), or offered no
 * protocol 6, it prints why on stderr, sets exit code 1 and resolves undefined.
 */
export async function servePlugin(handlers: ProviderHandlers, opts: ServeOptions = {}): Promise<PluginServer | undefined> {
  const writeStdout = takeStdout();
  const env = opts.env ?? process.env;
  const log = createLogger({ level: logLevelFromEnv(env), module: opts.module ?? 'dew', write: (line) => void process.stderr.write(line) });
  divertStdout((text) => log.debug('output on stdout (diverted to the log)', { text }));
  const launch = checkLaunchEnv(env);
  if (!launch.ok) {
    process.stderr.write(launch.message);
    process.exitCode = 1;
    return undefined;
  }
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const protos = loadPluginProtos();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE });
  const streams = new Set<grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>();
  const stop = new AbortController();
  let stopping = false;
  let socket: string | undefined;

  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.debug('plugin shutting down', { reason });
    for (const s of streams) s.end();
    const force = setTimeout(() => server.forceShutdown(), 500);
    server.tryShutdown(() => {
      clearTimeout(force);
      if (socket) rmSync(socket, { force: true });
      Promise.resolve()
        .then(() => opts.onShutdown?.())
        .catch((err: unknown) => log.error('shutdown hook failed', { error: err }))
        .finally(() => exit(0));
    });
  };

  const providerImpl: grpc.UntypedServiceImplementation = {};
  const ctx = { log, stopSignal: stop.signal };
  for (const name of RPC_NAMES) {
    const handler = handlers[name];
    if (name === 'StopProvider') {
      // Ctrl-C: abort what runs, then let the provider's own StopProvider answer (if it has one).
      const own = handler ? wrapHandler(name, handler, ctx) : undefined;
      providerImpl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        log.info('StopProvider: stopping running operations');
        stop.abort(new Error('Terraform asked the provider to stop'));
        if (own) own(call, callback);
        else callback(null, { Error: '' });
      };
    } else if (handler) providerImpl[name] = wrapHandler(name, handler, ctx);
    // Missing: grpc-js answers UNIMPLEMENTED.
  }
  server.addService(protos.provider, providerImpl);

  server.addService(protos.health, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const service = call.request.service;
      if (service === '' || service === 'plugin') callback(null, { status: 'SERVING' });
      else callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
    },
    Watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
      const service = call.request.service;
      streams.add(call);
      call.on('cancelled', () => streams.delete(call));
      call.write({ status: service === '' || service === 'plugin' ? 'SERVING' : 'SERVICE_UNKNOWN' });
    },
  });
  server.addService(protos.broker, {
    // Terraform providers never broker extra connections; the stream stays open, what comes is ignored.
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      streams.add(call);
      call.on('data', (info) => log.trace('broker: ignored', { info }));
      call.on('error', () => streams.delete(call));
      call.on('end', () => {
        streams.delete(call);
        call.end();
      });
    },
  });
  server.addService(protos.controller, {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, {});
      setImmediate(() => shutdown('GRPCController.Shutdown'));
    },
  });
  server.addService(protos.stdio, {
    // Nothing of ours goes to stdout after the handshake, so there is nothing to stream.
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });

  let creds = grpc.ServerCredentials.createInsecure();
  let certDer: Buffer | undefined;
  if (launch.tls) {
    const cert = selfSignedCert();
    certDer = cert.der;
    creds = grpc.ServerCredentials.createSsl(Buffer.from(launch.clientCertPem!), [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }], true);
  } else {
    log.warn('serving without TLS', { reason: env.TF_DISABLE_PLUGIN_TLS ? 'TF_DISABLE_PLUGIN_TLS is set' : 'no PLUGIN_CLIENT_CERT' });
  }
  const network = opts.network ?? (process.platform === 'win32' ? 'tcp' : 'unix');
  const bound = await bind(server, network, env, creds);
  socket = bound.socket;
  if (socket) {
    const path = socket;
    process.on('exit', () => rmSync(path, { force: true }));
  }
  process.on('SIGINT', () => log.debug('SIGINT ignored: Terraform calls StopProvider'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  writeStdout(handshakeLine({ network, address: bound.address, certDer }));
  log.debug('plugin serving', { network, address: bound.address, tls: launch.tls });
  return { network, address: bound.address, tls: launch.tls, log, shutdown };
}
