/** The daemon's one error type: a reference error code, an HTTP status and a safe message. */

/** Which body shape the error is rendered in (reference section 3). */
export type ErrorShape = 'kms' | 'gateway' | 'csms';

export class DewError extends Error {
  readonly code: string;
  readonly status: number;
  readonly shape: ErrorShape;
  /** Extra fields merged into the error body (never secrets). */
  readonly extra?: Record<string, unknown>;
  /** The connection ends after this answer (a body over the limit: the rest of it is never read). */
  readonly closesConnection: boolean;
  constructor(
    code: string,
    status: number,
    message: string,
    opts: { shape?: ErrorShape; cause?: unknown; extra?: Record<string, unknown>; closesConnection?: boolean } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'DewError';
    this.code = code;
    this.status = status;
    this.shape = opts.shape ?? (code.startsWith('APIGW') ? 'gateway' : code.startsWith('CSMS') || code.startsWith('DHSM') ? 'csms' : 'kms');
    this.extra = opts.extra;
    this.closesConnection = opts.closesConnection ?? code === 'KMS.0203';
  }
}

/** Builds the reference error body for an error (KMS nests it under `error`). */
export function toErrorBody(err: DewError, requestId: string): Record<string, unknown> {
  switch (err.shape) {
    case 'kms':
      return { error: { error_code: err.code, error_msg: err.message, ...err.extra } };
    case 'gateway':
      return { error_code: err.code, error_msg: err.message, request_id: requestId, ...err.extra };
    case 'csms':
      return { error_code: err.code, error_msg: err.message, ...err.extra };
  }
}

/** The error a client is shown: a DewError as is; anything else is reported and becomes KMS.0101. */
export function toClientError(err: unknown, report: (err: unknown) => void): DewError {
  if (err instanceof DewError) return err;
  report(err);
  return kmsErrors.internal();
}

