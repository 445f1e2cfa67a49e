/**
 * dew's ciphertext blob (ciphertext-blob.ts) produced and opened by a token's CKM_AES_GCM, laid out
 * exactly as symmetric.ts writes it for algorithm 1: random 12-byte IV at NONCE_OFFSET, AAD = the
 * 92-byte header ‖ the caller's AAD, body = plaintext zero-padded to whole 16-byte blocks, the
 * 16-byte GCM tag (NIST SP 800-38D, PKCS#11 v2.40 §2.10.4: the token appends it to the ciphertext)
 * followed by 16 zero bytes. Pure: these functions build the buffers and the mechanism the token
 * calls take; the caller runs C_EncryptInit/C_Encrypt (or Decrypt) with them.
 */
import pkcs11js from 'pkcs11js';
import type { AesGCM, Mechanism } from 'pkcs11js';
import { allocBlob, paddedLength, HEADER_LEN, NONCE_OFFSET, TAG_LEN, type BlobHeader, type BlobKind } from '../ciphertext-blob.js';
import { fillRandom } from '../random-pool.js';
import { DecryptError } from '../symmetric.js';

const ZERO_TAIL = Buffer.alloc(16);

export function gcmMechanism(iv: Buffer, aad: Buffer): Mechanism {
  const parameter: AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: 96, aad, tagBits: 128 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
}

function aadFor(blob: Buffer, aad: Uint8Array): Buffer {
  const header = blob.subarray(0, HEADER_LEN);
  return aad.length ? Buffer.concat([header, aad]) : header;
}

export interface SealPlan {
  /** The blob, header and IV written; the token fills body and tag through `out`. */
  blob: Buffer;
  /** The padded plaintext; the caller wipes it once the token has read it. */
  body: Buffer;
  /** The view of `blob` the token writes ciphertext ‖ tag into (the 16 bytes after it stay zero). */
  out: Buffer;
  mechanism: Mechanism;
}

export function sealPlan(ref: { keyId: string; keyVersion: number; kind: BlobKind }, plaintext: Uint8Array, aad: Uint8Array): SealPlan {
  const blob = allocBlob({ kind: ref.kind, algorithm: 1, plaintextLength: plaintext.length, keyVersion: ref.keyVersion, keyId: ref.keyId });
  const iv = blob.subarray(NONCE_OFFSET, NONCE_OFFSET + 12);
  fillRandom(iv);
  const body = Buffer.alloc(paddedLength(plaintext.length));
  body.set(plaintext);
  const out = blob.subarray(HEADER_LEN, HEADER_LEN + body.length + 16);
  return { blob, body, out, mechanism: gcmMechanism(Buffer.from(iv), aadFor(blob, aad)) };
}

export interface OpenPlan {
  /** Ciphertext ‖ tag, as the token takes it. */
  input: Buffer;
  out: Buffer;
  mechanism: Mechanism;
}

/** Throws DecryptError when the 16 bytes after the tag are not zero. */
export function openPlan(blob: Buffer, aad: Uint8Array): OpenPlan {
  const bodyEnd = blob.length - TAG_LEN;
  if (!blob.subarray(bodyEnd + 16).equals(ZERO_TAIL)) throw new DecryptError();
  const input = blob.subarray(HEADER_LEN, bodyEnd + 16);
  return { input, out: Buffer.alloc(input.length), mechanism: gcmMechanism(Buffer.from(blob.subarray(NONCE_OFFSET, NONCE_OFFSET + 12)), aadFor(blob, aad)) };
}

/** The plaintext, once the padding is checked to be zero (else DecryptError, the buffer wiped). */
export function finishOpen(plain: Buffer, header: BlobHeader): Buffer {
  for (let i = header.plaintextLength; i < plain.length; i++) {
    if (plain[i] !== 0) {
      plain.fill(0);
      throw new DecryptError();
    }
  }
  return plain.subarray(0, header.plaintextLength);
}
