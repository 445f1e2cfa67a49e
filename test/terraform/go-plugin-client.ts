/**
 * A go-plugin-like client for the plugin tests: launches a plugin executable the way Terraform's
 * go-plugin client does (magic cookie, PLUGIN_PROTOCOL_VERSIONS, a one-time client certificate in
 * PLUGIN_CLIENT_CERT, a socket dir), reads and parses the handshake line, and makes grpc-js
 * clients that trust only the certificate of the handshake and present the client certificate.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pem, selfSignedCert, type SelfSignedCert } from '../../provider/terraform/plugin/cert.js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../provider/terraform/plugin/handshake.js';
import { loadPluginProtos } from '../../provider/terraform/plugin/protos.js';

export interface Handshake {
  core: string;
  app: string;
  network: string;
  address: string;
  protocol: string;
  /** Field 6 as printed (base64 without padding), '' when TLS is off. */
  cert: string;
  fields: number;
}

export function parseHandshake(line: string): Handshake {
  const parts = line.replace(/\n$/, '').split('|');
  const [core = '', app = '', network = '', address = '', protocol = '', cert = ''] = parts;
  return { core, app, network, address, protocol, cert, fields: parts.length };
}

export interface Launched {
  child: ChildProcess;
  /** The first stdout line, newline included. */
  line: string;
  handshake: Handshake;
  client: SelfSignedCert;
  socketDir: string;
  /** Everything on stdout so far (the handshake line and anything after it). */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The server certificate as PEM (from the handshake). */
  serverCertPem(): string;
  /** A client for a service: 'tfplugin6.Provider', 'plugin.GRPCController', 'grpc.health.v1.Health', … */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  connect(service: string, opts?: { credentials?: grpc.ChannelCredentials }): any;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export function target(h: Handshake): string {
  return h.network === 'unix' ? `unix://${h.address}` : h.address;
}

export const CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };

/** Starts `command` as a plugin and resolves at its handshake line (or rejects with what it printed when it exits first). */
export function launchPlugin(t: Teardown, command: readonly string[], opts: { env?: Record<string, string>; tls?: boolean } = {}): Promise<Launched> {
  const client = selfSignedCert();
  const socketDir = mkdtempSync(join(tmpdir(), 'dew-plugin-sock-'));
  const tls = opts.tls ?? true;
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: '5,6',
    PLUGIN_UNIX_SOCKET_DIR: socketDir,
    ...(tls ? { PLUGIN_CLIENT_CERT: client.certPem } : { TF_DISABLE_PLUGIN_TLS: '1' }),
    ...opts.env,
  };
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const clients: grpc.Client[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(socketDir, { recursive: true, force: true });
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: string) => {
      const had = out.includes('\n');
      out += c;
      if (had || !out.includes('\n')) return;
      const line = out.slice(0, out.indexOf('\n') + 1);
      const handshake = parseHandshake(line);
      const serverCertPem = () => pem('CERTIFICATE', Buffer.from(handshake.cert, 'base64'));
      const protos = loadPluginProtos();
      resolve({
        child,
        line,
        handshake,
        client,
        socketDir,
        stdout: () => out,
        stderr: () => err,
        exited,
        serverCertPem,
        connect: (service, o = {}) => {
          let ctor: unknown = protos.grpc;
          for (const part of service.split('.')) ctor = (ctor as Record<string, unknown>)[part];
          const credentials =
            o.credentials ?? (handshake.cert ? grpc.credentials.createSsl(Buffer.from(serverCertPem()), Buffer.from(client.keyPem), Buffer.from(client.certPem)) : grpc.credentials.createInsecure());
          const c = new (ctor as grpc.ServiceClientConstructor)(target(handshake), credentials, CHANNEL_OPTIONS);
          clients.push(c);
          return c;
        },
      });
    });
    exited.then(({ code, signal }) => reject(new Error(`plugin exited (${code ?? signal}) before its handshake:\n${out}${err}`)));
  });
}

/** Calls a unary method as a promise. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function unary<T = any>(client: any, method: string, request: unknown = {}): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}
