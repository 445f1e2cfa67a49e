/**
 * Role policy: which role allows which operation (SPEC: Tenancy, identity, access). Decided from
 * the request's method and path and the caller's role bits only, so no database read per request.
 * Grants (services/grants.ts) add permissions on one key on top of this table.
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

/** `POST /kms/{operation}` operations by permission; anything unlisted under /kms is `manage` (POST) or `read` (GET). */
const KMS_OPERATIONS: Readonly<Record<string, Permission>> = Object.freeze({
  'describe-key': 'read',
  'list-keys': 'read',
  'get-publickey': 'read',
  'get-key-rotation-status': 'read',
  'list-grants': 'read',
  'list-retirable-grants': 'any',
  'retire-grant': 'any',
  'encrypt-data': 'use',
  'decrypt-data': 'use',
  'create-datakey': 'use',
  'create-datakey-without-plaintext': 'use',
  'encrypt-datakey': 'use',
  'decrypt-datakey': 'use',
  'gen-random': 'use',
  sign: 'use',
  verify: 'use',
  'generate-mac': 'use',
  'verify-mac': 'use',
  'create-rsa-datakey-pair': 'use',
  'create-ec-datakey-pair': 'use',
  're-encrypt': 'use',
});

export interface Access {
  /** The operation name (`encrypt-data`, `list-key-tags`, `iam`, …); grants match on it. */
  readonly operation: string;
  readonly permission: Permission;
}

/** Memo per method: `POST` (and the other writes) and `GET`/`HEAD`, keyed by path. */
const memo = new Map<string, Map<string, Access>>();
const MEMO_MAX = 4096;

/**
 * Classifies a request by method and decoded path (`/v1.0/{project_id}/kms/encrypt-data`).
 * Results are memoised per method and path (paths carry the project id, so the table stays small).
 */
export function accessFor(method: string, path: string): Access {
  let byPath = memo.get(method);
  if (!byPath) memo.set(method, (byPath = new Map()));
  const hit = byPath.get(path);
  if (hit) return hit;
  const a = Object.freeze(classify(method, path));
  if (byPath.size >= MEMO_MAX) byPath.clear();
  byPath.set(path, a);
  return a;
}

/** The access of `POST /v1.0/{project_id}/kms/{operation}`, by operation name (what `accessFor` answers for that path). */
export function kmsOperationAccess(operation: string): Access {
  return Object.freeze(kmsOperation(operation, false));
}

/** A single-segment `/kms/{operation}` path: listed operations by the table, others by method. */
function kmsOperation(op: string, read: boolean): Access {
  // tags, user-quotas, user-instances, aliases, rotation and import operations are unlisted
  return { operation: op, permission: KMS_OPERATIONS[op] ?? (read ? 'read' : 'manage') };
}

function classify(method: string, path: string): Access {
  const seg = path.split('/').filter((s) => s.length > 0);
  const read = method === 'GET' || method === 'HEAD';
  if (seg[0] === 'v3') return { operation: 'auth-token', permission: 'any' };
  // seg: v1.0, {project_id}, service, …
  const service = seg[2];
  const rest = seg.slice(3);
  if (service === 'kms') {
    if (rest.length === 1) return kmsOperation(rest[0], read);
    if (rest[0] === 'resource_instances') return { operation: 'resource-instances', permission: 'read' };
    if (rest[1] === 'tags') return { operation: read ? 'list-key-tags' : 'change-key-tags', permission: read ? 'read' : 'manage' };
    return { operation: rest.join('/'), permission: read ? 'read' : 'manage' };
  }
  if (service === 'dew' && rest[0] === 'iam') return { operation: 'iam', permission: 'iam' };
  return { operation: [service, ...rest.slice(0, 1)].join('/'), permission: read ? 'read' : 'manage' };
}
