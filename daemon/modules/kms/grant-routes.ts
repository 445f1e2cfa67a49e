/** KMS grant routes (reference 1d): create, list, list-retirable, revoke, retire. */
import type { CreateGrantInput, GrantService } from '../../services/grants.js';
import type { RouteSpec } from '../contract.js';
import { strNum } from '../wire.js';
import { op } from './op.js';

const num = (v: unknown) => (v === undefined ? undefined : strNum(v));

export function grantRoutes(d: { grants: GrantService }): RouteSpec[] {
  const g = d.grants;
  return [
    op('create-grant', 'manage', (caller, b) => g.create(caller, b as unknown as CreateGrantInput)),
    op('list-grants', 'read', (caller, b) => g.list(caller, String(b.key_id), num(b.limit), num(b.marker))),
    // Anyone may list what they can retire and retire it; the service checks who they are.
    op('list-retirable-grants', 'any', (caller, b) => g.listRetirable(caller, num(b.limit), num(b.marker))),
    op('revoke-grant', 'manage', async (caller, b) => {
      await g.revoke(caller, String(b.key_id), String(b.grant_id).toLowerCase());
      return undefined;
    }),
    op('retire-grant', 'any', async (caller, b) => {
      await g.retire(caller, String(b.key_id), String(b.grant_id).toLowerCase());
      return undefined;
    }),
  ];
}
