/**
 * Keys derived from the master key by HKDF-SHA-256 (RFC 5869), one per purpose, for what is
 * HSM-wide rather than per partition: bearer-token MACs, import-token MACs, the keyed digest of
 * imported material, and small secrets (AK secret keys) sealed directly under the base.
 *
 * The base is the master key on a database that was never rekeyed; a rekey (daemon/seal/rekey.ts)
 * keeps it and stores it sealed under the new master key (`sealBase`), so issued tokens and
 * sealed secrets outlive a change of master key.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { seal, open } from './aead.js';
import { createTokenMac, type TokenMac } from './token-mac.js';

const derive = (master: Buffer, info: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
const secretContext = (context: string) => `dew/secret/v1|${context}`;
const BASE_CONTEXT = 'dew/derived-base/v1';

/** Opens a stored derived-keys base (sealed under the master key by `sealBase`). The caller owns the result. */
export function openDerivedBase(master: Buffer, sealed: Uint8Array): Buffer {
  return open(master, sealed, BASE_CONTEXT);
}

/** Seals a derived-keys base under a master key, for storage. */
export function sealDerivedBase(master: Buffer, base: Buffer): Buffer {
  if (base.length !== 32) throw new TypeError('base: 32 bytes expected');
  return seal(master, base, BASE_CONTEXT);
}

export class DerivedKeys {
  readonly tokenMac: TokenMac;
  private readonly importTokenKey: Buffer;
  private readonly importDigestKey: Buffer;

  /** `master` (the base) stays owned by the caller (the HSM), which keeps it for sealing secrets. */
  constructor(private readonly master: Buffer) {
    if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
    const tokenKey = derive(master, 'dew/token-mac/v1');
    this.tokenMac = createTokenMac(tokenKey);
    tokenKey.fill(0);
    this.importTokenKey = derive(master, 'dew/import-token/v1');
    this.importDigestKey = derive(master, 'dew/import-digest/v1');
  }

  /** MAC for import tokens (separate from the bearer-token key). */
  importTokenMac(data: Uint8Array): Buffer {
    return createHmac('sha256', this.importTokenKey).update(data).digest();
  }

  /** HMAC-SHA-256 of a key's material: lets re-import compare without storing material in clear. */
  materialDigest(keyId: string, material: Uint8Array): Buffer {
    return createHmac('sha256', this.importDigestKey).update(keyId).update('\u0000').update(material).digest();
  }

  /** The base sealed under `master`, for storage beside a new master key (a rekey). */
  sealBase(master: Buffer): Buffer {
    return sealDerivedBase(master, this.master);
  }

  /** Zeroes the derived keys this object holds (the base is the caller's to wipe). */
  wipe(): void {
    this.importTokenKey.fill(0);
    this.importDigestKey.fill(0);
  }

  sealSecret(secret: Uint8Array, context: string): Buffer {
    return seal(this.master, secret, secretContext(context));
  }

  openSecret(wrapped: Buffer, context: string): Buffer {
    return open(this.master, wrapped, secretContext(context));
  }
}
