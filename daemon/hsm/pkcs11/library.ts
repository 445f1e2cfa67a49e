/**
 * A PKCS#11 library handle: the module file (by real path) is loaded and C_Initialize'd once per process
 * (PKCS#11 v2.40 §5.4: a second C_Initialize fails), shared by reference count, and C_Finalize'd when
 * the last holder closes it. It lists slots and tokens, finds a token by label or serial, and logs
 * in as the user (`openToken`), giving a Pkcs11Token (token.ts).
 *
 *   const lib = Pkcs11Library.open('/usr/lib/softhsm/libsofthsm2.so');
 *   lib.slots()                       → SlotSummary[] (every slot with a token present)
 *   lib.findToken({ serial })         → SlotSummary, or Pkcs11TokenError
 *   await lib.openToken({ serial }, userPin) → Pkcs11Token (Pkcs11PinError on a refused PIN)
 *   lib.close()
 *
 * The library is initialised with CKF_OS_LOCKING_OK: dew calls it from the main thread and from
 * libuv's pool (the Async variants), and SoftHSM2 turns its own locking off when given no flags.
 * SoftHSM2 reads SOFTHSM2_CONF at C_Initialize, so set it before the first `open` in a process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { ckrName, Pkcs11LibraryError, Pkcs11PinError, Pkcs11TokenError, describeToken } from './errors.js';
import { Pkcs11Token } from './token.js';

export type Pkcs11Api = InstanceType<typeof pkcs11js.PKCS11>;
export type Handle = Buffer;

/** One slot with a token present, as C_GetSlotInfo/C_GetTokenInfo describe it (strings unpadded). */
export interface SlotSummary {
  /** The slot handle for this process (SoftHSM2 renumbers slots: store the serial, not this). */
  slot: Handle;
  slotId: number;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  /** CKF_TOKEN_INITIALIZED: false for a free token that `provisionToken` may take. */
  initialized: boolean;
  userPinInitialized: boolean;
}

/** How a caller names a token: by serial (stable), or by label (unique among dew's tokens). */
export type TokenSelector = { serial: string; label?: undefined } | { label: string; serial?: undefined };

const open = new Map<string, Pkcs11Library>();

export function slotIdOf(slot: Handle): number {
  return Number(slot.readBigUInt64LE(0));
}

export class Pkcs11Library {
  private refs = 1;
  /** Per token serial: a digest of the PIN its user session logged in with (PKCS#11 logs in per token, not per session). */
  private readonly loggedIn = new Map<string, Buffer>();
  /** Per token serial: how many Pkcs11Token holders are open (the login ends with the last one). */
  private readonly holders = new Map<string, number>();

  private constructor(
    readonly path: string,
    private readonly realPath: string,
    /** The raw pkcs11js binding; only this folder's modules call it. */
    readonly api: Pkcs11Api,
  ) {}

