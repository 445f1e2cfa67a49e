/**
 * Unwrapping of imported key material (BYOK, reference 1e): the wrapping key's private half opens
 * `encrypted_key_material` (RSAES-OAEP, RFC 8017 §7.1.2, or SM2 C1C3C2, GB/T 32918.4 §7.1); for an
 * asymmetric key that yields a temporary key which opens `encrypted_privatekey` by RFC 5649 §4.2 —
 * over AES-256 for a 32-byte temporary key (OpenSSL's id-aes256-wrap-pad), over SM4 for a 16-byte one.
 */
import { decrypt, assertPrivateKeyMatchesSpec, type AsymmetricKeyHandle } from './asym/asymmetric.js';
import { aesKeyUnwrapPad, sm4KeyUnwrapPad } from './asym/key-wrap.js';
import { CryptoInputError } from './asym/errors.js';
import { isAsymmetricKeySpec, type EncryptionAlgorithm } from './asym/key-specs.js';
import { keySpecInfo } from './key-specs.js';

export type ImportErrorCode =
  | 'WRAPPED_SIZE'
  | 'UNWRAP_FAILED'
  | 'MATERIAL_LENGTH'
  | 'PRIVATE_KEY_MISSING'
  | 'PRIVATE_KEY_UNEXPECTED'
  | 'KEY_MISMATCH'
  | 'NOT_IMPORTABLE';

/** Import input the caller must fix; the message never contains material. */
export class ImportMaterialError extends Error {
  override readonly name = 'ImportMaterialError';
  constructor(readonly code: ImportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Wrapping algorithms of get-parameters-for-import; RSAES_OAEP_SHA_1 is accepted but flagged insecure. */
export const WRAPPING_ALGORITHMS = Object.freeze(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'SM2_ENCRYPT'] as const);
export type WrappingAlgorithm = (typeof WRAPPING_ALGORITHMS)[number];

/** The wrapping key spec per algorithm: RSA-3072 (the reference asks for 3072 bits or more) or SM2. */
export function wrappingKeySpec(algorithm: WrappingAlgorithm): 'RSA_3072' | 'SM2' {
  return algorithm === 'SM2_ENCRYPT' ? 'SM2' : 'RSA_3072';
}

const RSA_3072_BYTES = 384;
const SM2_OVERHEAD = 65 + 32; // C1 (04||x||y) + C3 (SM3)

/**
 * Opens wrapped material for a key of `keySpec`. Returns material the caller owns and must wipe:
 * the raw symmetric key, or the PKCS#8 DER private key after checking it is a private key of `keySpec`.
 */
export function unwrapImportedMaterial(
  wrappingKey: AsymmetricKeyHandle,
  algorithm: WrappingAlgorithm,
  keySpec: string,
  encryptedKeyMaterial: Uint8Array,
  encryptedPrivateKey: Uint8Array | undefined,
): Buffer {
  const info = keySpecInfo(keySpec);
  if (!info || !(info.family === 'aes' || info.family === 'sm4' || isAsymmetricKeySpec(keySpec))) {
    throw new ImportMaterialError('NOT_IMPORTABLE', `${keySpec} keys cannot take imported material`);
  }
  if (algorithm === 'SM2_ENCRYPT') {
    if (encryptedKeyMaterial.length <= SM2_OVERHEAD) {
      throw new ImportMaterialError('WRAPPED_SIZE', `an SM2_ENCRYPT wrapped key is C1C3C2, more than ${SM2_OVERHEAD} bytes; got ${encryptedKeyMaterial.length}`);
    }
  } else if (encryptedKeyMaterial.length !== RSA_3072_BYTES) {
    throw new ImportMaterialError('WRAPPED_SIZE', `an ${algorithm} wrapped key is ${RSA_3072_BYTES} bytes (RSA-3072); got ${encryptedKeyMaterial.length}`);
  }
  let first: Buffer;
  try {
    first = decrypt(wrappingKey.spec, wrappingKey, algorithm as EncryptionAlgorithm, encryptedKeyMaterial);
  } catch (cause) {
    throw new ImportMaterialError('UNWRAP_FAILED', 'encrypted_key_material does not decrypt with the wrapping key of this import token', { cause });
  }
  if (info.symmetric) {
    if (encryptedPrivateKey !== undefined) {
      first.fill(0);
      throw new ImportMaterialError('PRIVATE_KEY_UNEXPECTED', `${keySpec} keys take symmetric material only, not encrypted_privatekey`);
    }
    if (first.length !== info.materialBytes) {
      const n = first.length;
      first.fill(0);
      throw new ImportMaterialError('MATERIAL_LENGTH', `${keySpec} key material must be ${info.materialBytes} bytes, got ${n}`);
    }
    return first;
  }
  if (encryptedPrivateKey === undefined) {
    first.fill(0);
    throw new ImportMaterialError('PRIVATE_KEY_MISSING', `${keySpec} keys need encrypted_privatekey (the PKCS#8 private key wrapped with the temporary key)`);
  }
  if (first.length !== 32 && first.length !== 16) {
    const n = first.length;
    first.fill(0);
    throw new ImportMaterialError('MATERIAL_LENGTH', `the temporary key must be 32 bytes (AES-256) or 16 bytes (SM4), got ${n}`);
  }
  let der: Buffer;
  try {
    der = first.length === 32 ? aesKeyUnwrapPad(first, encryptedPrivateKey) : sm4KeyUnwrapPad(first, encryptedPrivateKey);
  } catch (cause) {
    const how = first.length === 32 ? 'AES-256 key wrap with padding (RFC 5649)' : 'SM4 key wrap with padding (RFC 5649 over SM4)';
    throw new ImportMaterialError('UNWRAP_FAILED', `encrypted_privatekey does not unwrap with the temporary key by ${how}`, { cause });
  } finally {
    first.fill(0);
  }
  try {
    assertPrivateKeyMatchesSpec(keySpec as Parameters<typeof assertPrivateKeyMatchesSpec>[0], der);
  } catch (cause) {
    der.fill(0);
    const why = cause instanceof CryptoInputError ? cause.message : 'not a PKCS#8 private key';
    throw new ImportMaterialError('KEY_MISMATCH', `the imported private key does not fit ${keySpec}: ${why}`, { cause });
  }
  return der;
}