/** Reference KMS errors used across services (messages from the reference error table). */
export const kmsErrors = Object.freeze({
  internal: () => new DewError('KMS.0101', 500, 'KMS error.'),
  badJson: () => new DewError('KMS.0202', 400, 'The JSON format of the request message is invalid.'),
  tooLarge: () => new DewError('KMS.0203', 400, 'The request message length has exceeded the upper limit.'),
  missing: (field: string) =>
    new DewError('KMS.0204', 400, `The request message lacks required parameters: ${field}.`),
  invalidKeyId: () => new DewError('KMS.0205', 400, 'Invalid key_id.'),
  notFound: () => new DewError('KMS.0207', 404, 'The key does not exist.'),
  disabled: () => new DewError('KMS.0209', 400, 'The key has been disabled and cannot be used.'),
  pendingDeletion: () =>
    new DewError('KMS.0210', 400, 'The key is in the Pending deletion status and cannot be used.'),
  defaultKey: () => new DewError('KMS.0211', 400, 'Default Master Keys does not support this operation.'),
  invalid: (field: string, code = 'KMS.0308') => new DewError(code, 400, `Invalid ${field}.`),
  /** `Invalid <field>: <why>.`, the reference's KMS.0308 with the reason a user needs to fix it. */
  invalidAs: (field: string, why: string, code = 'KMS.0308', cause?: unknown) => new DewError(code, 400, `Invalid ${field}: ${why}.`, { cause }),
  /** A code whose reference message says more than "Invalid <field>." (REFERENCE_MESSAGES below). */
  reference: (code: keyof typeof REFERENCE_MESSAGES & string) => new DewError(code, 400, REFERENCE_MESSAGES[code]),
  missingAs: (field: string, why: string, cause?: unknown) =>
    new DewError('KMS.0204', 400, `The request message lacks required parameters: ${field} (${why}).`, { cause }),
  noKeyPermission: (why?: string) => new DewError('KMS.0306', 403, `The user has no permission to access the key${why ? `: ${why}` : ''}.`),
  noApiPermission: (why?: string) => new DewError('KMS.0307', 403, `The user role has no permission to access the API${why ? `: ${why}` : ''}.`),
  aliasNotFound: (alias: string, keyId?: string) =>
    new DewError('KMS.0207', 404, `The alias ${alias} does not exist${keyId ? ` for key ${keyId}` : ''}.`),
  reservedAlias: () => new DewError('KMS.1101', 400, 'Invalid key_alias: aliases ending in /default are reserved for default keys.'),
  invalidTagKey: () => new DewError('KMS.0406', 400, 'Invalid tag key.'),
  invalidTagValue: () => new DewError('KMS.0405', 400, 'Invalid tag value.'),
  tooManyTags: () => new DewError('KMS.0409', 400, 'Too many tags: a key has at most 10 tags.'),
  /** Ciphertext that does not decrypt under this key (the code depends on the field: KMS.2201, …). */
  undecryptable: (code: string, why: string, cause?: unknown) =>
    new DewError(code, 400, `Invalid cipher_text: it cannot be decrypted with this key (${why}).`, { cause }),
  busy: (why: string) => new DewError('KMS.0101', 500, `KMS error: ${why}; try again.`),
  notImported: () => new DewError('KMS.0309', 400, 'The key must be an imported one.'),
  notPendingImport: () => new DewError('KMS.0310', 400, 'The key is not in the Pending import status.'),
  aliasExists: () => new DewError('KMS.1104', 400, 'Existing CMK alias.'),
  quota: () => new DewError('KMS.1105', 400, 'The number of keys has reached the upper limit.'),
  notDisabled: () => new DewError('KMS.1201', 400, 'The key is not disabled.'),
  notEnabled: () => new DewError('KMS.1301', 400, 'The key is not enabled.'),
  pendingDays: () =>
    new DewError('KMS.1401', 400, 'The deletion of CMKs can be scheduled by 7 to 1096 days in advance.'),
  alreadyPendingDeletion: () => new DewError('KMS.1402', 400, 'The key is in the Pending deletion status.'),
  notPendingDeletion: () => new DewError('KMS.1501', 400, 'The key is not in the Pending deletion status.'),
  wrongUsage: (usage: string) =>
    new DewError('KMS.0308', 400, `Invalid key_usage: the key's usage ${usage} does not allow this operation.`),
  wrongAlgorithm: (what: string) => new DewError('KMS.0308', 400, `Invalid ${what} for this key.`),
  invalidPlainText: () => new DewError('KMS.2101', 400, 'Invalid plain_text.'),
  dekHashFailed: () => new DewError('KMS.2103', 400, 'Hash verification of the DEK failed.'),
  invalidCipherText: () => new DewError('KMS.2201', 400, 'Invalid cipher_text.'),
  decryptFailed: () =>
    new DewError('KMS.2201', 400, 'Invalid cipher_text: it cannot be decrypted with this key and context.'),
  unknownApi: () =>
    new DewError('APIGW.0101', 404, 'The API does not exist or has not been published in the environment'),
});

/** Reference messages for codes whose text says more than "Invalid <field>." (reference section 3). */
export const REFERENCE_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  'KMS.1401': 'The deletion of CMKs can be scheduled by 7 to 1096 days in advance.',
  'KMS.1601': 'Invalid limit: it must be between 1 and 1000.',
  'KMS.1602': 'Invalid marker: it must be at least 0.',
  'KMS.1801': 'Invalid random_data_length: a multiple of 8 between 8 and 8192 bits.',
  'KMS.1901': 'Invalid datakey_length: a multiple of 8 between 8 and 8192 bits.',
  'KMS.2101': 'Invalid plain_text.',
  'KMS.2102': 'Invalid datakey_plain_length: between 1 and 1024 bytes.',
  'KMS.2201': 'Invalid cipher_text.',
  'KMS.2202': 'Invalid datakey_cipher_length: between 1 and 1024 bytes.',
  'KMS.0417': 'The offset must be greater than or equal to 0.',
});

