/**
 * The master key wrapped by a key inside a PKCS#11 token (the pkcs11 seal mode): an AES-256 key
 * generated in the token (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, so its bytes
 * never leave it) encrypts the master key with CKM_AES_GCM (PKCS#11 v2.40 §2.12.3: 96-bit IV, 128-bit
 * tag, the key's label as associated data). What is stored is the key's label, the IV and the
 * ciphertext: nothing that opens without the token and its user PIN. Each call opens the library,
 * logs in, does its one job and closes (finalising only a library it initialised itself).
 */
import { randomBytes } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';

export interface TokenTarget {
  /** The PKCS#11 module's path. */
  library: string;
  /** The token's label. */
  token: string;
  /** The token's user PIN (never logged). */
  pin: string;
}

/** What is stored in the database for a wrapped master key (no secret). */
export interface WrappedMasterKey {
  v: 1;
  mechanism: 'CKM_AES_GCM';
  token: string;
  key_label: string;
  iv: string;
  wrapped: string;
}

/** The token cannot do it: no library, no such token, a wrong or locked PIN, no key. One line, no PIN. */
export class TokenAccessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenUnavailableError';
  }
}

const aad = (label: string) => Buffer.from(`dew/master-key/pkcs11/v1|${label}`);

function cause(err: unknown): string {
  const e = err as { message?: string; code?: number };
  return String(e?.message ?? err).split('\n')[0];
}

/** Runs `fn` in a logged-in read-write session of the token labelled `t.token`. */
function withSession<T>(t: TokenTarget, fn: (p: pkcs11js.PKCS11, session: pkcs11js.Handle) => T): T {
  const p = new pkcs11js.PKCS11();
  try {
    p.load(t.library);
  } catch (err) {
    throw new TokenAccessError(`cannot load the PKCS#11 library ${t.library}: ${cause(err)}`, { cause: err });
  }
  let initialised = false;
  try {
    try {
      p.C_Initialize();
      initialised = true;
    } catch (err) {
      // Another part of this process (HSM instances) has the library open: use it, leave it open.
      if ((err as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw new TokenAccessError(`the PKCS#11 library ${t.library} did not initialise: ${cause(err)}`, { cause: err });
    }
    const labels: string[] = [];
    let slot: pkcs11js.Handle | undefined;
    for (const s of p.C_GetSlotList(true)) {
      const label = p.C_GetTokenInfo(s).label.trim();
      labels.push(label);
      if (label === t.token && slot === undefined) slot = s;
    }
    if (slot === undefined) {
      throw new TokenAccessError(`no PKCS#11 token labelled ${JSON.stringify(t.token)} in ${t.library} (tokens present: ${labels.length ? labels.map((l) => JSON.stringify(l)).join(', ') : 'none'})`);
    }
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      try {
        p.C_Login(session, pkcs11js.CKU_USER, t.pin);
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === pkcs11js.CKR_PIN_INCORRECT) throw new TokenAccessError(`DEW_PKCS11_PIN is not the user PIN of token ${JSON.stringify(t.token)} (CKR_PIN_INCORRECT)`);
        if (code === pkcs11js.CKR_PIN_LOCKED) throw new TokenAccessError(`the user PIN of token ${JSON.stringify(t.token)} is locked (CKR_PIN_LOCKED): the token's security officer must reset it`);
        if (code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw new TokenAccessError(`cannot log in to token ${JSON.stringify(t.token)}: ${cause(err)}`, { cause: err });
      }
      return fn(p, session);
    } finally {
      try {
        p.C_CloseSession(session);
      } catch {
        /* the session is gone with the library */
      }
    }
  } finally {
    if (initialised) p.C_Finalize();
    p.close();
  }
}

/** Makes a new wrapping key in the token and wraps `master` (the caller's) by it. */
export function wrapMasterKey(t: TokenTarget, master: Buffer): WrappedMasterKey {
  if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
  const label = `dew-master-${randomBytes(8).toString('hex')}`;
  return withSession(t, (p, session) => {
    const key = p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: Buffer.from(label) },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
    ]);
    const iv = randomBytes(12);
    p.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad: aad(label), ivBits: 96, tagBits: 128 } as pkcs11js.AesGCM }, key);
    const input = Buffer.from(master);
    const wrapped = p.C_Encrypt(session, input, Buffer.alloc(master.length + 16));
    input.fill(0);
    return { v: 1, mechanism: 'CKM_AES_GCM', token: t.token, key_label: label, iv: iv.toString('base64'), wrapped: Buffer.from(wrapped).toString('base64') };
  });
}

/** Unwraps a stored master key by its key in the token; the caller owns the result. */
export function unwrapMasterKey(t: TokenTarget, w: WrappedMasterKey): Buffer {
  if (w?.v !== 1 || w.mechanism !== 'CKM_AES_GCM' || typeof w.key_label !== 'string') throw new TypeError('w: unknown wrapped master key format');
  return withSession(t, (p, session) => {
    p.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: w.key_label },
    ]);
    const found = p.C_FindObjects(session, 2);
    p.C_FindObjectsFinal(session);
    if (found.length !== 1) throw new TokenAccessError(`token ${JSON.stringify(t.token)} has ${found.length === 0 ? 'no' : 'more than one'} key labelled ${w.key_label}, the key that wraps this database's master key (another token with the same label?)`);
    p.C_DecryptInit(session, { mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv: Buffer.from(w.iv, 'base64'), aad: aad(w.key_label), ivBits: 96, tagBits: 128 } as pkcs11js.AesGCM }, found[0]);
    try {
      const sealed = Buffer.from(w.wrapped, 'base64');
      const out = Buffer.alloc(sealed.length);
      const clear = p.C_Decrypt(session, sealed, out);
      const master = Buffer.from(clear);
      out.fill(0);
      return master;
    } catch (err) {
      throw new TokenAccessError(`the key ${w.key_label} in token ${JSON.stringify(t.token)} does not open the stored master key: ${cause(err)}`, { cause: err });
    }
  });
}
