/**
 * Opening an SSH connection with the ssh2 client: the host key is checked against the pin during
 * the key exchange, before any authentication is sent; errors become HostErrors; the TCP socket is
 * ours, so every path can destroy it and wait for it to close (no leaked sockets or timers).
 */
import { Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthenticationType, AuthHandlerMiddleware, Client as SshClient, ConnectConfig, ParsedKey, Prompt } from 'ssh2';
import { HostError, connectError } from './host-error.js';
import type { HostAuth, Target } from './host-target.js';
import { fingerprintOf, hostKeyAlgorithms } from './ssh-key-blob.js';

const { Client, utils } = ssh2;

/** ssh2 takes `false` from an auth handler as "no more methods" (lib/client.js doNextAuth); its types omit it. */
const NO_MORE = false as unknown as AuthenticationType;

/** An open connection: the client, the socket under it, and the host key the server proved it holds. */
export interface Connection {
  client: SshClient;
  sock: Socket;
  /** Resolves once the TCP socket has closed. */
  closed: Promise<void>;
  hostKey: Buffer;
  /** The last error the client reported after the connection was handed over (the session reads it). */
  lastError?: Error;
}

type Stage = 'connecting' | 'handshake' | 'auth';

interface Dial {
  /** Compare the server's key with `target.pinned` (off only for fetchHostKey). */
  verify: boolean;
  /** Resolve once the key exchange is done (fetchHostKey) or once authenticated. */
  until: 'handshake' | 'ready';
  authHandler: AuthHandlerMiddleware;
  /** The HostError for an authentication that ssh2 gave up on. */
  authFailed: () => HostError;
}

function connect(t: Target, d: Dial): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    const client = new Client();
    let stage: Stage = 'connecting';
    let seen: Buffer | undefined;
    let mismatch = false;
    let conn: Connection | undefined;
    let settled = false;
    const fail = (err: HostError) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      void closed.then(() => reject(err));
    };
    const succeed = () => {
      if (settled) return;
      settled = true;
      conn = { client, sock, closed, hostKey: seen! };
      resolve(conn);
    };
    // Kept for the life of the client: ssh2 emits 'error' for late failures too, and an
    // unhandled 'error' would throw.
    client.on('error', (err: Error & { level?: string }) => {
      if (settled) {
        if (conn) conn.lastError = err;
        return;
      }
      if (mismatch && seen && t.pinned) {
        fail(new HostError('host_key_mismatch', `the host key of ${t.endpoint} changed: expected ${fingerprintOf(t.pinned.blob)}, got ${fingerprintOf(seen)}; re-register the host if this is expected`, { cause: err }));
      } else if (d.verify && t.pinned && !seen && err.level === 'handshake' && /host key/i.test(err.message)) {
        // Only the pinned key's algorithms were offered (hostKeyAlgorithms): the server has no such key any more.
        fail(new HostError('host_key_mismatch', `the host key of ${t.endpoint} changed: expected ${fingerprintOf(t.pinned.blob)}, but it no longer offers a ${t.pinned.type} host key; re-register the host if this is expected`, { cause: err }));
      } else if (err.level === 'client-authentication' || (stage === 'auth' && typeof (err as { code?: unknown }).code === 'number')) {
        // The second case: sshd ending the connection during authentication (SSH_MSG_DISCONNECT, "Too many authentication failures").
        fail(d.authFailed());
      } else {
        fail(connectError(err, t.endpoint, t.timeoutMs, stage));
      }
    });
    client.once('close', () => fail(new HostError(stage === 'connecting' ? 'unreachable' : 'remote_failed', `${t.endpoint} closed the connection during the ${stage === 'auth' ? 'authentication' : 'SSH handshake'}`)));
    sock.once('connect', () => (stage = 'handshake'));
    client.once('handshake', () => {
      stage = 'auth';
      if (d.until === 'handshake') succeed();
    });
    client.once('ready', succeed);
    const config: ConnectConfig = {
      sock,
      username: t.username,
      readyTimeout: t.timeoutMs,
      keepaliveInterval: 0,
      algorithms: { serverHostKey: hostKeyAlgorithms(t.pinned?.type) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (key: Buffer): boolean => {
        seen = Buffer.from(key);
        if (d.verify && t.pinned && !seen.equals(t.pinned.blob)) {
          mismatch = true;
          return false;
        }
        return true;
      },
      authHandler: d.authHandler,
    };
    try {
      sock.setNoDelay(true);
      sock.connect({ host: t.address, port: t.port });
      client.connect(config);
    } catch (e) {
      fail(new HostError('remote_failed', `cannot start an SSH connection to ${t.endpoint}: ${(e as Error).message}`, { cause: e }));
    }
  });
}

