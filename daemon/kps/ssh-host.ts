/**
 * The SSH operations the key pair binding tasks run on a host (reference 4: associate,
 * disassociate; FAQ 3.9–3.15): read its host key, add / remove / replace a public key in the login
 * user's ~/.ssh/authorized_keys, turn password login off or on. Each call is one connection that
 * checks the host key before authenticating and is closed before the call returns; a failed call
 * leaves the host as it was and throws a HostError whose message fits a task's error_msg.
 */
import { editAuthorizedKeys } from './authorized-keys-file.js';
import { addKey, removeKey, replaceKey } from './authorized-keys.js';
import { applyPasswordLogin } from './password-login.js';
import { assertAuth, toTarget, type HostAuth, type HostTarget } from './host-target.js';
import { readHostKey } from './ssh-connect.js';
import { keyLineOf, parseKeyLine } from './ssh-key-blob.js';
import { withSession } from './ssh-session.js';

export { HostError, type HostErrorCode } from './host-error.js';
export { DEFAULT_SSHD_CONFIG, DEFAULT_TIMEOUT_MS, type HostAuth, type HostTarget } from './host-target.js';

/** The result of every operation: the host key seen (so the caller pins it on first contact). */
export interface HostResult {
  hostKey: string;
}

/**
 * Connects far enough to read the host key (key exchange done, so the server proved it holds it;
 * nothing authenticated) and returns its one-line OpenSSH form. It does not compare with
 * `target.hostKey`; a pinned key only chooses which of the server's keys is asked for.
 */
export async function fetchHostKey(target: HostTarget): Promise<string> {
  return keyLineOf(await readHostKey(toTarget(target)));
}

/**
 * Adds `publicKeyLine` to ~/.ssh/authorized_keys of target.username: creates ~/.ssh 0700 and the
 * file 0600 if missing, keeps every other line byte for byte, does nothing if the same key blob is
 * already there (options and comments ignored), writes atomically and leaves modes 700/600.
 */
export async function addAuthorizedKey(target: HostTarget, auth: HostAuth, publicKeyLine: string): Promise<HostResult> {
  const t = toTarget(target);
  assertAuth(auth);
  const key = parseKeyLine(publicKeyLine, 'publicKeyLine');
  return withSession(t, auth, async (s) => {
    await editAuthorizedKeys(s, (text) => addKey(text, key, key.line));
    return { hostKey: s.hostKey };
  });
}

/** Removes every line whose key blob equals `publicKeyLine`'s; a missing file or key is not an error (`removed` says whether it was there). */
export async function removeAuthorizedKey(target: HostTarget, auth: HostAuth, publicKeyLine: string): Promise<HostResult & { removed: boolean }> {
  const t = toTarget(target);
  assertAuth(auth);
  const key = parseKeyLine(publicKeyLine, 'publicKeyLine');
  return withSession(t, auth, async (s) => {
    let removed = false;
    await editAuthorizedKeys(s, (text) => {
      const r = removeKey(text, key);
      removed = r.removed > 0;
      return r;
    });
    return { hostKey: s.hostKey, removed };
  });
}

/** Replaces `oldLine`'s key by `newLine` in one atomic write (every line of the old key removed, the new one added once). */
export async function replaceAuthorizedKey(target: HostTarget, auth: HostAuth, oldLine: string, newLine: string): Promise<HostResult> {
  const t = toTarget(target);
  assertAuth(auth);
  const oldKey = parseKeyLine(oldLine, 'oldLine');
  const newKey = parseKeyLine(newLine, 'newLine');
  return withSession(t, auth, async (s) => {
    await editAuthorizedKeys(s, (text) => replaceKey(text, oldKey, newKey, newKey.line));
    return { hostKey: s.hostKey };
  });
}

/**
 * disable_password: turns password and keyboard-interactive login off for target.username
 * (`enabled` false) or back on (true), as root or through `sudo -n` (else 'not_privileged',
 * nothing changed). Mechanism: a managed `Match User` block at the end of target.sshdConfig,
 * checked with `sshd -t` and `sshd -T` before it replaces the file, sshd reloaded by SIGHUP to the
 * pid in its PidFile, and success only once fresh connections show the server took the setting
 * (password-login.ts).
 */
export async function setPasswordLogin(target: HostTarget, auth: HostAuth, enabled: boolean): Promise<HostResult> {
  const t = toTarget(target);
  assertAuth(auth);
  if (typeof enabled !== 'boolean') throw new TypeError('enabled: expected a boolean');
  return withSession(t, auth, async (s) => {
    await applyPasswordLogin(s, enabled);
    return { hostKey: s.hostKey };
  });
}
