/**
 * The TokenBackend (token-backend.ts) over a real PKCS#11 library (daemon/hsm/pkcs11/): each
 * `pkcs11` instance gets a free token of the library, initialised with random PINs and labelled
 * `dew-<instance id>`, and is served by a Pkcs11Partition logged in to that token. Tokens are
 * found again by serial (a library may renumber slots between processes). The library is loaded
 * once for the daemon and finalised at close.
 */
import { Pkcs11Library } from '../../hsm/pkcs11/library.js';
import { provisionToken, destroyTokenObjects } from '../../hsm/pkcs11/provision.js';
import { Pkcs11Partition } from '../../hsm/pkcs11/pkcs11-partition.js';
import type { MaterialStore, Partition } from '../../hsm/partition.js';
import type { TokenBackend, TokenInfo, TokenPins } from './token-backend.js';

/** PKCS#11 token labels are at most 32 bytes: `dew-` and the first 28 characters of the instance id. */
export const tokenLabelFor = (hsmId: string) => `dew-${hsmId.slice(0, 28)}`;

export class Pkcs11Backend implements TokenBackend {
  private readonly lib: Pkcs11Library;

  constructor(
    readonly library: string,
    private readonly store: MaterialStore,
  ) {
    this.lib = Pkcs11Library.open(library);
  }

  async provision(hsmId: string): Promise<{ token: TokenInfo; pins: TokenPins }> {
    const p = await provisionToken(this.lib, { label: tokenLabelFor(hsmId) });
    return {
      token: { library: this.library, slotId: String(p.slotId), tokenLabel: p.tokenLabel, tokenSerial: p.tokenSerial },
      pins: { userPin: p.userPin, soPin: p.soPin },
    };
  }

  async open(partitionId: string, token: TokenInfo, pins: TokenPins): Promise<Partition> {
    return Pkcs11Partition.open(this.lib, { id: partitionId, token: { serial: token.tokenSerial }, pin: pins.userPin, store: this.store });
  }

  slotOf(token: TokenInfo): string {
    return String(this.lib.findToken({ serial: token.tokenSerial }).slotId);
  }

  async destroy(token: TokenInfo, pins: TokenPins): Promise<void> {
    await destroyTokenObjects(this.lib, { serial: token.tokenSerial, userPin: pins.userPin, soPin: pins.soPin });
  }

  close(): void {
    this.lib.close();
  }
}
