/**
 * The SSH host a key pair task works on and the credentials it logs in with, checked once here
 * (every later use, shell commands included, relies on these checks).
 */
import { parseKeyLine, type KeyBlob } from './ssh-key-blob.js';

export interface HostTarget {
  address: string;
  port: number;
  username: string;
  /** Pinned host key, one-line OpenSSH "ssh-ed25519 AAAA…" (no comment); undefined = learn it on this contact. */
  hostKey?: string;
  /** sshd_config path on the host for disable_password (default /etc/ssh/sshd_config). */
  sshdConfig?: string;
  /** Connect/handshake/auth/command timeout in ms (default 15000). */
  timeoutMs?: number;
}

export type HostAuth = { password: string } | { privateKey: string /* OpenSSH private key text */ };

export const DEFAULT_SSHD_CONFIG = '/etc/ssh/sshd_config';
export const DEFAULT_TIMEOUT_MS = 15_000;

/** POSIX-portable login names (useradd's default NAME_REGEX, lower case); also what makes `Match User` safe. */
const USERNAME = /^[a-z_][a-z0-9_.-]*$/;
const ADDRESS = /^[A-Za-z0-9.:_-]+$/;

/** A checked target with its defaults filled in. */
export interface Target {
  address: string;
  port: number;
  username: string;
  /** `address:port` for messages (`[v6]:port` for IPv6 literals). */
  endpoint: string;
  pinned?: KeyBlob;
  sshdConfig: string;
  timeoutMs: number;
}

/** Checks a target (TypeError naming the field otherwise) and fills the defaults in. */
export function toTarget(target: HostTarget): Target {
  if (typeof target !== 'object' || target === null) throw new TypeError('target: expected an object');
  const { address, port, username } = target;
  if (typeof address !== 'string' || address.length === 0 || address.length > 253 || !ADDRESS.test(address)) throw new TypeError('target.address: expected a host name or IP address');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError('target.port: expected an integer from 1 to 65535');
  if (typeof username !== 'string' || username.length > 32 || !USERNAME.test(username)) throw new TypeError('target.username: expected a login name matching ^[a-z_][a-z0-9_.-]*$ (at most 32 characters)');
  const pinned = target.hostKey === undefined ? undefined : parseKeyLine(target.hostKey, 'target.hostKey');
  const sshdConfig = target.sshdConfig ?? DEFAULT_SSHD_CONFIG;
  // Any absolute path of printable characters: it reaches the shell single-quoted (remote-shell.ts), never bare.
  if (typeof sshdConfig !== 'string' || sshdConfig.length > 1024 || !sshdConfig.startsWith('/') || /[\u0000-\u001f\u007f]/.test(sshdConfig)) {
    throw new TypeError('target.sshdConfig: expected an absolute path of printable characters (at most 1024)');
  }
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) throw new TypeError('target.timeoutMs: expected an integer from 1 to 600000');
  const endpoint = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return { address, port, username, endpoint, pinned: pinned && { type: pinned.type, blob: pinned.blob }, sshdConfig, timeoutMs };
}

/** Checks the credentials' shape (the private key itself is parsed when connecting). */
export function assertAuth(auth: HostAuth): void {
  if (typeof auth !== 'object' || auth === null) throw new TypeError('auth: expected { password } or { privateKey }');
  if ('password' in auth) {
    if (typeof auth.password !== 'string' || auth.password.length === 0) throw new TypeError('auth.password: expected a non-empty string');
  } else if ('privateKey' in auth) {
    if (typeof auth.privateKey !== 'string' || auth.privateKey.length === 0) throw new TypeError('auth.privateKey: expected OpenSSH private key text');
  } else {
    throw new TypeError('auth: expected { password } or { privateKey }');
  }
}
