/** Drizzle table declarations: the daemon's whole persistent model. Times are epoch milliseconds. */
import { sqliteTable, text, integer, blob, primaryKey, uniqueIndex, index } from 'drizzle-orm/sqlite-core';

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

/** Declarative stacks: serial, lineage, the stack lock and the last applied plan. */
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
    /** The plan the last `dew apply` carried out, as JSON: its text as `dew plan` printed it (sensitive values already redacted), counts, outcome. */
    lastPlan: text('last_plan'),
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

/**
 * KMS aliases (reference 1g): extra `alias/…` names for a key, unique per project. A key_id
 * parameter anywhere also accepts one. `revision` is bumped by every change (saved plans compare it).
 */
export const kmsAliases = sqliteTable(
  'kms_aliases',
  {
    projectId: text('project_id').notNull(),
    alias: text('alias').notNull(),
    keyId: text('key_id').notNull(),
    domainId: text('domain_id').notNull(),
    createTime: integer('create_time').notNull(),
    updateTime: integer('update_time').notNull(),
    revision: integer('revision').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.alias] })],
);

/** Per-account IP allow-lists (SPEC: Tenancy): JSON array of CIDRs; no row means no restriction. */
export const ipAcls = sqliteTable('ip_acls', {
  domainId: text('domain_id').primaryKey(),
  cidrs: text('cidrs').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** KMS grants (reference 1d): operations on one key given to a user or a whole account (domain). */
export const grants = sqliteTable(
  'grants',
  {
    grantId: text('grant_id').primaryKey(),
    keyId: text('key_id').notNull(),
    /** The key's account and project, so a grant never needs the key row to be read back. */
    domainId: text('domain_id').notNull(),
    projectId: text('project_id').notNull(),
    granteePrincipal: text('grantee_principal').notNull(),
    granteePrincipalType: text('grantee_principal_type').notNull(),
    /** JSON array of operation names. */
    operations: text('operations').notNull(),
    issuingPrincipal: text('issuing_principal').notNull(),
    retiringPrincipal: text('retiring_principal'),
    name: text('name'),
    creationDate: integer('creation_date').notNull(),
  },
  (t) => [index('grants_key').on(t.keyId)],
);

/**
 * Automatic rotation policy of a key (reference 1e): when rotation was last switched on. A key is
 * due when it is enabled and `interval` days have passed since the later of this and its last rotation.
 */
export const rotationPolicies = sqliteTable('rotation_policies', {
  keyId: text('key_id').primaryKey(),
  enabledAt: integer('enabled_at').notNull(),
});

/**
 * The audit trail, in segments: each row holds consecutive records of one writer's hash chain (a
 * flushed batch of data-path calls, or the one record of a state change), so appending a thousand
 * records writes one row, not a thousand. Each writer (a daemon, whose cluster primary writes for
 * all its workers, or one `dew rotate --due` run) keeps its own chain. `records` is a JSON array of
 * `[at, request_id, domain_id, user_id, access_key, source_ip, operation, resource_id, outcome, status, error_code, hash]`
 * for chain positions `first_seq`…`last_seq`; `prev_hash` is the hash the first record follows and
 * `hash` the last record's. A record's position in the trail is `seq * 10000 + its index`. The
 * `audit_records` view (migration 0004) shows one row per record.
 */
export const auditSegments = sqliteTable(
  'audit_segments',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    chainId: text('chain_id').notNull(),
    firstSeq: integer('first_seq').notNull(),
    lastSeq: integer('last_seq').notNull(),
    maxAt: integer('max_at').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    records: text('records').notNull(),
  },
  (t) => [uniqueIndex('audit_segments_chain').on(t.chainId, t.firstSeq)],
);

/**
 * What each segment holds, counted by resource, account, operation and outcome: it finds the
 * segments of one key or one account without reading the others, and sums to per-key usage.
 * `dew audit verify` checks it against the segments.
 */
export const auditIndex = sqliteTable(
  'audit_index',
  {
    segment: integer('segment').notNull(),
    resourceId: text('resource_id').notNull(),
    domainId: text('domain_id').notNull(),
    operation: text('operation').notNull(),
    /** allowed (2xx), refused (401/403) or failed (any other error). */
    outcome: text('outcome').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [index('audit_index_resource').on(t.resourceId, t.segment), index('audit_index_domain').on(t.domainId, t.segment), index('audit_index_segment').on(t.segment)],
);

/** The head of every audit chain, written in the same batch as its records: a removed tail shows. */
export const auditChains = sqliteTable('audit_chains', {
  chainId: text('chain_id').primaryKey(),
  headSeq: integer('head_seq').notNull(),
  headHash: text('head_hash').notNull(),
  startedAt: integer('started_at').notNull(),
});

/**
 * Bad-signature counts and locks per access key and source address, shared by every daemon on the
 * database (the reference locks an AK for five minutes after five bad signatures in a row; counted
 * per source, a stranger who knows an AK locks out only themselves). Written only when a signature
 * fails, or when one succeeds after failures; each daemon mirrors it in memory through the change
 * feed (kind `ak_lockout`, object id `lockKey`), so no request reads it.
 */
export const akLockouts = sqliteTable(
  'ak_lockouts',
  {
    accessKey: text('access_key').notNull(),
    /** The client's socket address (never a forwarded header). */
    source: text('source').notNull(),
    failures: integer('failures').notNull(),
    /** Epoch ms until which the AK is locked for this source; 0 when it is not. */
    lockedUntil: integer('locked_until').notNull(),
    /** The `version` of the write that started the running lock: that write's daemon raises the alarm. */
    lockedVersion: integer('locked_version').notNull(),
    /** Epoch ms of the last bad signature: a count idle for the lock time starts again (and the row may go). */
    lastFailureAt: integer('last_failure_at').notNull(),
    /** Counts the writes: a mirror ignores a state older than the one it has. */
    version: integer('version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accessKey, t.source] })],
);

/**
 * KPS key pairs (reference 4). `owner` is the user id for scope `user` and `*` for scope `domain`
 * (account key pairs), so one unique index keeps names unique per owner; the service keeps a user
 * name from shadowing an account name. A managed private key is sealed under a KMS data key
 * (services/kps/private-key-vault.ts): `private_sealed` holds the wrapped data key and the
 * AES-256-GCM ciphertext, never the key in the clear.
 */
export const kpsKeypairs = sqliteTable(
  'kps_keypairs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    /** The user who created it (reference `user_id`). */
    userId: text('user_id').notNull(),
    owner: text('owner').notNull(),
    name: text('name').notNull(),
    scope: text('scope').notNull(),
    type: text('type').notNull(),
    algorithm: text('algorithm').notNull(),
    publicKey: text('public_key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    description: text('description').notNull(),
    /** JSON of the sealed private key; null when the service does not hold it. */
    privateSealed: text('private_sealed'),
    /** The KMS key id that protects it (null when not managed). */
    kmsKeyId: text('kms_key_id'),
    /** `default` (kps/default) or `kms` (a named key). */
    encryptionType: text('encryption_type'),
    frozenState: integer('frozen_state').notNull(),
    /** 1 for an account key pair that was a user's (FAQ 3.22: it does not count against the account quota). */
    upgraded: integer('upgraded').notNull(),
    createTime: integer('create_time').notNull(),
    updateTime: integer('update_time').notNull(),
    revision: integer('revision').notNull(),
  },
  (t) => [uniqueIndex('kps_keypairs_owner_name').on(t.projectId, t.owner, t.name), index('kps_keypairs_project_name').on(t.projectId, t.name)],
);

/**
 * SSH hosts key pairs are bound to (dew's own resource: the reference binds to its own servers).
 * The host key is pinned at registration or on first contact; `keypair_*` name the key pair
 * whose public key the last successful task left in the login user's authorized_keys.
 */
export const kpsHosts = sqliteTable(
  'kps_hosts',
  {
    hostId: text('host_id').primaryKey(),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    name: text('name').notNull(),
    address: text('address').notNull(),
    port: integer('port').notNull(),
    username: text('username').notNull(),
    hostKey: text('host_key'),
    sshdConfig: text('sshd_config').notNull(),
    description: text('description').notNull(),
    keypairId: integer('keypair_id'),
    keypairName: text('keypair_name'),
    /** The bound public key as written on the host (what unbind removes). */
    boundPublicKey: text('bound_public_key'),
    passwordDisabled: integer('password_disabled').notNull(),
    createTime: integer('create_time').notNull(),
    updateTime: integer('update_time').notNull(),
    revision: integer('revision').notNull(),
  },
  (t) => [uniqueIndex('kps_hosts_project_name').on(t.projectId, t.name)],
);

/**
 * KPS binding tasks (associate = RESET or REPLACE, disassociate = UNBIND). A task runs in the
 * daemon that accepted it; `lease_until` bounds how long it may stay RUNNING, so a task whose
 * daemon died is reported FAILED once its lease has passed. Passwords and private keys used to log
 * in are never stored.
 */
export const kpsTasks = sqliteTable(
  'kps_tasks',
  {
    taskId: text('task_id').primaryKey(),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    userId: text('user_id').notNull(),
    hostId: text('host_id').notNull(),
    serverName: text('server_name').notNull(),
    keypairName: text('keypair_name').notNull(),
    operateType: text('operate_type').notNull(),
    /** READY, RUNNING, SUCCESS or FAILED (the wire adds `_<operate_type>`). */
    state: text('state').notNull(),
    errorCode: text('error_code'),
    errorMsg: text('error_msg'),
    taskTime: integer('task_time').notNull(),
    leaseUntil: integer('lease_until').notNull(),
    updateTime: integer('update_time').notNull(),
  },
  (t) => [index('kps_tasks_project_state').on(t.projectId, t.state, t.taskTime), index('kps_tasks_host').on(t.hostId, t.state)],
);

/**
 * CSMS secrets (reference 5). `state` is ENABLED, DISABLED, PENDING_DELETE or FROZEN;
 * `next_version` is the number the next version takes (reserved by a compare-free increment, so
 * two writers never share a number). Tags are a JSON object (at most 20). `rotation_config` for a
 * COMMON secret is the JSON password policy the rotation generator uses.
 */
export const csmsSecrets = sqliteTable(
  'csms_secrets',
  {
    secretId: text('secret_id').primaryKey(),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    name: text('name').notNull(),
    state: text('state').notNull(),
    /** The KMS key id new versions are sealed under. */
    kmsKeyId: text('kms_key_id').notNull(),
    description: text('description').notNull(),
    secretType: text('secret_type').notNull(),
    autoRotation: integer('auto_rotation').notNull(),
    rotationPeriod: text('rotation_period'),
    rotationConfig: text('rotation_config'),
    rotationTime: integer('rotation_time'),
    nextRotationTime: integer('next_rotation_time'),
    /** JSON array of event names (at most one). */
    eventSubscriptions: text('event_subscriptions').notNull(),
    enterpriseProjectId: text('enterprise_project_id').notNull(),
    rotationFuncUrn: text('rotation_func_urn'),
    scheduledDeleteTime: integer('scheduled_delete_time'),
    /** JSON object of tag key to value. */
    tags: text('tags').notNull(),
    nextVersion: integer('next_version').notNull(),
    createTime: integer('create_time').notNull(),
    updateTime: integer('update_time').notNull(),
    revision: integer('revision').notNull(),
  },
  (t) => [uniqueIndex('csms_secrets_project_name').on(t.projectId, t.name), index('csms_secrets_due').on(t.state, t.nextRotationTime)],
);

/**
 * Secret versions. `sealed` is the value envelope-encrypted under `kms_key_id` (a fresh data key
 * per version, the secret id and version bound as associated data); never the value in the clear.
 */
export const csmsVersions = sqliteTable(
  'csms_versions',
  {
    secretId: text('secret_id').notNull(),
    /** 1 for `v1`, 2 for `v2`, … */
    version: integer('version').notNull(),
    projectId: text('project_id').notNull(),
    kmsKeyId: text('kms_key_id').notNull(),
    sealed: text('sealed').notNull(),
    /** `text` or `binary`: which field the value is answered in. */
    valueKind: text('value_kind').notNull(),
    createTime: integer('create_time').notNull(),
    /** Epoch ms (the wire is seconds); null: never expires. */
    expireTime: integer('expire_time'),
    /** 1 once SECRET_VERSION_EXPIRED was raised for it. */
    expiredNotified: integer('expired_notified').notNull(),
  },
  (t) => [primaryKey({ columns: [t.secretId, t.version] }), index('csms_versions_expiry').on(t.expiredNotified, t.expireTime)],
);

/** Stage labels: a stage lives on exactly one version of a secret (the primary key says so). */
export const csmsStages = sqliteTable(
  'csms_stages',
  {
    secretId: text('secret_id').notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    updateTime: integer('update_time').notNull(),
  },
  (t) => [primaryKey({ columns: [t.secretId, t.name] })],
);

/** Rotation tasks (reference `csms/tasks`): one per rotation, on demand or scheduled. */
export const csmsTasks = sqliteTable(
  'csms_tasks',
  {
    taskId: text('task_id').primaryKey(),
    projectId: text('project_id').notNull(),
    secretId: text('secret_id').notNull(),
    secretName: text('secret_name').notNull(),
    rotationFuncUrn: text('rotation_func_urn'),
    /** SUCCESS or FAILED (RUNNING while a rotation is in progress). */
    taskStatus: text('task_status').notNull(),
    /** ROTATE (on demand) or AUTO_ROTATE (the scheduler). */
    operateType: text('operate_type').notNull(),
    taskTime: integer('task_time').notNull(),
    attemptNums: integer('attempt_nums').notNull(),
    taskErrorCode: text('task_error_code'),
    taskErrorMsg: text('task_error_msg'),
  },
  (t) => [index('csms_tasks_project_time').on(t.projectId, t.taskTime)],
);

/** Event definitions (reference `csms/events`): which event types notify which target. */
export const csmsEvents = sqliteTable(
  'csms_events',
  {
    eventId: text('event_id').primaryKey(),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    name: text('name').notNull(),
    /** JSON array of event types. */
    eventTypes: text('event_types').notNull(),
    state: text('state').notNull(),
    /** JSON `{target_type, target_id, target_name}`; target_id is the webhook URL for target_type WEBHOOK. */
    notification: text('notification').notNull(),
    /** The HMAC key deliveries are signed with, sealed under the master key (never in the clear). */
    signingKeySealed: text('signing_key_sealed').notNull(),
    createTime: integer('create_time').notNull(),
    updateTime: integer('update_time').notNull(),
  },
  (t) => [uniqueIndex('csms_events_project_name').on(t.projectId, t.name)],
);

/**
 * Notification records: one per event delivered (or tried). A record is claimed by a daemon with
 * a lease before it is sent, so two daemons never send it twice at once; a failed send is retried
 * with backoff until `attempts` reaches the limit (status FAIL).
 */
export const csmsNotifications = sqliteTable(
  'csms_notifications',
  {
    recordId: text('record_id').primaryKey(),
    projectId: text('project_id').notNull(),
    eventName: text('event_name').notNull(),
    eventType: text('event_type').notNull(),
    secretName: text('secret_name').notNull(),
    /** The JSON delivered (names, versions, times: never a value). */
    payload: text('payload').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    targetName: text('target_name').notNull(),
    /** PENDING, SUCCESS, FAIL or INVALID. */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull(),
    nextAttemptTime: integer('next_attempt_time').notNull(),
    leaseUntil: integer('lease_until').notNull(),
    lastError: text('last_error'),
    triggerTime: integer('trigger_time').notNull(),
    updateTime: integer('update_time').notNull(),
  },
  (t) => [index('csms_notifications_due').on(t.status, t.nextAttemptTime), index('csms_notifications_project').on(t.projectId, t.triggerTime)],
);

/**
 * Dedicated HSM instances (issue 14). Each is one HSM partition (`partition_id`): a software
 * partition whose root key lives in `partitions`, or a PKCS#11 token whose PINs are kept here
 * sealed under the master key (`token_sealed`). The owner's credential is kept only as its
 * SHA-256 (`credential_hash`): dew's operators never hold it.
 */
export const hsmInstances = sqliteTable(
  'hsm_instances',
  {
    hsmId: text('hsm_id').primaryKey(),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    /** `software` or `pkcs11`; never changes. */
    specification: text('specification').notNull(),
    /** CREATING, RUNNING, FROZEN, DELETING or ERROR. */
    status: text('status').notNull(),
    partitionId: text('partition_id').notNull(),
    credentialHash: text('credential_hash').notNull(),
    /** PKCS#11 only: the token's library, slot, label and serial (JSON, no secrets). */
    token: text('token'),
    /** PKCS#11 only: the user and SO PINs, sealed under the master key. */
    tokenSealed: blob('token_sealed', { mode: 'buffer' }),
    createTime: integer('create_time').notNull(),
    updateTime: integer('update_time').notNull(),
  },
  (t) => [uniqueIndex('hsm_instances_project_name').on(t.projectId, t.name)],
);

/** Asynchronous instance jobs (create, freeze, unfreeze, delete), read with GET …/hsms/jobs/{job_id}. */
export const hsmJobs = sqliteTable(
  'hsm_jobs',
  {
    jobId: text('job_id').primaryKey(),
    projectId: text('project_id').notNull(),
    hsmId: text('hsm_id').notNull(),
    jobType: text('job_type').notNull(),
    /** RUNNING, SUCCESS or FAIL. */
    status: text('status').notNull(),
    failReason: text('fail_reason'),
    beginTime: integer('begin_time').notNull(),
    endTime: integer('end_time'),
  },
  (t) => [index('hsm_jobs_hsm').on(t.hsmId)],
);

/** Keystores (reference 1h): one per HSM instance; keys created with its id live in the instance's partition. */
export const keystores = sqliteTable(
  'keystores',
  {
    keystoreId: text('keystore_id').primaryKey(),
    projectId: text('project_id').notNull(),
    domainId: text('domain_id').notNull(),
    keystoreAlias: text('keystore_alias').notNull(),
    keystoreType: text('keystore_type').notNull(),
    hsmId: text('hsm_id').notNull(),
    /** ENABLED or DISABLED. */
    state: text('state').notNull(),
    createTime: integer('create_time').notNull(),
  },
  (t) => [uniqueIndex('keystores_project_alias').on(t.projectId, t.keystoreAlias), uniqueIndex('keystores_hsm').on(t.hsmId)],
);

/**
 * The console's one-time sign-in links (`dew console`): only the SHA-256 of the token is kept, with
 * the principal it signs in as. `used_at` is set by the one exchange that wins (a second use is
 * refused); rows past their expiry are pruned.
 */
export const consoleSignIns = sqliteTable('console_sign_ins', {
  /** Hex SHA-256 of the token the URL fragment carries. */
  tokenHash: text('token_hash').primaryKey(),
  domainId: text('domain_id').notNull(),
  projectId: text('project_id').notNull(),
  userId: text('user_id').notNull(),
  accessKey: text('access_key').notNull(),
  /** The latest the session may end (the expiry of a token the link was made with), or null. */
  sessionLimit: integer('session_limit'),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});

/**
 * Bearer tokens revoked before their expiry (console sign-out), by hex SHA-256 of the token: every
 * daemon mirrors them through the change feed (kind `revoked_token`, object id the hash) and refuses
 * them; a row may go once the token has expired.
 */
export const revokedTokens = sqliteTable('revoked_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  expiresAt: integer('expires_at').notNull(),
  revokedAt: integer('revoked_at').notNull(),
});
