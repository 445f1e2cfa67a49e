/** Key specs: their family, material size and allowed usages (reference section 2), symmetric and asymmetric. */

export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC';
export type KeyFamily = 'aes' | 'sm4' | 'hmac' | 'rsa' | 'ec' | 'sm2' | 'ed25519';

export interface KeySpecInfo {
  readonly family: KeyFamily;
  /** Symmetric material size in bytes (0 for asymmetric keys). */
  readonly materialBytes: number;
  readonly usages: readonly KeyUsage[];
  readonly defaultUsage: KeyUsage;
  /** HMAC digest name for node:crypto (HMAC keys only). */
  readonly digest?: string;
  readonly symmetric: boolean;
}

const spec = (s: KeySpecInfo): KeySpecInfo => Object.freeze(s);

export const KEY_SPECS: Readonly<Record<string, KeySpecInfo>> = Object.freeze({
  AES_256: spec({ family: 'aes', materialBytes: 32, usages: ['ENCRYPT_DECRYPT'], defaultUsage: 'ENCRYPT_DECRYPT', symmetric: true }),
  SM4: spec({ family: 'sm4', materialBytes: 16, usages: ['ENCRYPT_DECRYPT'], defaultUsage: 'ENCRYPT_DECRYPT', symmetric: true }),
  HMAC_256: spec({ family: 'hmac', materialBytes: 32, usages: ['GENERATE_VERIFY_MAC'], defaultUsage: 'GENERATE_VERIFY_MAC', digest: 'sha256', symmetric: true }),
  HMAC_384: spec({ family: 'hmac', materialBytes: 48, usages: ['GENERATE_VERIFY_MAC'], defaultUsage: 'GENERATE_VERIFY_MAC', digest: 'sha384', symmetric: true }),
  HMAC_512: spec({ family: 'hmac', materialBytes: 64, usages: ['GENERATE_VERIFY_MAC'], defaultUsage: 'GENERATE_VERIFY_MAC', digest: 'sha512', symmetric: true }),
  HMAC_SM3: spec({ family: 'hmac', materialBytes: 32, usages: ['GENERATE_VERIFY_MAC'], defaultUsage: 'GENERATE_VERIFY_MAC', digest: 'sm3', symmetric: true }),
  // Asymmetric keys (reference 2: "EC keys: sign only; RSA/SM2: either"); material is PKCS#8 DER.
  RSA_2048: spec({ family: 'rsa', materialBytes: 0, usages: ['SIGN_VERIFY', 'ENCRYPT_DECRYPT'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  RSA_3072: spec({ family: 'rsa', materialBytes: 0, usages: ['SIGN_VERIFY', 'ENCRYPT_DECRYPT'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  RSA_4096: spec({ family: 'rsa', materialBytes: 0, usages: ['SIGN_VERIFY', 'ENCRYPT_DECRYPT'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  EC_P256: spec({ family: 'ec', materialBytes: 0, usages: ['SIGN_VERIFY'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  EC_P384: spec({ family: 'ec', materialBytes: 0, usages: ['SIGN_VERIFY'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  SECP256K1: spec({ family: 'ec', materialBytes: 0, usages: ['SIGN_VERIFY'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  ED25519: spec({ family: 'ed25519', materialBytes: 0, usages: ['SIGN_VERIFY'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
  SM2: spec({ family: 'sm2', materialBytes: 0, usages: ['SIGN_VERIFY', 'ENCRYPT_DECRYPT'], defaultUsage: 'SIGN_VERIFY', symmetric: false }),
});

/** The MAC algorithm each HMAC key spec computes (reference: mac_algorithm). */
export const MAC_ALGORITHM_FOR_SPEC: Readonly<Record<string, string>> = Object.freeze({
  HMAC_256: 'HMAC_SHA_256',
  HMAC_384: 'HMAC_SHA_384',
  HMAC_512: 'HMAC_SHA_512',
  HMAC_SM3: 'HMAC_SM3',
});

export function keySpecInfo(keySpec: string): KeySpecInfo | undefined {
  return Object.prototype.hasOwnProperty.call(KEY_SPECS, keySpec) ? KEY_SPECS[keySpec] : undefined;
}
