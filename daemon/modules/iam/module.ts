/**
 * The IAM administration module at `/v1.0/{project_id}/dew/iam`: users, their roles and access
 * keys, and the account's IP allow-list. Every route needs the `iam` permission (KMS Administrator);
 * `account` (name or domain id, in the body or the query) picks another account, which only
 * administrators of the operator account may name (services/iam-admin.ts decides).
 */
import type { IamAdmin } from '../../services/iam-admin.js';
import type { IdentityService } from '../../services/identity.js';
import { createHash } from 'node:crypto';
import { defineModule, type LiveView, type RouteRequest, type ServiceModule } from '../contract.js';
import type { PendingFinder } from '../../services/stacks.js';

/** `account` from the body, else from the query string. */
function accountOf(r: RouteRequest): string | undefined {
  const v = r.body.account ?? r.query('account');
  return v === undefined ? undefined : String(v);
}

/** `identity` is the in-memory identity the edge authenticates against; the module reloads it on changes. */
export function iamModule(d: { iam: IamAdmin; identity: IdentityService }): ServiceModule {
  const iam = d.iam;
  return defineModule({
    name: 'iam',
    base: '/v1.0/:project_id/dew/iam',
    resource: { request: (r) => r.params.user ?? r.params.ak },
    routes: [
      { method: 'POST', path: '/users', operation: 'create-user', permission: 'iam', schema: 'dew/iam-user-create', status: 201, resource: { request: (r) => r.body.name },
        handler: (r) => iam.createUser(r.caller, { name: r.body.name, roles: r.body.roles, account: accountOf(r) }) },
      { method: 'GET', path: '/users', operation: 'list-users', permission: 'iam', handler: (r) => iam.listUsers(r.caller, accountOf(r)) },
      { method: 'DELETE', path: '/users/:user', operation: 'delete-user', permission: 'iam', handler: (r) => iam.deleteUser(r.caller, r.params.user, accountOf(r)) },
      { method: 'POST', path: '/users/:user/access-keys', operation: 'create-access-key', permission: 'iam', schema: 'dew/iam-access-key-create', status: 201,
        handler: (r) => iam.createAccessKey(r.caller, r.params.user, accountOf(r)) },
      { method: 'PUT', path: '/users/:user/roles', operation: 'set-user-roles', permission: 'iam', schema: 'dew/iam-user-roles',
        handler: (r) => iam.setRoles(r.caller, r.params.user, r.body.roles, accountOf(r)) },
      { method: 'DELETE', path: '/access-keys/:ak', operation: 'delete-access-key', permission: 'iam', handler: (r) => iam.deleteAccessKey(r.caller, r.params.ak) },
      { method: 'GET', path: '/ip-acl', operation: 'get-ip-acl', permission: 'iam', handler: (r) => iam.getIpAcl(r.caller, accountOf(r)) },
      { method: 'PUT', path: '/ip-acl', operation: 'set-ip-acl', permission: 'iam', schema: 'dew/iam-ip-acl', handler: (r) => iam.setIpAcl(r.caller, r.body.cidrs, accountOf(r)) },
      { method: 'DELETE', path: '/ip-acl', operation: 'delete-ip-acl', permission: 'iam', handler: (r) => iam.setIpAcl(r.caller, [], accountOf(r)) },
    ],
    liveViews: { dew_iam_user: userView(iam) },
    finders: { dew_iam_user: userFinder(iam) },
    feeds: {
      access_key: (ids) => d.identity.reloadAccessKeys(ids),
      user: (ids) => d.identity.reloadUsers(ids),
      ip_acl: (ids) => d.identity.reloadIpAcls(ids),
    },
  });
}

/**
 * A stack's user object. Users carry no revision column; the revision is a digest of what a plan
 * compares (name and roles), so a saved plan goes stale when the roles change under it.
 */
function userView(iam: IamAdmin): LiveView {
  return (caller, objectId) => {
    const u = iam.ownUser(caller, objectId);
    if (!u) return { live: null, revision: 0 };
    const digest = createHash('sha256').update(JSON.stringify([u.name, u.roles])).digest();
    return { live: { ...u }, revision: digest.readUInt32BE(0) >>> 1 || 1 };
  };
}

/** The user an interrupted create made: that name in the caller's account, made after the intent. */
function userFinder(iam: IamAdmin): PendingFinder {
  return (caller, args, since) => {
    const u = iam.listUsers(caller).users.find((x) => x.name === args.name && Number(x.created_at) >= since);
    return u ? { objectId: u.user_id, live: { user_id: u.user_id, name: u.name, roles: u.roles, domain_id: u.domain_id } } : undefined;
  };
}