/** Grants (reference 1d). */
export const grantErrors = Object.freeze({
  onlyCreateGrant: () => new DewError('KMS.2401', 400, 'create-grant cannot be the only operation in a grant.'),
  invalidPrincipal: (what: string) => new DewError('KMS.2402', 400, `Invalid principal: ${what}.`),
  tooMany: (perKey: number) => new DewError('KMS.2404', 400, `No more grants can be created for the CMK: a key has at most ${perKey} grants.`),
  notFound: () => new DewError('KMS.2501', 404, 'The grant does not exist.'),
  wrongKey: () => new DewError('KMS.2502', 400, 'The grant_id does not match the key_id.'),
  /** A grant passes on only operations its grantee holds. */
  escalation: (extra: readonly string[]) =>
    kmsErrors.noKeyPermission(`a grant can pass on only operations its grantee holds (not ${extra.join(', ')})`),
});

/** Imported key material (reference 1e, codes KMS.2601–2701). */
export const importErrors = Object.freeze({
  invalidToken: (why: string) => new DewError('KMS.2601', 400, `Invalid import_token: ${why}.`),
  expiryPast: () => new DewError('KMS.2602', 400, 'The expiration_time must be later than the current time.'),
  tokenOtherKey: () => new DewError('KMS.2603', 400, 'The key_id does not match the key_id of the import token.'),
  tokenRefused: (why: string) => new DewError('KMS.2605', 400, `Token verification failed: ${why}.`),
  otherMaterial: () => new DewError('KMS.2606', 400, 'The imported key material must be the same as the material imported before.'),
  deleteState: () => new DewError('KMS.2701', 400, 'CMK material can be deleted only when the CMK is Enabled or Disabled.'),
});

/** The daemon's IAM administration (dew's own codes, IAM.00xx). */
export const iamErrors = Object.freeze({
  invalid: (what: string) => new DewError('IAM.0001', 400, `Invalid ${what}.`),
  noUser: () => new DewError('IAM.0002', 404, 'The user does not exist.'),
  noAccessKey: () => new DewError('IAM.0003', 404, 'The access key does not exist.'),
  nameTaken: () => new DewError('IAM.0004', 409, 'A user with this name already exists in the account.'),
  invalidRole: (role: string, roles: readonly string[]) => new DewError('IAM.0005', 400, `Invalid role ${JSON.stringify(role.slice(0, 64))}: use ${roles.join(', ')}.`),
  invalidCidr: (bad: string[]) => new DewError('IAM.0006', 400, `Invalid CIDR: ${bad.map((b) => JSON.stringify(b)).join(', ')} (use A.B.C.D/N or an IPv6 prefix such as 2001:db8::/32).`),
  lockout: (why: string) => new DewError('IAM.0007', 409, `Refused: ${why}.`),
  noAccount: () => new DewError('IAM.0008', 404, 'The account does not exist.'),
  keyQuota: (perUser: number) => new DewError('IAM.0009', 400, `A user has at most ${perUser} access keys.`),
  otherAccount: () => kmsErrors.noApiPermission('only administrators of the operator account manage other accounts'),
});

/** Stack locks (dew's own code DEW.0409, the lock holder in `extra.lock`). */
export const stackErrors = Object.freeze({
  lockConflict: (message: string, lock?: unknown) => new DewError('DEW.0409', 409, message, { extra: { lock } }),
});

/**
 * The key pair service (dew's own KPS.0xxx codes: the reference publishes none), in the KMS body
 * shape `{"error":{"error_code","error_msg"}}` that Huawei SDKs parse.
 */
