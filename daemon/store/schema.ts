/** Drizzle table declarations: the daemon's whole persistent model. Times are epoch milliseconds. */
import { sqliteTable, text, integer, blob, primaryKey, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Small named values: schema facts, the master-key check value, the change sequence. */
export const meta = sqliteTable('meta', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

/** Accounts (Huawei "domains"). */
export const accounts = sqliteTable('accounts', {
  domainId: text('domain_id').primaryKey(),
  name: text('name').notNull().unique(),
  createdAt: integer('created_at').notNull(),
});

export const projects = sqliteTable('projects', {
  projectId: text('project_id').primaryKey(),
  domainId: text('domain_id').notNull(),
  name: text('name').notNull(),
  region: text('region').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const users = sqliteTable(
  'users',
  {
    userId: text('user_id').primaryKey(),
    domainId: text('domain_id').notNull(),
    name: text('name').notNull(),
    /** JSON array of role names. */
    roles: text('roles').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('users_domain_name').on(t.domainId, t.name)],
);

/** AK/SK pairs; the secret is stored only wrapped under the master key. */
export const accessKeys = sqliteTable('access_keys', {
  accessKey: text('access_key').primaryKey(),
  userId: text('user_id').notNull(),
  domainId: text('domain_id').notNull(),
  projectId: text('project_id').notNull(),
  secretWrapped: blob('secret_wrapped', { mode: 'buffer' }).notNull(),
  status: text('status').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** HSM partitions; each root key is wrapped under the master key. */
export const partitions = sqliteTable('partitions', {
  partitionId: text('partition_id').primaryKey(),
  rootWrapped: blob('root_wrapped', { mode: 'buffer' }).notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Customer master keys (metadata; material lives in key_versions). */
export const keys = sqliteTable(
  'keys',
  {
    keyId: text('key_id').primaryKey(),
    domainId: text('domain_id').notNull(),
    projectId: text('project_id').notNull(),
    keyAlias: text('key_alias').notNull(),
    keyDescription: text('key_description').notNull(),
    keySpec: text('key_spec').notNull(),
    keyUsage: text('key_usage').notNull(),
    origin: text('origin').notNull(),
    keyState: text('key_state').notNull(),
    defaultKeyFlag: integer('default_key_flag').notNull(),
    creationDate: integer('creation_date').notNull(),
    scheduledDeletionDate: integer('scheduled_deletion_date'),
    expirationTime: integer('expiration_time'),
    keystoreId: text('keystore_id').notNull(),
    partitionId: text('partition_id').notNull(),
    rotationEnabled: integer('rotation_enabled').notNull(),
    rotationInterval: integer('rotation_interval').notNull(),
    lastRotationTime: integer('last_rotation_time'),
    numberOfRotations: integer('number_of_rotations').notNull(),
    currentVersion: integer('current_version').notNull(),
    /** Bumped by every change to the key, through the tool or not (saved plans compare it). */
    revision: integer('revision').notNull(),
  },
  (t) => [uniqueIndex('keys_project_alias').on(t.projectId, t.keyAlias)],
);

/**
 * One row per change to a cached object (key, access key, user): every daemon on the database
 * polls it and reloads what changed, so a key disabled on one daemon is refused by all.
 */
export const changeEvents = sqliteTable('change_events', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  kind: text('kind').notNull(),
  objectId: text('object_id').notNull(),
  at: integer('at').notNull(),
});

/** Wrapped key material, one row per version (AEAD with key id and version as associated data). */
export const keyVersions = sqliteTable(
  'key_versions',
  {
    keyId: text('key_id').notNull(),
    version: integer('version').notNull(),
    materialWrapped: blob('material_wrapped', { mode: 'buffer' }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.version] })],
);

export const keyTags = sqliteTable(
  'key_tags',
  {
    keyId: text('key_id').notNull(),
    tagKey: text('tag_key').notNull(),
    tagValue: text('tag_value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.tagKey] })],
);

/** Declarative stacks: serial, lineage and the stack lock. */
export const stacks = sqliteTable(
  'stacks',
  {
    projectId: text('project_id').notNull(),
    name: text('name').notNull(),
    serial: integer('serial').notNull(),
    lineage: text('lineage').notNull(),
    lockId: text('lock_id'),
    lockWho: text('lock_who'),
    lockOperation: text('lock_operation'),
    lockCreatedAt: integer('lock_created_at'),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.name] })],
);

/** Objects owned by a stack: address → object id and the attributes last applied. */
export const stackObjects = sqliteTable(
  'stack_objects',
  {
    projectId: text('project_id').notNull(),
    stack: text('stack').notNull(),
    address: text('address').notNull(),
    type: text('type').notNull(),
    objectId: text('object_id').notNull(),
    attributes: text('attributes').notNull(),
    dependencies: text('dependencies').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.stack, t.address] })],
);

/**
 * Import tokens of get-parameters-for-import (reference 1e): bound to one key, one wrapping key and
 * the user who asked; valid 24 h and for one successful import. The wrapping private key is stored
 * only sealed under the partition root.
 */
export const importTokens = sqliteTable('import_tokens', {
  tokenId: text('token_id').primaryKey(),
  keyId: text('key_id').notNull(),
  projectId: text('project_id').notNull(),
  userId: text('user_id').notNull(),
  wrappingAlgorithm: text('wrapping_algorithm').notNull(),
  /** SHA-256 of the wrapping public key (SPKI DER), also carried inside the token. */
  wrappingKeyHash: blob('wrapping_key_hash', { mode: 'buffer' }).notNull(),
  wrappingKeySealed: blob('wrapping_key_sealed', { mode: 'buffer' }).notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});

/** Keyed digest (HMAC under an HSM-derived key) of a key's first imported material: re-imports must match it. */
export const importedMaterialDigests = sqliteTable('imported_material_digests', {
  keyId: text('key_id').primaryKey(),
  digest: blob('digest', { mode: 'buffer' }).notNull(),
  createdAt: integer('created_at').notNull(),
});
