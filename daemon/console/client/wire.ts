/**
 * The answers the console reads whose shape the daemon defines, declared once for both sides: the
 * daemon's services (console-sign-in.ts, stacks.ts) build them with these types and the pages read
 * them. Types only: this module compiles to nothing either side needs at run time.
 */

/** The permissions a session's roles allow (services/authorization.ts decides them). */
export type ConsolePermission = 'read' | 'use' | 'manage' | 'iam';

/** `POST /v1.0/dew/console/sessions`: the session a one-time sign-in token is exchanged for. */
export interface ConsoleSession {
  token: string;
  expires_at: string;
  user: { id: string; name?: string };
  project: { id: string };
  roles: string[];
  permissions: ConsolePermission[];
}

/** `GET …/dew/stacks/{stack}/last-plan`: the last applied plan as stored, plus when, by whom and the serial it left. */
export interface AppliedPlan {
  text: string;
  mode: string;
  summary: { add: number; change: number; destroy: number; adopt?: number };
  outcome: string;
  applied_at: string;
  applied_by: string;
  serial: number;
}
