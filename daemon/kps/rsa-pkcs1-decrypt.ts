/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 §7.2.2) with a stored RSA key pair, for the Windows
 * passwords cloudbase-init encrypts. Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt
 * (CVE-2023-46809, the Marvin attack), so the RSA step is raw (blinded by OpenSSL) and the padding
 * is checked here without branching on secret bytes; one error for every failure.
 */
import { constants, privateDecrypt } from 'node:crypto';
import { keyPart } from './algorithms.js';
import { KeyFormatError } from './key-format-error.js';
import { readCanonical } from './private-key.js';
import { bytesToBigint } from './ssh-wire.js';

const failure = () => new KeyFormatError('the ciphertext does not decrypt under this key pair', 'decrypt');

/** 1 when a === b, else 0 (both bytes or small non-negative integers), without a branch. */
function eq(a: number, b: number): number {
  return ((((a ^ b) - 1) >>> 31) & 1);
}

export function rsaPkcs1v15Decrypt(canonical: string, ciphertext: Buffer): Buffer {
  if (!Buffer.isBuffer(ciphertext)) throw new TypeError('ciphertext must be a Buffer');
  const key = readCanonical(canonical);
  if (key.ssh.type !== 'rsa') throw new KeyFormatError('only RSA key pairs decrypt passwords; this key pair is not RSA', 'unsupported');
  const k = Math.ceil(bytesToBigint(keyPart(key.ssh, 'n')).toString(16).length / 2);
  // §7.2.2 step 1: the length is public, so this early exit leaks nothing.
  if (ciphertext.length !== k || k < 11) throw failure();
  let em: Buffer;
  try {
    em = privateDecrypt({ key: key.node, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw failure(); // c >= n: public too
  }
  // Step 3: EM = 0x00 || 0x02 || PS (at least 8 non-zero bytes) || 0x00 || M, scanned in full.
  let good = eq(em[0], 0) & eq(em[1], 2);
  let looking = 1;
  let zeroAt = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = eq(em[i], 0);
    const take = looking & isZero;
    zeroAt = (zeroAt & (take - 1)) | (i & -take);
    looking &= isZero ^ 1;
  }
  good &= looking ^ 1;
  good &= ((zeroAt - 10) >>> 31) ^ 1;
  // A fixed-length copy, so the time spent does not depend on where the message starts.
  const out = Buffer.from(em);
  em.fill(0);
  if (good !== 1) {
    out.fill(0);
    throw failure();
  }
  return out.subarray(zeroAt + 1);
}
