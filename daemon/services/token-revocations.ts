/**
 * The bearer tokens revoked before their expiry, mirrored in memory on every daemon (no request
 * reads the database): loaded at start, added to by this daemon's sign-outs and by the change feed
 * for other daemons' (kind `revoked_token`). Listeners (the Authenticator's verified-token cache)
 * hear each new revocation so a cached token is dropped at once.
 */
import { createHash } from 'node:crypto';

/** The hex SHA-256 of a token: how a revoked token (or a sign-in link) is named and stored. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class TokenRevocations {
  /** Token hash → the token's expiry (epoch ms): past it the entry may go. */
  private readonly revoked = new Map<string, number>();
  private readonly listeners: ((hash: string) => void)[] = [];

  constructor(private readonly now: () => number) {}

  isRevoked(hash: string): boolean {
    const until = this.revoked.get(hash);
    if (until === undefined) return false;
    if (until <= this.now()) this.revoked.delete(hash);
    return true;
  }

  /** Adds revocations (hash → expiry); each one not known before is told to the listeners. */
  add(entries: Iterable<[string, number]>): void {
    for (const [hash, expiresAt] of entries) {
      if (this.revoked.has(hash)) continue;
      this.revoked.set(hash, expiresAt);
      for (const l of this.listeners) l(hash);
    }
  }

  onRevoke(listener: (hash: string) => void): void {
    this.listeners.push(listener);
  }

  /** Forgets revocations of tokens that have expired (they fail as expired anyway). */
  prune(): void {
    const now = this.now();
    for (const [hash, until] of this.revoked) if (until <= now) this.revoked.delete(hash);
  }
}
