/**
 * The console's sign-in API (issue 17; services/console-sign-in.ts decides): a signed-in caller
 * makes a one-time link at `/v1.0/{project_id}/dew/console/sign-in-links`; the page exchanges it at
 * `/v1.0/dew/console/sessions` (a public route: the token in the body is the credential) and signs
 * out at `DELETE /v1.0/dew/console/sessions/current`, which revokes its token on every daemon (the
 * `revoked_token` change-feed kind). Every call is audited.
 */
import type { ConsoleSignIn } from '../../services/console-sign-in.js';
import { defineModule, type ServiceModule } from '../contract.js';
import { REVOKED_TOKEN_KIND } from '../../store/console-repo.js';

export function consoleLinksModule(d: { signIn: ConsoleSignIn }): ServiceModule {
  return defineModule({
    name: 'console-links',
    base: '/v1.0/:project_id/dew/console',
    resource: { request: () => 'console' },
    routes: [
      { method: 'POST', path: '/sign-in-links', operation: 'console-sign-in-link', permission: 'any', status: 201, handler: (r) => d.signIn.createLink(r.caller) },
    ],
  });
}

export function consoleSessionsModule(d: { signIn: ConsoleSignIn }): ServiceModule {
  return defineModule({
    name: 'console',
    base: '/v1.0/dew/console',
    resource: { request: () => 'console' },
    feeds: { [REVOKED_TOKEN_KIND]: (ids) => d.signIn.reloadRevoked(ids) },
    routes: [
      {
        method: 'POST', path: '/sessions', operation: 'console-sign-in', permission: 'any', public: true, schema: 'dew/console-session', status: 201,
        handler: (r) => d.signIn.exchange(String(r.body.sign_in_token), r.identify!),
      },
      {
        method: 'DELETE', path: '/sessions/current', operation: 'console-sign-out', permission: 'any', status: 204,
        handler: (r) => d.signIn.signOut(r.caller, r.header('x-auth-token')),
      },
    ],
  });
}
