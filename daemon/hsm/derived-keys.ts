/**
 * Keys derived from the master key by HKDF-SHA-256 (RFC 5869), one per purpose, for what is
 * HSM-wide rather than per partition: bearer-token MACs, import-token MACs, the keyed digest of
 * imported material, and small secrets (AK secret keys) sealed directly under the master key.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { seal, open } from './aead.js';
import { createTokenMac, type TokenMac } from './token-mac.js';

const derive = (master: Buffer, info: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
const secretContext = (context: string) => `dew/secret/v1|${context}`;

export class DerivedKeys {
  readonly tokenMac: TokenMac;
  private readonly importTokenKey: Buffer;
  private readonly importDigestKey: Buffer;

  /** `master` stays owned by the caller (the HSM), which keeps it for sealing secrets. */
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

  sealSecret(secret: Uint8Array, context: string): Buffer {
    return seal(this.master, secret, secretContext(context));
  }

  openSecret(wrapped: Buffer, context: string): Buffer {
    return open(this.master, wrapped, secretContext(context));
  }
}
