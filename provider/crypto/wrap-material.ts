/**
 * Client-side wrapping of key material for import-key-material (BYOK), shared by `dew kms
 * import-material` and the dew_kms_key_material resource. Symmetric material is encrypted with the
 * wrapping key directly; a private key (PKCS#8 DER) is wrapped with a fresh temporary key by RFC 5649
 * (AES-256, OpenSSL's id-aes256-wrap-pad; over SM4 for SM2_ENCRYPT) and the temporary key is
 * encrypted with the wrapping key.
 */
import { constants, createCipheriv, createPrivateKey, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { CliError } from '../cli-error.js';

export type WrappingAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' | 'SM2_ENCRYPT';
export const WRAPPING: readonly string[] = Object.freeze(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'SM2_ENCRYPT']);
export const SYMMETRIC_BYTES: Readonly<Record<string, number>> = Object.freeze({ AES_256: 32, SM4: 16 });

/** Wrapped material as import-key-material takes it (Base64). */
export interface WrappedMaterial {
  encryptedKeyMaterial: string;
  encryptedPrivateKey?: string;
}

interface SmCryptoSm2 {
  doEncrypt(msg: number[], publicKeyHex: string, cipherMode: 0 | 1): string;
}
let smCrypto: { sm2: SmCryptoSm2 } | undefined;

/** SM2 encryption C1C3C2 (GB/T 32918.4) with sm-crypto, whose output omits C1's 04 prefix. */
function sm2Encrypt(spkiDer: Buffer, plaintext: Buffer): Buffer {
  smCrypto ??= createRequire(import.meta.url)('sm-crypto') as { sm2: SmCryptoSm2 };
  // An SM2 SubjectPublicKeyInfo ends with the uncompressed point 04||x||y (65 bytes).
  const point = spkiDer.subarray(spkiDer.length - 65);
  if (point[0] !== 0x04) throw new CliError('import.wrapping_key', 'the SM2 wrapping public key is not an uncompressed point');
  return Buffer.from('04' + smCrypto.sm2.doEncrypt(Array.from(plaintext), point.toString('hex'), 1), 'hex');
}

// RFC 3394 §2.2.1 W over any 128-bit block cipher, as RFC 5649 §4.1 uses it for more than 8 bytes.
function sm4KeyWrapPad(kek: Buffer, key: Buffer): Buffer {
  const ecb = createCipheriv('sm4-ecb', kek, null).setAutoPadding(false);
  const aiv = Buffer.alloc(8);
  Buffer.from('a65959a6', 'hex').copy(aiv);
  aiv.writeUInt32BE(key.length, 4);
  const p = Buffer.alloc(Math.ceil(key.length / 8) * 8);
  key.copy(p);
  if (p.length === 8) return ecb.update(Buffer.concat([aiv, p]));
  const n = p.length / 8;
  const a = aiv;
  for (let j = 0; j <= 5; j++) {
    for (let i = 1; i <= n; i++) {
      const b = ecb.update(Buffer.concat([a, p.subarray(8 * (i - 1), 8 * i)]));
      b.copy(a, 0, 0, 8);
      a.writeBigUInt64BE(a.readBigUInt64BE(0) ^ BigInt(n * j + i), 0);
      b.copy(p, 8 * (i - 1), 8, 16);
    }
  }
  const out = Buffer.concat([a, p]);
  p.fill(0);
  return out;
}

/** RFC 5649 with AES-256: node's id-aes256-wrap-pad, whose IV must be exactly A65959A6. */
function aesKeyWrapPad(kek: Buffer, key: Buffer): Buffer {
  const c = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([c.update(key), c.final()]);
}

function encryptWithWrappingKey(algorithm: WrappingAlgorithm, spkiDer: Buffer, plaintext: Buffer): Buffer {
  if (algorithm === 'SM2_ENCRYPT') return sm2Encrypt(spkiDer, plaintext);
  const key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256' }, plaintext);
}

/**
 * Wraps `material` for import: raw symmetric bytes, or a PKCS#8 DER private key (with a temporary
 * AES-256 key, or SM4 for SM2_ENCRYPT). `publicKey` is get-parameters-for-import's Base64 SPKI.
 */
export function wrapMaterial(material: Buffer, asymmetric: boolean, publicKey: string, algorithm: WrappingAlgorithm): WrappedMaterial {
  const spki = Buffer.from(publicKey, 'base64');
  if (!asymmetric) return { encryptedKeyMaterial: encryptWithWrappingKey(algorithm, spki, material).toString('base64') };
  const temp = randomBytes(algorithm === 'SM2_ENCRYPT' ? 16 : 32);
  try {
    const wrapped = temp.length === 16 ? sm4KeyWrapPad(temp, material) : aesKeyWrapPad(temp, material);
    return { encryptedKeyMaterial: encryptWithWrappingKey(algorithm, spki, temp).toString('base64'), encryptedPrivateKey: wrapped.toString('base64') };
  } finally {
    temp.fill(0);
  }
}

/**
 * Reads key material from a file: raw bytes for AES_256/SM4; for an asymmetric key a PKCS#8 PEM or DER
 * private key, or a traditional PEM (RFC 5915 EC, PKCS#1 RSA) converted to PKCS#8 with node:crypto.
 */
export function readMaterial(bytes: Buffer, keySpec: string): Buffer {
  const want = SYMMETRIC_BYTES[keySpec];
  const text = bytes.subarray(0, 64).toString('latin1');
  const isPem = text.includes('-----BEGIN ');
  if (want !== undefined) {
    if (isPem || bytes.length !== want) throw new CliError('import.material', `${keySpec} material must be a file of exactly ${want} raw bytes (got ${bytes.length}${isPem ? ', a PEM file' : ''})`);
    return Buffer.from(bytes);
  }
  if (!isPem) return Buffer.from(bytes);
  const pem = bytes.toString('utf8');
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label === 'PRIVATE KEY') return Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
  if (label.includes('PUBLIC KEY')) throw new CliError('import.material', 'the file holds a public key; import needs the private key (PKCS#8)');
  if (label === 'ENCRYPTED PRIVATE KEY') throw new CliError('import.material', 'the private key is encrypted; decrypt it first (openssl pkcs8 -topk8 -nocrypt)');
  try {
    return createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  } catch (cause) {
    throw new CliError('import.material', `cannot read the ${label || 'PEM'} private key: ${(cause as Error).message}`, { cause });
  }
}
