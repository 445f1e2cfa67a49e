/**
 * The authenticated seal API at `/v1/sys` (the unauthenticated part, seal status, init and unseal,
 * is served by the gate in front of the services: daemon/seal/gate.ts). Sealing and rekeying are
 * for administrators of the operator account only: the `iam` permission, then the account checked
 * here. Bodies (passphrases, PINs, shares) are never part of the audit record.
 */
import { defineModule, type RouteRequest, type ServiceModule } from '../contract.js';
import type { RekeyService } from '../../seal/rekey.js';
import { sealErrors } from '../../seal/seal-errors.js';

export interface SysModuleDeps {
  rekey: RekeyService;
  /** Starts sealing: new requests are refused at once, the teardown follows this request's answer. */
  seal: () => unknown;
  isOperatorAccount: (domainId: string) => boolean;
}

export function sysModule(d: SysModuleDeps): ServiceModule {
  const operator = (r: RouteRequest) => {
    if (!d.isOperatorAccount(r.caller.domainId)) throw sealErrors.operatorOnly();
  };
  return defineModule({
    name: 'sys',
    base: '/v1/sys',
    resource: { request: () => 'master-key' },
    routes: [
      { method: 'POST', path: '/seal', operation: 'seal', permission: 'iam', handler: (r) => (operator(r), d.seal()) },
      { method: 'POST', path: '/rekey', operation: 'rekey', permission: 'iam', schema: 'dew/sys-rekey', handler: (r) => (operator(r), d.rekey.start(r.body)) },
      { method: 'GET', path: '/rekey', operation: 'rekey-status', permission: 'iam', handler: (r) => (operator(r), d.rekey.status()) },
      { method: 'POST', path: '/rekey/verify', operation: 'rekey-verify', permission: 'iam', schema: 'dew/sys-rekey-verify', handler: (r) => (operator(r), d.rekey.verify(r.body.nonce, r.body.share)) },
      { method: 'DELETE', path: '/rekey', operation: 'rekey-cancel', permission: 'iam', handler: (r) => (operator(r), d.rekey.cancel()) },
    ],
  });
}