export const kpsErrors = Object.freeze({
  invalid: (field: string, why?: string) => new DewError('KPS.0001', 400, why ? `Invalid ${field}: ${why}.` : `Invalid ${field}.`),
  missing: (field: string) => new DewError('KPS.0002', 400, `The request lacks a required parameter: ${field}.`),
  badJson: () => new DewError('KPS.0003', 400, 'The request body is not valid JSON of the expected shape.'),
  notFound: (name: string) => new DewError('KPS.0004', 404, `The key pair ${JSON.stringify(name)} does not exist.`),
  exists: (name: string, why = 'already exists') => new DewError('KPS.0005', 409, `The key pair ${JSON.stringify(name)} ${why}.`),
  quota: (what: string, limit: number) => new DewError('KPS.0006', 400, `The ${what} quota is reached: at most ${limit}.`),
  /** A key (public or private) that is malformed, weak or of the wrong kind; the message is the format library's. */
  badKey: (field: string, why: string) => new DewError('KPS.0007', 400, `Invalid ${field}: ${why}`),
  noPrivateKey: (name: string) => new DewError('KPS.0008', 400, `The key pair ${JSON.stringify(name)} has no private key held by the service (it is not managed).`),
  hostNotFound: (id: string) => new DewError('KPS.0009', 404, `The host ${JSON.stringify(id)} does not exist.`),
  hostExists: (name: string) => new DewError('KPS.0010', 409, `A host named ${JSON.stringify(name)} already exists.`),
  taskNotFound: (id: string) => new DewError('KPS.0011', 404, `The task ${JSON.stringify(id)} does not exist.`),
  busy: (what: string) => new DewError('KPS.0012', 409, what),
  bound: (name: string, hosts: string[]) =>
    new DewError('KPS.0013', 409, `The key pair ${JSON.stringify(name)} is bound to ${hosts.map((h) => JSON.stringify(h)).join(', ')}: unbind it first.`),
  keyMismatch: () => new DewError('KPS.0014', 400, 'Invalid private_key: it does not belong to this key pair\'s public key.'),
  notRsa: () => new DewError('KPS.0015', 400, 'Only an RSA key pair can decrypt a Windows password.'),
  undecryptable: () => new DewError('KPS.0016', 400, 'Invalid password ciphertext: it does not decrypt under this key pair.'),
});

/**
 * The secret service (reference 5): the reference's CSMS codes where it publishes one (0002–0108),
 * dew's own CSMS.04xx for the rest, all in the CSMS body shape `{"error_code","error_msg"}`.
 */
export const csmsErrors = Object.freeze({
  invalid: (field: string, why?: string) => new DewError('CSMS.0002', 400, why ? `The value of parameter ${field} is invalid: ${why}.` : `The value of parameter ${field} is invalid.`),
  badRequest: (why: string) => new DewError('CSMS.0003', 400, `The request is invalid: ${why}.`),
  badJson: () => new DewError('CSMS.0004', 400, 'The requested body format is wrong.'),
  notFound: (what: string) => new DewError('CSMS.0005', 404, `The resource does not exist: ${what}.`),
  pendingDelete: (name: string) => new DewError('CSMS.0103', 400, `The secret ${JSON.stringify(name)} is in the scheduled deletion state.`),
  systemStage: (stage: string) => new DewError('CSMS.0105', 400, `Can not delete the system internal stage ${stage}.`),
  secretNotFound: (name: string) => new DewError('CSMS.0106', 404, `The secret ${JSON.stringify(name)} does not exist.`),
  alreadyScheduled: (name: string) => new DewError('CSMS.0107', 400, `The secret ${JSON.stringify(name)} is in schedule delete state.`),
  notScheduled: (name: string) => new DewError('CSMS.0108', 400, `The secret ${JSON.stringify(name)} is not in schedule delete state.`),
  exists: (what: string) => new DewError('CSMS.0401', 409, `${what} already exists.`),
  tooManyStages: (limit: number) => new DewError('CSMS.0402', 400, `A secret has at most ${limit} stages.`),
  quota: (what: string, limit: number) => new DewError('CSMS.0403', 400, `The ${what} quota is reached: at most ${limit}.`),
  versionExpired: (name: string, version: string) => new DewError('CSMS.0404', 400, `The version ${version} of secret ${JSON.stringify(name)} has expired and cannot be read.`),
  notEnabled: (name: string, state: string) => new DewError('CSMS.0405', 400, `The secret ${JSON.stringify(name)} is ${state}: only an ENABLED secret can do this.`),
  inUse: (what: string) => new DewError('CSMS.0406', 409, what),
  busy: (why: string) => new DewError('CSMS.0407', 409, `${why}; try again.`),
  rotationFailed: (why: string) => new DewError('CSMS.0408', 400, `The rotation failed: ${why}.`),
  internal: (why: string) => new DewError('CSMS.0001', 500, `CSMS error: ${why}.`),
});

