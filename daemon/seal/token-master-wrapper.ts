/**
 * The MasterWrapper (master-wrapper.ts) of the pkcs11 mode over daemon/hsm/pkcs11/master-wrap.ts,
 * loaded only when used, so daemons of other modes never load the PKCS#11 binding. The stored
 * record names the token it was made in; a token of another label is refused before any call.
 */
import type { MasterWrapper } from './master-wrapper.js';
import { TokenUnavailableError } from './master-wrapper.js';

export function tokenMasterWrapper(library: string, token: string, pin: string): MasterWrapper {
  const target = { library, token, pin };
  const binding = () => import('../hsm/pkcs11/master-wrap.js');
  return {
    async wrap(master) {
      return JSON.stringify((await binding()).wrapMasterKey(target, master));
    },
    async unwrap(record) {
      let w;
      try {
        w = JSON.parse(record);
      } catch {
        throw new TokenUnavailableError('the database\'s PKCS#11 master key record (meta master_key_pkcs11) is damaged');
      }
      if (w?.token !== token) throw new TokenUnavailableError(`this database's master key is wrapped by a key in token ${JSON.stringify(w?.token)}, not ${JSON.stringify(token)}: start with --pkcs11-token ${JSON.stringify(w?.token)}`);
      return (await binding()).unwrapMasterKey(target, w);
    },
  };
}
