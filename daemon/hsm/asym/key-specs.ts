/** Asymmetric key specs, signing/encryption algorithm names and the frozen table of which fits which. */
import { CryptoInputError } from './errors.js';

export const ASYMMETRIC_KEY_SPECS = Object.freeze([
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P256', 'EC_P384', 'SECP256K1', 'ED25519', 'SM2',
] as const);
export type AsymmetricKeySpec = (typeof ASYMMETRIC_KEY_SPECS)[number];

/**
 * Reference signing algorithms (huawei-dew-api §2) plus ED25519_SHA_512, our name for pure Ed25519
 * (RFC 8032 §5.1.6, the hash is internal): RAW messages only, as in other KMS APIs.
 */
export const SIGNING_ALGORITHMS = Object.freeze([
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512',
  'SM2DSA_SM3', 'ED25519_SHA_512',
] as const);
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** RSAES_OAEP_SHA_1 is kept for BYOK wrapping keys (accepted with a warning by the service). */
export const ENCRYPTION_ALGORITHMS = Object.freeze(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'SM2_ENCRYPT'] as const);
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];

export type MessageType = 'DIGEST' | 'RAW';
export type DigestName = 'sha256' | 'sha384' | 'sha512' | 'sm3';

const RSA_SIGNING: readonly SigningAlgorithm[] = Object.freeze([
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
]);
const NIST_EC_SIGNING: readonly SigningAlgorithm[] = Object.freeze(['ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512']);

/** Which signing algorithms each spec accepts. */
export const SIGNING_ALGORITHMS_BY_SPEC: Readonly<Record<AsymmetricKeySpec, readonly SigningAlgorithm[]>> = Object.freeze({
  RSA_2048: RSA_SIGNING,
  RSA_3072: RSA_SIGNING,
  RSA_4096: RSA_SIGNING,
  EC_P256: NIST_EC_SIGNING,
  EC_P384: NIST_EC_SIGNING,
  SECP256K1: Object.freeze(['ECDSA_SHA_256'] as SigningAlgorithm[]),
  ED25519: Object.freeze(['ED25519_SHA_512'] as SigningAlgorithm[]),
  SM2: Object.freeze(['SM2DSA_SM3'] as SigningAlgorithm[]),
});

const RSA_ENCRYPTION: readonly EncryptionAlgorithm[] = Object.freeze(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1']);

/** Which encryption algorithms each spec accepts (EC and Ed25519 keys are sign-only). */
export const ENCRYPTION_ALGORITHMS_BY_SPEC: Readonly<Record<AsymmetricKeySpec, readonly EncryptionAlgorithm[]>> = Object.freeze({
  RSA_2048: RSA_ENCRYPTION,
  RSA_3072: RSA_ENCRYPTION,
  RSA_4096: RSA_ENCRYPTION,
  EC_P256: Object.freeze([] as EncryptionAlgorithm[]),
  EC_P384: Object.freeze([] as EncryptionAlgorithm[]),
  SECP256K1: Object.freeze([] as EncryptionAlgorithm[]),
  ED25519: Object.freeze([] as EncryptionAlgorithm[]),
  SM2: Object.freeze(['SM2_ENCRYPT'] as EncryptionAlgorithm[]),
});

/** The hash each signing algorithm applies to a RAW message; a DIGEST message must be exactly `length` bytes. */
export const SIGNING_DIGEST: Readonly<Record<SigningAlgorithm, { readonly name: DigestName; readonly length: number } | null>> = Object.freeze({
  RSASSA_PSS_SHA_256: { name: 'sha256', length: 32 },
  RSASSA_PSS_SHA_384: { name: 'sha384', length: 48 },
  RSASSA_PSS_SHA_512: { name: 'sha512', length: 64 },
  RSASSA_PKCS1_V1_5_SHA_256: { name: 'sha256', length: 32 },
  RSASSA_PKCS1_V1_5_SHA_384: { name: 'sha384', length: 48 },
  RSASSA_PKCS1_V1_5_SHA_512: { name: 'sha512', length: 64 },
  ECDSA_SHA_256: { name: 'sha256', length: 32 },
  ECDSA_SHA_384: { name: 'sha384', length: 48 },
  ECDSA_SHA_512: { name: 'sha512', length: 64 },
  SM2DSA_SM3: { name: 'sm3', length: 32 },
  ED25519_SHA_512: null,
});

export function isAsymmetricKeySpec(value: unknown): value is AsymmetricKeySpec {
  return typeof value === 'string' && (ASYMMETRIC_KEY_SPECS as readonly string[]).includes(value);
}

/** Throws INVALID_ARGUMENT for an unknown spec. */
export function assertKeySpec(spec: unknown): asserts spec is AsymmetricKeySpec {
  if (!isAsymmetricKeySpec(spec)) throw new CryptoInputError('INVALID_ARGUMENT', `spec must be one of ${ASYMMETRIC_KEY_SPECS.join(', ')}`);
}

/** Throws ALGORITHM_MISMATCH unless `algorithm` is a signing algorithm `spec` accepts. */
export function assertSigningAlgorithmFits(spec: AsymmetricKeySpec, algorithm: unknown): asserts algorithm is SigningAlgorithm {
  if (!(SIGNING_ALGORITHMS_BY_SPEC[spec] as readonly unknown[]).includes(algorithm)) {
    throw new CryptoInputError('ALGORITHM_MISMATCH', `signing algorithm ${String(algorithm)} does not fit key spec ${spec}`);
  }
}

/** Throws ALGORITHM_MISMATCH unless `algorithm` is an encryption algorithm `spec` accepts. */
export function assertEncryptionAlgorithmFits(spec: AsymmetricKeySpec, algorithm: unknown): asserts algorithm is EncryptionAlgorithm {
  if (!(ENCRYPTION_ALGORITHMS_BY_SPEC[spec] as readonly unknown[]).includes(algorithm)) {
    throw new CryptoInputError('ALGORITHM_MISMATCH', `encryption algorithm ${String(algorithm)} does not fit key spec ${spec}`);
  }
}