/**
 * Dedicated HSM instances (dew's own DHSM.0xxx codes: the reference publishes no instance API), in
 * the flat body shape of the reference's newer services, `{"error_code","error_msg"}`.
 */
export const hsmErrors = Object.freeze({
  internal: (why: string) => new DewError('DHSM.0001', 500, `DHSM error: ${why}.`),
  missing: (field: string) => new DewError('DHSM.0002', 400, `The request lacks a required parameter: ${field}.`),
  invalid: (field: string, why?: string) => new DewError('DHSM.0003', 400, why ? `Invalid ${field}: ${why}.` : `Invalid ${field}.`),
  badJson: () => new DewError('DHSM.0004', 400, 'The request body is not valid JSON of the expected shape.'),
  notFound: (hsmId: string) => new DewError('DHSM.0101', 404, `The HSM instance ${JSON.stringify(hsmId.slice(0, 64))} does not exist.`),
  jobNotFound: (jobId: string) => new DewError('DHSM.0102', 404, `The HSM job ${JSON.stringify(jobId.slice(0, 64))} does not exist.`),
  nameExists: (name: string) => new DewError('DHSM.0103', 409, `An HSM instance named ${JSON.stringify(name)} already exists in this project.`),
  credential: (why: string) => new DewError('DHSM.0104', 403, `The instance admin credential is ${why}: privileged operations on an HSM instance need the credential given at its creation in the X-Hsm-Credential header.`),
  state: (why: string) => new DewError('DHSM.0105', 409, why),
  specification: (from: string, to: string) =>
    new DewError('DHSM.0106', 400, `The specification of an HSM instance cannot change (from ${from} to ${JSON.stringify(to.slice(0, 32))}): create a new instance of the other specification; keys and root keys cannot move to it.`),
  quota: (limit: number) => new DewError('DHSM.0107', 403, `The HSM instance quota is reached: at most ${limit} instances a project.`),
  noLibrary: () => new DewError('DHSM.0108', 400, 'This daemon has no PKCS#11 library configured: start it with --pkcs11-library PATH (or DEW_PKCS11_LIBRARY) to create pkcs11 instances.'),
});

/** Keystores (reference 1h) and the keys in them, in the KMS shape (dew's own KMS.46xx: the reference publishes none). */
export const keystoreErrors = Object.freeze({
  notFound: () => new DewError('KMS.4601', 404, 'The keystore does not exist.'),
  aliasExists: () => new DewError('KMS.4602', 400, 'Existing keystore alias.'),
  instanceUnavailable: (hsmId: string, why: string) => new DewError('KMS.4603', 400, `Invalid hsm_cluster_id: the HSM instance ${hsmId} ${why}.`),
  holdsKeys: (n: number) =>
    new DewError('KMS.4605', 400, `The keystore holds ${n} key${n === 1 ? '' : 's'} (in any state, pending deletion included): delete ${n === 1 ? 'it' : 'them'} first.`),
  disabled: (keystoreId: string) => new DewError('KMS.4606', 400, `The keystore ${keystoreId} is disabled: its keys cannot be used until it is enabled.`),
  frozen: (keystoreId: string, hsmId: string) => new DewError('KMS.4607', 400, `The HSM instance ${hsmId} of keystore ${keystoreId} is frozen: its keys cannot be used until the instance's owner unfreezes it.`),
  unavailable: (keystoreId: string, why: string) => new DewError('KMS.4608', 400, `The keystore ${keystoreId} cannot serve its keys: ${why}.`),
  unsupported: (why: string) => new DewError('KMS.4609', 400, `Invalid key_spec: ${why}.`),
  defaultKeystore: () => new DewError('KMS.4610', 400, 'The default keystore 0 cannot be changed or deleted.'),
});
