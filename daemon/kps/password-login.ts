/**
 * disable_password: password (and keyboard-interactive) login off or on for the login user, the
 * way a stock OpenSSH server honours it — dew's Match block in sshd_config (sshd-password-block.ts),
 * validated by sshd before it replaces the file, then a reload (sshd-config-install.ts). Success
 * is what the server does, not what the file says: dew asks sshd, over fresh connections, which
 * methods it offers the user until the reloaded sshd answers as expected; if it never does within
 * the timeout, the old file is put back and the operation fails.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { HostError } from './host-error.js';
import type { Target } from './host-target.js';
import { offeredMethods } from './ssh-connect.js';
import { blobType } from './ssh-key-blob.js';
import type { Session } from './ssh-session.js';
import { installConfig, readConfig, rootPrefix, sha256Hex, type Installed } from './sshd-config-install.js';
import { BlockError, withPasswordLogin } from './sshd-password-block.js';

const PROBE_INTERVAL_MS = 100;

/** What the server should offer the user once the new file is in force. */
interface Expected {
  password?: boolean;
  kbdInteractive?: boolean;
}

function expectationOf(enabled: boolean, got: Installed): Expected {
  if (!enabled) return { password: false, kbdInteractive: false };
  // With AuthenticationMethods set, the first list offered can lack "password" even when it is on.
  if (got.methods !== 'any') return {};
  return { password: got.password === 'yes' };
}

const meets = (offered: string[], e: Expected) =>
  (e.password === undefined || offered.includes('password') === e.password) &&
  (e.kbdInteractive === undefined || offered.includes('keyboard-interactive') === e.kbdInteractive);

/**
 * Asks the server for the user's methods until they meet `e` (true) or `t.timeoutMs` has passed
 * (false). Refused or dropped connections are expected in between: sshd re-executes itself on
 * SIGHUP and listens again a moment later.
 */
async function awaitOffered(t: Target, hostKey: Buffer, e: Expected): Promise<{ ok: boolean; last: string }> {
  const deadline = Date.now() + t.timeoutMs;
  let answer: string | undefined;
  let failure = 'it did not answer';
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, last: answer ?? failure };
    try {
      const offered = await offeredMethods({ ...t, timeoutMs: left, pinned: { type: blobType(hostKey)!, blob: hostKey } });
      if (meets(offered, e)) return { ok: true, last: '' };
      answer = `it offers ${offered.join(', ') || 'nothing'}`;
    } catch (err) {
      // A restarting sshd refuses or drops connections for a moment; a changed host key is another matter.
      if (!(err instanceof HostError) || err.code === 'host_key_mismatch') throw err;
      failure = err.message;
    }
    await delay(Math.min(PROBE_INTERVAL_MS, Math.max(0, deadline - Date.now())));
  }
}

/** Turns password login for `s.target.username` on or off; see the file comment. */
export async function applyPasswordLogin(s: Session, enabled: boolean): Promise<void> {
  const t = s.target;
  const action = `turning password login ${enabled ? 'on' : 'off'} for ${t.username}`;
  const root = await rootPrefix(s, action);
  const before = await readConfig(s, root);
  let after: string;
  try {
    after = withPasswordLogin(before, t.username, enabled);
  } catch (e) {
    if (e instanceof BlockError) throw new HostError('remote_failed', `${t.sshdConfig} on ${t.endpoint} has a damaged dew block (${e.message}); fix it by hand`);
    throw e;
  }
  if (after === before) return;
  const got = await installConfig(s, root, after, sha256Hex(before), enabled ? 'on' : 'off');
  const wait = await awaitOffered(t, s.hostKeyBlob, expectationOf(enabled, got));
  if (wait.ok) return;
  const how = got.reloadedPid === undefined ? `no running sshd was found in its PidFile to reload` : `sshd (pid ${got.reloadedPid}) was reloaded`;
  let undo = `${t.sshdConfig} was put back as it was`;
  try {
    await installConfig(s, root, before, sha256Hex(after), 'restore');
  } catch (e) {
    undo = `putting ${t.sshdConfig} back failed too (${(e as Error).message})`;
  }
  throw new HostError('remote_failed', `${action} on ${t.endpoint} did not take effect within ${t.timeoutMs} ms: ${how}, but ${wait.last}; ${undo}`);
}
