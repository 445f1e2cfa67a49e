/**
 * The one error the SSH host operations throw: a small code vocabulary and one line fit for a
 * task's error_msg. Messages name the host and the step, never a password or key material.
 */
export type HostErrorCode = 'unreachable' | 'timeout' | 'host_key_mismatch' | 'auth_failed' | 'not_privileged' | 'remote_failed';

export class HostError extends Error {
  readonly code: HostErrorCode;
  constructor(code: HostErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(oneLine(message), { cause: opts.cause });
    this.name = 'HostError';
    this.code = code;
  }
}

/** Remote text (stderr, SFTP messages) as one short printable line. */
export function oneLine(text: string, max = 400): string {
  const line = text
    .replace(/\r?\n+/g, '; ')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/(; )+$/, '')
    .trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const SOCKET_UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  EADDRNOTAVAIL: 'address not available',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
};

/**
 * Maps an error ssh2 reports before the session is ready (it tags them with `level`,
 * lib/client.js) to a HostError. `phase` says how far the connection got.
 */
export function connectError(err: Error & { level?: string; code?: unknown }, endpoint: string, timeoutMs: number, phase: 'connecting' | 'handshake' | 'auth'): HostError {
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT') {
    const step = phase === 'connecting' ? 'to connect' : phase === 'handshake' ? 'for the SSH handshake' : 'for authentication';
    return new HostError('timeout', `${endpoint} did not answer within ${timeoutMs} ms (waiting ${step})`, { cause: err });
  }
  if (err.level === 'client-socket' || err.level === 'client-dns') {
    const why = (code && SOCKET_UNREACHABLE[code]) ?? code ?? err.message;
    return new HostError('unreachable', `cannot reach ${endpoint}: ${why}`, { cause: err });
  }
  if (phase === 'connecting' || /Connection lost before handshake/.test(err.message)) {
    return new HostError('unreachable', `cannot reach ${endpoint}: it closed the connection before the SSH handshake`, { cause: err });
  }
  return new HostError('remote_failed', `SSH connection to ${endpoint} failed: ${err.message}`, { cause: err });
}
