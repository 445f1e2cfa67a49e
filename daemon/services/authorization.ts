/**
 * Role policy: which role allows which permission (SPEC: Tenancy, identity, access). Each route
 * declares the permission it needs (daemon/modules/contract.ts); the decision uses that and the
 * caller's role bits only, so no database read per request. Grants (services/grants.ts) add
 * permissions on one key on top of this table.
 */

export const ROLE = Object.freeze({
  admin: 'KMS Administrator',
  fullAccess: 'KMS CMKFullAccess',
  readOnly: 'KMS ReadOnlyAccess',
} as const);

export type RoleName = (typeof ROLE)[keyof typeof ROLE];
export const ROLE_NAMES: readonly string[] = Object.freeze(Object.values(ROLE));

/**
 * What an operation needs: `read` (metadata, no secret-key crypto), `use` (crypto with a key),
 * `manage` (changes to keys and grants), `iam` (accounts, users, access keys, IP lists),
 * `any` (every authenticated caller; the service checks who it is, e.g. retire-grant).
 */
export type Permission = 'read' | 'use' | 'manage' | 'iam' | 'any';

const BIT: Readonly<Record<Permission, number>> = Object.freeze({ read: 1, use: 2, manage: 4, iam: 8, any: 16 });

/** Role → permission bits. No role at all still passes `any`. */
const ROLE_BITS: Readonly<Record<string, number>> = Object.freeze({
  [ROLE.admin]: BIT.read | BIT.use | BIT.manage | BIT.iam,
  [ROLE.fullAccess]: BIT.read | BIT.use | BIT.manage,
  [ROLE.readOnly]: BIT.read,
});

/** The permission bits of a set of roles (unknown role names give nothing). */
export function permissionBits(roles: readonly string[]): number {
  let bits = BIT.any;
  for (const r of roles) bits |= ROLE_BITS[r] ?? 0;
  return bits;
}

export function allows(bits: number, permission: Permission): boolean {
  return (bits & BIT[permission]) !== 0;
}

/** The grant operations of reference §2; only these can be granted, and a grant may not be only `create-grant`. */
export const GRANT_OPERATIONS: readonly string[] = Object.freeze([
  'create-datakey',
  'create-datakey-without-plaintext',
  'encrypt-datakey',
  'decrypt-datakey',
  'describe-key',
  'create-grant',
  'retire-grant',
  'encrypt-data',
  'decrypt-data',
]);
const GRANTABLE = new Set(GRANT_OPERATIONS);
export const isGrantable = (operation: string): boolean => GRANTABLE.has(operation);

export interface Access {
  /** The operation name (`encrypt-data`, `list-key-tags`, `iam`, …); grants match on it. */
  readonly operation: string;
  readonly permission: Permission;
}

const PERMISSION_NAMES: readonly Exclude<Permission, 'any'>[] = Object.freeze(['read', 'use', 'manage', 'iam']);

/** The permission names a set of roles allows (what the console shows buttons for). */
export function permissionsOf(roles: readonly string[]): Exclude<Permission, 'any'>[] {
  const bits = permissionBits(roles);
  return PERMISSION_NAMES.filter((p) => allows(bits, p));
}
