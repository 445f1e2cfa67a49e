/**
 * The token module at `/v3/auth` (IAM-shaped): a signed request (or a token) gets a bearer token
 * for `X-Auth-Token`, in the `X-Subject-Token` header, valid 24 hours by default. A token minted
 * with a token expires no later than the presenting one: renewing never extends a stolen token's life.
 */
import { issueToken } from '../../http/auth/token.js';
import type { TokenMac } from '../../hsm/token-mac.js';
import { defineModule, type ServiceModule } from '../contract.js';

export interface AuthModuleDeps {
  tokenKey: TokenMac;
  now: () => number;
  /** Token lifetime (default 24 h). */
  tokenTtlMs?: number;
}

export function authModule(d: AuthModuleDeps): ServiceModule {
  return defineModule({
    name: 'auth',
    base: '/v3/auth',
    routes: [
      {
        method: 'POST', path: '/tokens', operation: 'auth-token', permission: 'any', status: 201,
        handler: (r) => {
          const caller = r.caller;
          const full = d.now() + (d.tokenTtlMs ?? 86_400_000);
          const expiresAtMs = caller.tokenExpiresAtMs === undefined ? full : Math.min(full, caller.tokenExpiresAtMs);
          const token = issueToken(d.tokenKey, { userId: caller.userId, domainId: caller.domainId, projectId: caller.projectId, accessKey: caller.accessKey, expiresAtMs });
          r.setHeader('X-Subject-Token', token);
          return {
            token: {
              expires_at: new Date(expiresAtMs).toISOString(),
              user: { id: caller.userId, domain: { id: caller.domainId } },
              project: { id: caller.projectId },
            },
          };
        },
      },
    ],
  });
}
