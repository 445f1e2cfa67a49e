/**
 * The console's sign-in (issue 17): `dew console` makes a one-time link for its caller (32 random
 * bytes, base64url, valid 2 minutes, kept only as its SHA-256 in the database, so every worker and
 * daemon on it honours it and a second use is refused); the page exchanges it for an ordinary
 * `X-Auth-Token` of the same principal (8 hours, never past the token the link was made with);
 * sign-out revokes that token everywhere (the database and the change feed; TokenRevocations).
 */
import { DewError } from '../errors.js';
import { issueToken } from '../http/auth/token.js';
import type { TokenMac } from '../hsm/token-mac.js';
import type { ConsoleRepo } from '../store/console-repo.js';
import type { Caller } from './caller.js';
import { permissionsOf } from './authorization.js';
import { tokenHash, type TokenRevocations } from './token-revocations.js';
import type { ConsoleSession } from '../console/client/wire.js';

export const SIGN_IN_TTL_MS = 120_000;
export const SESSION_TTL_MS = 8 * 3_600_000;
const SIGN_IN_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSignInDeps {
  repo: ConsoleRepo;
  revocations: TokenRevocations;
  tokenKey: TokenMac;
  now: () => number;
  /** `n` random bytes (crypto.randomBytes in the daemon). */
  random: (n: number) => Buffer;
  /** A user's name, for the page's header. */
  userName: (domainId: string, userId: string) => string | undefined;
}

function refused(why: string): DewError {
  return new DewError('APIGW.0301', 401, `Incorrect IAM authentication information: ${why}`);
}

export class ConsoleSignIn {
  constructor(private readonly d: ConsoleSignInDeps) {}

  /** A new one-time sign-in token for the caller. */
  async createLink(caller: Caller): Promise<{ token: string; expires_at: string }> {
    const now = this.d.now();
    const raw = this.d.random(32);
    const token = raw.toString('base64url');
    raw.fill(0);
    const expiresAt = now + SIGN_IN_TTL_MS;
    await this.d.repo.pruneSignIns(now);
    await this.d.repo.addSignIn({
      tokenHash: tokenHash(token),
      domainId: caller.domainId,
      projectId: caller.projectId,
      userId: caller.userId,
      accessKey: caller.accessKey,
      sessionLimit: caller.tokenExpiresAtMs ?? null,
      createdAt: now,
      expiresAt,
    });
    return { token, expires_at: new Date(expiresAt).toISOString() };
  }

  /**
   * Spends a sign-in token (once, on whichever daemon) for a session token; `identify` proves the
   * principal is still there (and through the IP allow-list) and binds it to the audit record.
   */
  async exchange(signInToken: string, identify: (accessKey: string, userId: string) => Caller): Promise<ConsoleSession> {
    if (!SIGN_IN_TOKEN.test(signInToken)) throw refused('the console sign-in link is not valid');
    const now = this.d.now();
    const row = await this.d.repo.consumeSignIn(tokenHash(signInToken), now);
    if (!row) throw refused('the console sign-in link is unknown, already used or expired; run `dew console` for a new one');
    const caller = identify(row.accessKey, row.userId);
    const expiresAtMs = Math.min(now + SESSION_TTL_MS, row.sessionLimit ?? Number.MAX_SAFE_INTEGER);
    if (expiresAtMs <= now) throw refused('the credential the link was made with has expired');
    const token = issueToken(this.d.tokenKey, { userId: caller.userId, domainId: caller.domainId, projectId: caller.projectId, accessKey: caller.accessKey, expiresAtMs });
    const name = this.d.userName(caller.domainId, caller.userId);
    return {
      token,
      expires_at: new Date(expiresAtMs).toISOString(),
      user: name === undefined ? { id: caller.userId } : { id: caller.userId, name },
      project: { id: caller.projectId },
      roles: [...caller.roles],
      permissions: permissionsOf(caller.roles),
    };
  }

  /** Revokes the caller's own token (the one this request presented) on every daemon. */
  async signOut(caller: Caller, token: string | undefined): Promise<void> {
    if (token === undefined || caller.tokenExpiresAtMs === undefined) {
      throw new DewError('KMS.0308', 400, 'Sign-out ends a token session: call it with the X-Auth-Token to revoke.');
    }
    const hash = tokenHash(token);
    await this.d.repo.revoke(hash, caller.tokenExpiresAtMs);
    this.d.revocations.add([[hash, caller.tokenExpiresAtMs]]);
  }

  /** Reloads revocations other daemons wrote (change feed kind `revoked_token`). */
  async reloadRevoked(hashes: string[]): Promise<void> {
    this.d.revocations.add(await this.d.repo.loadRevoked(this.d.now(), hashes));
  }

  /** Loads every revocation still in force (at start) and forgets expired ones. */
  async loadRevoked(): Promise<void> {
    const now = this.d.now();
    await this.d.repo.pruneRevoked(now);
    this.d.revocations.add(await this.d.repo.loadRevoked(now));
  }
}
