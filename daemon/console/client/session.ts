/**
 * The signed-in session (console contract), in memory only: a reload forgets it and the user runs
 * `dew console` again. `can(permission)` tells a page whether to show a button; the permissions
 * come from the daemon's exchange answer (services/authorization.ts decides them).
 */
import { api, setCredentials } from './api.js';

import type { ConsolePermission, ConsoleSession } from './wire.js';

export type Permission = ConsolePermission;

export interface Session {
  readonly token: string;
  readonly projectId: string;
  readonly userId: string;
  readonly userName?: string;
  readonly roles: readonly string[];
  readonly permissions: readonly Permission[];
  /** Epoch ms. */
  readonly expiresAt: number;
  /** True when the roles allow `permission`. */
  can(permission: Permission): boolean;
}

let current: Session | undefined;

export function currentSession(): Session | undefined {
  return current;
}

/** True when the session's roles allow `permission` (false when signed out). */
export function can(permission: Permission): boolean {
  return current?.can(permission) ?? false;
}

function toSession(a: ConsoleSession): Session {
  const permissions = Object.freeze([...a.permissions]);
  return Object.freeze({
    token: a.token,
    projectId: a.project.id,
    userId: a.user.id,
    userName: a.user.name,
    roles: Object.freeze([...a.roles]),
    permissions,
    expiresAt: Date.parse(a.expires_at),
    can: (p: Permission) => permissions.includes(p),
  });
}

/** Exchanges a one-time sign-in token (from the URL fragment) for a session. */
export async function signIn(signInToken: string): Promise<Session> {
  setCredentials(undefined, '');
  const answer = await api<ConsoleSession>('POST', '/v1.0/dew/console/sessions', { sign_in_token: signInToken });
  current = toSession(answer);
  setCredentials(current.token, current.projectId);
  return current;
}

/** Revokes the session's token at the daemon (best effort) and forgets it here. */
export async function signOut(): Promise<void> {
  try {
    if (current) await api('DELETE', '/v1.0/dew/console/sessions/current');
  } finally {
    forget();
  }
}

/** Forgets the session without asking the daemon (it already refused the token). */
export function forget(): void {
  current = undefined;
  setCredentials(undefined, '');
}