  /** Loads and initialises the library at `path`, or returns the process's handle to it (one more reference). */
  static open(path: string): Pkcs11Library {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('path: a PKCS#11 library path expected');
    // One module file is one library, however it is named (a symlink must not initialise it twice).
    let real: string;
    try {
      real = realpathSync(path);
    } catch (err) {
      throw new Pkcs11LibraryError(`cannot load the PKCS#11 library ${path}: no such file`, err);
    }
    const existing = open.get(real);
    if (existing) {
      existing.refs++;
      return existing;
    }
    const api = new pkcs11js.PKCS11();
    try {
      api.load(path);
    } catch (err) {
      throw new Pkcs11LibraryError(`cannot load the PKCS#11 library ${path}`, err);
    }
    try {
      api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (err) {
      if (ckrName(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
        api.close();
        throw new Pkcs11LibraryError(`C_Initialize of the PKCS#11 library ${path} failed: ${ckrName(err) ?? 'error'}`, err);
      }
    }
    const lib = new Pkcs11Library(path, real, api);
    open.set(real, lib);
    return lib;
  }

  /** Drops one reference; the last one finalises the library (every session of the process closes). */
  close(): void {
    if (this.refs <= 0) return;
    if (--this.refs > 0) return;
    open.delete(this.realPath);
    this.loggedIn.clear();
    try {
      this.api.C_Finalize();
    } finally {
      this.api.close();
    }
  }

  get isOpen(): boolean {
    return this.refs > 0;
  }

  private assertOpen(): void {
    if (this.refs <= 0) throw new Pkcs11LibraryError(`the PKCS#11 library ${this.path} is closed`);
  }

  /** Every slot with a token present (initialised or free). */
  slots(): SlotSummary[] {
    this.assertOpen();
    const out: SlotSummary[] = [];
    for (const slot of this.api.C_GetSlotList(true)) {
      const ti = this.api.C_GetTokenInfo(slot);
      out.push({
        slot,
        slotId: slotIdOf(slot),
        label: ti.label.trimEnd(),
        serial: ti.serialNumber.trimEnd(),
        manufacturer: ti.manufacturerID.trimEnd(),
        model: ti.model.trimEnd(),
        initialized: (ti.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0,
        userPinInitialized: (ti.flags & pkcs11js.CKF_USER_PIN_INITIALIZED) !== 0,
      });
    }
    return out;
  }

  /** The initialised token with this serial or label; Pkcs11TokenError when none (or, by label, more than one) matches. */
  findToken(selector: TokenSelector): SlotSummary {
    const all = this.slots().filter((s) => s.initialized);
    const hits = selector.serial !== undefined ? all.filter((s) => s.serial === selector.serial) : all.filter((s) => s.label === selector.label);
    if (hits.length === 0) throw new Pkcs11TokenError(`no PKCS#11 ${describeToken(selector)} in the library ${this.path}`);
    if (hits.length > 1) throw new Pkcs11TokenError(`more than one PKCS#11 ${describeToken(selector)} in the library ${this.path}: name it by serial`);
    return hits[0]!;
  }

  /**
   * Opens a session on the token and logs in as the user. Wrong PIN → Pkcs11PinError. When this process
   * is already logged in to the token (another holder), the PIN is compared with the one that logged in,
   * so a wrong PIN is refused all the same.
   */
  async openToken(selector: TokenSelector, pin: string): Promise<Pkcs11Token> {
    if (typeof pin !== 'string' || pin.length === 0) throw new TypeError('pin: a non-empty string expected');
    const info = this.findToken(selector);
    const name = { label: info.label, serial: info.serial };
    const session = this.api.C_OpenSession(info.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    const pinDigest = createHash('sha256').update(`dew/pkcs11-pin|${info.serial}|`).update(pin).digest();
    try {
      this.api.C_Login(session, pkcs11js.CKU_USER, pin);
      this.loggedIn.set(info.serial, pinDigest);
    } catch (err) {
      const ckr = ckrName(err) ?? 'error';
      if (ckr === 'CKR_USER_ALREADY_LOGGED_IN') {
        const known = this.loggedIn.get(info.serial);
        if (!known || !timingSafeEqual(known, pinDigest)) {
          this.api.C_CloseSession(session);
          throw new Pkcs11PinError(name, 'CKR_PIN_INCORRECT');
        }
      } else {
        this.api.C_CloseSession(session);
        if (ckr.startsWith('CKR_PIN_')) throw new Pkcs11PinError(name, ckr);
        throw new Pkcs11TokenError(`cannot log in to the PKCS#11 ${describeToken(name)}: ${ckr}`, err);
      }
    }
    this.refs++;
    this.holders.set(info.serial, (this.holders.get(info.serial) ?? 0) + 1);
    return new Pkcs11Token(this.api, info, session, Buffer.from(pin, 'utf8'), () => this.released(info.serial));
  }

  /** A Pkcs11Token closed its sessions: with the token's last holder gone the token logged the user out. */
  private released(serial: string): void {
    const n = (this.holders.get(serial) ?? 1) - 1;
    if (n <= 0) {
      this.holders.delete(serial);
      this.loggedIn.delete(serial);
    } else {
      this.holders.set(serial, n);
    }
    this.close();
  }
}
