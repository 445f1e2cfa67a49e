/**
 * The master key wrapped by a token key, for the daemon's `pkcs11` seal mode: the wrapping key is an
 * AES-256 token object (CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_PRIVATE) made on first wrap, and it
 * never leaves the token; the master key exists in the clear only in dew's memory after unwrap.
 *
 *   wrapMasterKey(lib, { tokenLabel | tokenSerial, pin, keyLabel }, master32) → Buffer (64 bytes)
 *   unwrapMasterKey(lib, { … same }, wrapped) → Buffer (32 bytes; the caller owns and wipes it)
 *
 * Wrapped form: "DWP1" ‖ IV (12) ‖ AES-256-GCM ciphertext (32) ‖ tag (16), computed in the token
 * (CKM_AES_GCM, NIST SP 800-38D) with AAD "dew/master-key/pkcs11/v1|" ‖ keyLabel, so a wrap made under
 * one key label (or another token's key) does not open under another: Pkcs11UnwrapError. A missing
 * token is Pkcs11TokenError, a wrong PIN Pkcs11PinError, a missing key on unwrap Pkcs11UnwrapError.
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { AesGCM } from 'pkcs11js';
import { Pkcs11UnwrapError } from './errors.js';
import { rootKeyTemplate } from './objects.js';
import type { Handle, Pkcs11Library, TokenSelector } from './library.js';
import type { Pkcs11Token } from './token.js';

export interface MasterWrapTarget {
  /** The token by label (or give `tokenSerial`). */
  tokenLabel?: string;
  tokenSerial?: string;
  /** The token's user PIN. */
  pin: string;
  /** CKA_LABEL of the wrapping key in the token, e.g. `dew-master-wrap`. */
  keyLabel: string;
}

const MAGIC = Buffer.from('DWP1', 'latin1');
const WRAPPED_LEN = 4 + 12 + 32 + 16;

function selector(t: MasterWrapTarget): TokenSelector {
  if (t.tokenSerial !== undefined) return { serial: t.tokenSerial };
  if (t.tokenLabel !== undefined) return { label: t.tokenLabel };
  throw new TypeError('tokenLabel or tokenSerial expected');
}

function assertKeyLabel(label: unknown): asserts label is string {
  if (typeof label !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(label)) throw new TypeError('keyLabel: 1..64 printable ASCII characters expected');
}

function findKey(token: Pkcs11Token, label: string): Handle | undefined {
  const hits = token.findObjects([
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  return hits[0];
}

function mechanism(iv: Buffer, keyLabel: string) {
  const parameter: AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: 96, aad: Buffer.from(`dew/master-key/pkcs11/v1|${keyLabel}`, 'latin1'), tagBits: 128 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
}

async function withToken<T>(lib: Pkcs11Library, target: MasterWrapTarget, fn: (token: Pkcs11Token) => T): Promise<T> {
  assertKeyLabel(target.keyLabel);
  const token = await lib.openToken(selector(target), target.pin);
  try {
    return fn(token);
  } finally {
    token.close();
  }
}

/** Wraps a 32-byte master key under the token key `keyLabel` (made, non-extractable, if absent). */
export async function wrapMasterKey(lib: Pkcs11Library, target: MasterWrapTarget, master: Buffer): Promise<Buffer> {
  if (!Buffer.isBuffer(master) || master.length !== 32) throw new TypeError('master: 32 bytes expected');
  return withToken(lib, target, (token) => {
    const key = findKey(token, target.keyLabel)
      ?? token.api.C_GenerateKey(token.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, rootKeyTemplate(target.keyLabel));
    const out = Buffer.alloc(WRAPPED_LEN);
    MAGIC.copy(out, 0);
    const iv = randomBytes(12);
    iv.copy(out, 4);
    token.api.C_EncryptInit(token.session, mechanism(iv, target.keyLabel), key);
    token.api.C_Encrypt(token.session, master, out.subarray(16));
    return out;
  });
}

/** Opens `wrapMasterKey`'s output; Pkcs11UnwrapError when it is malformed, the key is missing or it does not authenticate. */
export async function unwrapMasterKey(lib: Pkcs11Library, target: MasterWrapTarget, wrapped: Uint8Array): Promise<Buffer> {
  const buf = Buffer.from(wrapped);
  if (buf.length !== WRAPPED_LEN || !buf.subarray(0, 4).equals(MAGIC)) throw new Pkcs11UnwrapError('the wrapped master key is not in the DWP1 format');
  return withToken(lib, target, (token) => {
    const key = findKey(token, target.keyLabel);
    if (!key) throw new Pkcs11UnwrapError(`the PKCS#11 ${token.name} has no key labelled ${JSON.stringify(target.keyLabel)} to unwrap the master key with`);
    const out = Buffer.alloc(48);
    try {
      token.api.C_DecryptInit(token.session, mechanism(buf.subarray(4, 16), target.keyLabel), key);
      const master = token.api.C_Decrypt(token.session, buf.subarray(16), out);
      if (master.length !== 32) throw new Error('length');
      return Buffer.from(master);
    } catch (err) {
      throw new Pkcs11UnwrapError(`the wrapped master key does not open with key ${JSON.stringify(target.keyLabel)} of the PKCS#11 ${token.name}`, err);
    } finally {
      out.fill(0);
    }
  });
}

