/** Shared helpers for the asymmetric and import daemon tests: OpenSSL verify commands per algorithm, SM2 key hex. */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { openssl, opensslOk } from '../hsm-asym/fixtures/openssl.js';

export interface SmCryptoSm2 {
  doSignature(msg: number[], privateKeyHex: string, opts: { der?: boolean; hash?: boolean; publicKey?: string }): string;
  doVerifySignature(msg: number[], sigHex: string, publicKeyHex: string, opts: { der?: boolean; hash?: boolean }): boolean;
  doEncrypt(msg: number[], publicKeyHex: string, cipherMode: 0 | 1): string;
}
export const smCrypto = createRequire(import.meta.url)('sm-crypto') as { sm2: SmCryptoSm2; sm3: (msg: number[] | string, opts?: { key: string }) => string };

/** The hash OpenSSL uses for each signing algorithm (null: pure Ed25519). */
export const HASH: Record<string, string | null> = {
  RSASSA_PSS_SHA_256: 'sha256', RSASSA_PSS_SHA_384: 'sha384', RSASSA_PSS_SHA_512: 'sha512',
  RSASSA_PKCS1_V1_5_SHA_256: 'sha256', RSASSA_PKCS1_V1_5_SHA_384: 'sha384', RSASSA_PKCS1_V1_5_SHA_512: 'sha512',
  ECDSA_SHA_256: 'sha256', ECDSA_SHA_384: 'sha384', ECDSA_SHA_512: 'sha512', SM2DSA_SM3: 'sm3', ED25519_SHA_512: null,
};

function dgstArgs(algorithm: string): string[] {
  const pss = algorithm.startsWith('RSASSA_PSS') ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
  return ['dgst', `-${HASH[algorithm]}`, ...pss];
}
const PKEYUTL: Record<string, string[]> = {
  ED25519_SHA_512: ['pkeyutl', '-rawin'],
  SM2DSA_SM3: ['pkeyutl', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678'],
};

/** OpenSSL 3 verifies a signature over the raw message file with a PEM public key (`dgst`, or `pkeyutl` for Ed25519/SM2). */
export function opensslVerifies(algorithm: string, pubPem: string, msgFile: string, sigFile: string): boolean {
  const p = PKEYUTL[algorithm];
  if (p) return opensslOk([...p, '-verify', '-pubin', '-inkey', pubPem, '-in', msgFile, '-sigfile', sigFile]);
  return opensslOk([...dgstArgs(algorithm), '-verify', pubPem, '-signature', sigFile, msgFile]);
}

/** OpenSSL 3 signs the raw message file with a PEM private key. */
export function opensslSign(algorithm: string, keyPem: string, msgFile: string): Buffer {
  const p = PKEYUTL[algorithm];
  if (p) return openssl([...p, '-sign', '-inkey', keyPem, '-in', msgFile]);
  return openssl([...dgstArgs(algorithm), '-sign', keyPem, msgFile]);
}

export function digestOf(algorithm: string, message: Buffer): Buffer {
  return createHash(HASH[algorithm]!).update(message).digest();
}

/** 04||x||y of an SM2 PEM public key (the last 65 bytes of its SPKI). */
export function sm2PublicHex(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  return der.subarray(der.length - 65).toString('hex');
}

export const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
