/**
 * The MasterWrapper (master-wrapper.ts) of the pkcs11 mode over daemon/hsm/pkcs11/master-wrap.ts,
 * loaded only when used, so daemons of other modes never load the PKCS#11 binding. Each wrap makes
 * a new key in the token (label `dew-master-<16 hex>`), so a rekey never reuses the old wrapping
 * key. The stored record names the token and the key label; a token of another label is refused
 * before any call. The PKCS#11 layer's errors (no library, no token, a refused PIN, no key) become
 * one TokenUnavailableError line (they never carry the PIN).
 */
import { randomBytes } from 'node:crypto';
import type { MasterWrapper } from './master-wrapper.js';
import { TokenUnavailableError } from './master-wrapper.js';

interface Record1 {
  v: 1;
  token: string;
  key_label: string;
  /** master-wrap.ts's DWP1 form, base64. */
  wrapped: string;
}

const PKCS11_ERRORS = new Set(['Pkcs11LibraryError', 'Pkcs11TokenError', 'Pkcs11PinError', 'Pkcs11UnwrapError']);

async function inToken<T>(library: string, fn: (lib: import('../hsm/pkcs11/library.js').Pkcs11Library, wrap: typeof import('../hsm/pkcs11/master-wrap.js')) => Promise<T>): Promise<T> {
  const [{ Pkcs11Library }, wrap] = await Promise.all([import('../hsm/pkcs11/library.js'), import('../hsm/pkcs11/master-wrap.js')]);
  try {
    const lib = Pkcs11Library.open(library);
    try {
      return await fn(lib, wrap);
    } finally {
      lib.close();
    }
  } catch (err) {
    if (PKCS11_ERRORS.has((err as Error)?.name)) throw new TokenUnavailableError((err as Error).message, { cause: err });
    throw err;
  }
}

export function tokenMasterWrapper(library: string, token: string, pin: string): MasterWrapper {
  return {
    async wrap(master) {
      const keyLabel = `dew-master-${randomBytes(8).toString('hex')}`;
      const wrapped = await inToken(library, (lib, w) => w.wrapMasterKey(lib, { tokenLabel: token, pin, keyLabel }, master));
      const record: Record1 = { v: 1, token, key_label: keyLabel, wrapped: wrapped.toString('base64') };
      return JSON.stringify(record);
    },
    async unwrap(text) {
      let r: Record1;
      try {
        r = JSON.parse(text) as Record1;
      } catch {
        throw new TokenUnavailableError('the database\'s PKCS#11 master key record (meta master_key_pkcs11) is damaged');
      }
      if (r?.v !== 1 || typeof r.key_label !== 'string' || typeof r.wrapped !== 'string') throw new TokenUnavailableError('the database\'s PKCS#11 master key record (meta master_key_pkcs11) is damaged');
      if (r.token !== token) throw new TokenUnavailableError(`this database's master key is wrapped by a key in token ${JSON.stringify(r.token)}, not ${JSON.stringify(token)}: start with --pkcs11-token ${JSON.stringify(r.token)}`);
      return inToken(library, (lib, w) => w.unwrapMasterKey(lib, { tokenLabel: token, pin, keyLabel: r.key_label }, Buffer.from(r.wrapped, 'base64')));
    },
  };
}
