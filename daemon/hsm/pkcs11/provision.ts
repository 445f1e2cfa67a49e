/**
 * Token provisioning for a `pkcs11` HSM instance, and its erasure on instance deletion.
 *
 *   provisionToken(lib, { label })  → { slotId, tokenSerial, tokenLabel, soPin, userPin }
 *     takes a free (uninitialised) token, C_InitToken's it with a fresh random SO PIN, sets a fresh
 *     random user PIN (C_InitPIN as the SO), and generates the instance root key inside it as the
 *     user: AES-256, CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, labelled `dew-root`.
 *     The caller stores both PINs sealed; nothing here keeps them. Name the token by its serial
 *     afterwards: SoftHSM2 gives an initialised token a new slot id in the next process.
 *   destroyTokenObjects(lib, { serial, userPin, soPin? }) → { destroyed, reinitialised }
 *     destroys every object the user sees, then, given the SO PIN, re-initialises the token (which
 *     erases whatever is left and the user PIN, PKCS#11 v2.40 §5.6 C_InitToken) under the label
 *     `dew-released`; close every partition on the token first (C_InitToken refuses while sessions
 *     are open: CKR_SESSION_EXISTS). PKCS#11 has no call that returns a token to the
 *     uninitialised state; SoftHSM2 always offers one more free slot, and a released token's folder
 *     may be removed by the operator (`softhsm2-util --delete-token --serial …`).
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { ckrName, Pkcs11TokenError, describeToken } from './errors.js';
import { rootKeyTemplate } from './objects.js';
import type { Pkcs11Library } from './library.js';

export const ROOT_KEY_LABEL = 'dew-root';
export const RELEASED_LABEL = 'dew-released';

export interface ProvisionedToken {
  slotId: number;
  tokenSerial: string;
  tokenLabel: string;
  soPin: string;
  userPin: string;
}

/** A random PIN: 32 base64url characters (192 bits), within the 4..255 SoftHSM2 (and most tokens) accept. */
function randomPin(): string {
  return randomBytes(24).toString('base64url');
}

/** CKA_LABEL / token labels are 32 bytes blank-padded (PKCS#11 v2.40 §3.2 CK_TOKEN_INFO). */
function paddedLabel(label: string): string {
  return label.padEnd(32, ' ');
}

function assertLabel(label: unknown): asserts label is string {
  if (typeof label !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,31}$/.test(label) || label !== label.trimEnd()) {
    throw new TypeError('label: 1..32 printable ASCII characters, no trailing blank, expected');
  }
}

export async function provisionToken(lib: Pkcs11Library, opts: { label: string }): Promise<ProvisionedToken> {
  assertLabel(opts.label);
  const slots = lib.slots();
  if (slots.some((s) => s.initialized && s.label === opts.label)) {
    throw new Pkcs11TokenError(`a PKCS#11 token labelled ${JSON.stringify(opts.label)} already exists in the library ${lib.path}`);
  }
  const free = slots.find((s) => !s.initialized);
  if (!free) throw new Pkcs11TokenError(`the PKCS#11 library ${lib.path} has no free (uninitialised) token to provision`);
  const api = lib.api;
  const soPin = randomPin();
  const userPin = randomPin();
  try {
    api.C_InitToken(free.slot, soPin, paddedLabel(opts.label));
  } catch (err) {
    throw new Pkcs11TokenError(`C_InitToken on slot ${free.slotId} failed: ${ckrName(err) ?? 'error'}`, err);
  }
  const info = api.C_GetTokenInfo(free.slot);
  const tokenSerial = info.serialNumber.trimEnd();
  const name = describeToken({ label: opts.label, serial: tokenSerial });
  const session = api.C_OpenSession(free.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
  try {
    try {
      api.C_Login(session, pkcs11js.CKU_SO, soPin);
      api.C_InitPIN(session, userPin);
      api.C_Logout(session);
    } catch (err) {
      throw new Pkcs11TokenError(`setting the user PIN of the PKCS#11 ${name} failed: ${ckrName(err) ?? 'error'}`, err);
    }
  } finally {
    api.C_CloseSession(session);
  }
  const token = await lib.openToken({ serial: tokenSerial }, userPin);
  try {
    token.api.C_GenerateKey(token.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, rootKeyTemplate(ROOT_KEY_LABEL));
  } catch (err) {
    throw new Pkcs11TokenError(`generating the root key in the PKCS#11 ${name} failed: ${ckrName(err) ?? 'error'}`, err);
  } finally {
    token.close();
  }
  return { slotId: free.slotId, tokenSerial, tokenLabel: opts.label, soPin, userPin };
}

export interface DestroyResult {
  /** Objects destroyed as the user. */
  destroyed: number;
  /** Whether the token was re-initialised (given the SO PIN). */
  reinitialised: boolean;
}

export async function destroyTokenObjects(
  lib: Pkcs11Library,
  opts: { serial: string; userPin: string; soPin?: string },
): Promise<DestroyResult> {
  const token = await lib.openToken({ serial: opts.serial }, opts.userPin);
  let destroyed = 0;
  try {
    for (const object of token.findObjects([])) {
      token.api.C_DestroyObject(token.session, object);
      destroyed++;
    }
  } finally {
    token.close();
  }
  if (opts.soPin === undefined) return { destroyed, reinitialised: false };
  const slot = lib.findToken({ serial: opts.serial }).slot;
  try {
    lib.api.C_InitToken(slot, opts.soPin, paddedLabel(RELEASED_LABEL));
  } catch (err) {
    const ckr = ckrName(err) ?? 'error';
    const why = ckr === 'CKR_SESSION_EXISTS' ? ' (sessions are still open on it in this process: close its partition first)' : '';
    throw new Pkcs11TokenError(`re-initialising the PKCS#11 ${describeToken({ serial: opts.serial })} failed: ${ckr}${why}`, err);
  }
  return { destroyed, reinitialised: true };
}