/** Ends a connection politely (SSH disconnect), then for sure, and waits for the socket to close. */
export async function closeConnection(c: Connection): Promise<void> {
  c.client.end();
  const timer = setTimeout(() => c.sock.destroy(), 2_000);
  await c.closed;
  clearTimeout(timer);
}

/** Connects far enough to see the host key (key exchange done, nothing authenticated). */
export async function readHostKey(t: Target): Promise<Buffer> {
  const c = await connect(t, {
    verify: false,
    until: 'handshake',
    authHandler: (_left, _partial, next) => next(NO_MORE),
    authFailed: () => new HostError('remote_failed', `${t.endpoint} ended the connection before its host key was read`),
  });
  c.sock.destroy();
  await c.closed;
  return c.hostKey;
}

/**
 * The authentication methods the server offers `t.username` now (its answer to a "none" request,
 * RFC 4252 §5.2): how setPasswordLogin sees that a reloaded sshd took the new setting. An empty
 * list means "none" itself was accepted.
 */
export async function offeredMethods(t: Target): Promise<string[]> {
  let offered: string[] | undefined;
  try {
    const c = await connect(t, {
      verify: true,
      until: 'ready',
      authHandler: (left, _partial, next) => {
        if (left === null) return next('none');
        offered = left;
        next(NO_MORE);
      },
      authFailed: () => new HostError('auth_failed', `${t.endpoint} refused the "none" request`),
    });
    await closeConnection(c);
    return [];
  } catch (e) {
    if (e instanceof HostError && e.code === 'auth_failed' && offered) return offered;
    throw e;
  }
}

/** Logs in as `t.username`: a password (then keyboard-interactive with it) or a private key. */
export async function login(t: Target, auth: HostAuth): Promise<Connection> {
  const key = 'privateKey' in auth ? privateKeyOf(t, auth.privateKey) : undefined;
  const order = key ? (['publickey'] as const) : (['password', 'keyboard-interactive'] as const);
  const tried = new Set<string>();
  let offered: string[] | undefined;
  const authHandler: AuthHandlerMiddleware = (left, _partial, next) => {
    if (left) offered = left;
    for (const m of order) {
      if (tried.has(m) || (left && !left.includes(m))) continue;
      tried.add(m);
      const username = t.username;
      if (m === 'publickey') return next({ type: 'publickey', username, key: key! });
      const password = (auth as { password: string }).password;
      if (m === 'password') return next({ type: 'password', username, password });
      return next({
        type: 'keyboard-interactive',
        username,
        // One hidden prompt is the password prompt (PAM's "Password:"); anything else gets no answers.
        prompt: (_name: string, _instructions: string, _lang: string, prompts: Prompt[], finish: (answers: string[]) => void) =>
          finish(prompts.length === 1 && !prompts[0].echo ? [password] : []),
      });
    }
    next(NO_MORE);
  };
  return connect(t, {
    verify: true,
    until: 'ready',
    authHandler,
    authFailed: () => {
      const what = key ? 'the private key was not accepted' : 'the password was not accepted';
      const ours = offered?.some((m) => (order as readonly string[]).includes(m));
      const hint = offered && !ours ? ` (the server offers only: ${offered.join(', ') || 'nothing'})` : '';
      return new HostError('auth_failed', `authentication as ${t.username} on ${t.endpoint} failed: ${what}${hint}`);
    },
  });
}

function privateKeyOf(t: Target, text: string): ParsedKey {
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !key.isPrivateKey()) {
    // ssh2's reason names the format problem only ("Encrypted private OpenSSH key detected, but no passphrase given").
    const why = key instanceof Error ? `: ${key.message}` : '';
    throw new HostError('auth_failed', `the private key given for ${t.username} on ${t.endpoint} cannot be used${why}`);
  }
  return key;
}
