/**
 * A logged-in PKCS#11 token (made by Pkcs11Library.openToken): one session for synchronous calls
 * from the main thread, and a pool of further sessions for calls that run on libuv's pool (the
 * pkcs11js `…Async` variants: key pair generation, RSA private-key operations; at most
 * MAX_POOLED_SESSIONS at once, later callers wait), so no two threads
 * ever share a session (PKCS#11 v2.40 §5.2: a session's operation state is single-threaded). Every
 * session of the token shares the user login (§5.6); `recover` logs in again when the token dropped
 * it. Closing closes this holder's sessions only (and wipes the kept PIN).
 */
import pkcs11js from 'pkcs11js';
import type { Template } from 'pkcs11js';
import { ckrName, describeToken, Pkcs11LibraryError } from './errors.js';
import type { Handle, Pkcs11Api, SlotSummary } from './library.js';

/** Session states (PKCS#11 v2.40 §5.6 CK_STATE); pkcs11js's typings lack them. */
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

/** Idle pooled sessions kept open (more are opened under load and closed when returned). */
const MAX_IDLE = 8;
/** Pooled sessions open at once; callers beyond wait their turn (tokens limit sessions: CKR_SESSION_COUNT). */
export const MAX_POOLED_SESSIONS = 32;

export class Pkcs11Token {
  readonly label: string;
  readonly serial: string;
  readonly slot: Handle;
  readonly slotId: number;
  private readonly idle: Handle[] = [];
  private readonly busy = new Set<Handle>();
  private readonly waiting: (() => void)[] = [];
  private mechanismSet: ReadonlySet<number> | undefined;
  private closed = false;
  private pinRefused = false;

  constructor(
    /** The raw binding (only this folder's modules use it). */
    readonly api: Pkcs11Api,
    info: SlotSummary,
    private syncSession: Handle,
    /** The user PIN, kept (and wiped at close) so `recover` can log in again after the token dropped the login. */
    private readonly pin: Buffer,
    private readonly onClose: () => void,
  ) {
    this.label = info.label;
    this.serial = info.serial;
    this.slot = info.slot;
    this.slotId = info.slotId;
  }

  get name(): string {
    return describeToken({ label: this.label, serial: this.serial });
  }

  /** The session for synchronous calls: use it for a whole Init+call pair with no await between. */
  get session(): Handle {
    if (this.closed) throw new Pkcs11LibraryError(`the PKCS#11 ${this.name} is closed`);
    return this.syncSession;
  }

  /** Runs `fn` on a session nobody else uses until it settles (for the Async calls). */
  async withSession<T>(fn: (session: Handle) => Promise<T>): Promise<T> {
    while (this.busy.size >= MAX_POOLED_SESSIONS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) throw new Pkcs11LibraryError(`the PKCS#11 ${this.name} is closed`);
    const session = this.idle.pop() ?? this.api.C_OpenSession(this.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    this.busy.add(session);
    try {
      return await fn(session);
    } finally {
      this.busy.delete(session);
      if (this.closed || this.idle.length >= MAX_IDLE) this.closeSession(session);
      else this.idle.push(session);
      this.waiting.shift()?.();
    }
  }

  /** Whether the user login still holds (C_GetSessionInfo state CKS_RO/RW_USER_FUNCTIONS, PKCS#11 v2.40 §5.6). */
  isLoggedIn(): boolean {
    try {
      const state = this.api.C_GetSessionInfo(this.session).state;
      return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
    } catch {
      return false;
    }
  }

  /**
   * Logs in again after the token dropped dew's login or sessions (a token restart, a C_Logout by
   * another holder): a dead sync session is replaced, idle pooled sessions are closed, and the user
   * logs in with the PIN given at open. True when the login holds afterwards.
   */
  recover(): boolean {
    // A refused PIN is never offered again: tokens lock the user PIN after a few wrong tries.
    if (this.closed || this.pinRefused) return false;
    try {
      this.api.C_GetSessionInfo(this.syncSession);
    } catch {
      try {
        this.syncSession = this.api.C_OpenSession(this.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
      } catch {
        return false;
      }
    }
    for (const s of this.idle.splice(0)) this.closeSession(s);
    try {
      this.api.C_Login(this.syncSession, pkcs11js.CKU_USER, this.pin.toString('utf8'));
    } catch (err) {
      const ckr = ckrName(err) ?? '';
      if (ckr.startsWith('CKR_PIN_')) this.pinRefused = true;
      if (ckr !== 'CKR_USER_ALREADY_LOGGED_IN') return false;
    }
    return this.isLoggedIn();
  }

  /** The token's mechanisms (C_GetMechanismList, read once). */
  mechanisms(): ReadonlySet<number> {
    this.mechanismSet ??= new Set(this.api.C_GetMechanismList(this.slot));
    return this.mechanismSet;
  }

  /** C_GetMechanismInfo's key size range for a mechanism the token has. */
  mechanismKeySizes(mechanism: number): { min: number; max: number } {
    const info = this.api.C_GetMechanismInfo(this.slot, mechanism);
    return { min: info.minKeySize, max: info.maxKeySize };
  }

  /** Every object matching `template` (C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal on the sync session). */
  findObjects(template: Template): Handle[] {
    const s = this.session;
    this.api.C_FindObjectsInit(s, template);
    try {
      const out: Handle[] = [];
      for (;;) {
        const batch = this.api.C_FindObjects(s, 64);
        out.push(...batch);
        if (batch.length < 64) return out;
      }
    } finally {
      this.api.C_FindObjectsFinal(s);
    }
  }

  /** One attribute's raw value. */
  attribute(object: Handle, type: number): Buffer {
    return this.api.C_GetAttributeValue(this.session, object, [{ type }])[0]!.value;
  }

  private closeSession(session: Handle): void {
    try {
      this.api.C_CloseSession(session);
    } catch (err) {
      const ckr = ckrName(err);
      if (ckr !== 'CKR_SESSION_HANDLE_INVALID' && ckr !== 'CKR_SESSION_CLOSED' && ckr !== 'CKR_CRYPTOKI_NOT_INITIALIZED' && ckr !== 'CKR_DEVICE_REMOVED') throw err;
    }
  }

  /** Closes this holder's sessions (busy ones as they finish) and releases its library reference. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pin.fill(0);
    for (const wake of this.waiting.splice(0)) wake();
    for (const s of this.idle.splice(0)) this.closeSession(s);
    this.closeSession(this.syncSession);
    this.onClose();
  }
}
