/**
 * Seals a managed private key under a KMS key (envelope encryption): a fresh 256-bit data key from
 * the KMS data plane (`create-datakey` under `kps/default` or the key the user named, with the key
 * pair's identity as encryption context), AES-256-GCM over the key text with the same context as
 * associated data. What is stored holds only the wrapped data key and the ciphertext; opening it
 * goes through the KMS again, so a disabled or deleted key refuses with the KMS's own code.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Caller } from '../caller.js';
import type { DataPlane } from '../data-plane.js';
import { asKms, type Sealed, type SealedV1 } from '../kms-envelope.js';
import { DewError } from '../../errors.js';

export class PrivateKeyVault {
  constructor(private readonly data: DataPlane) {}

  async seal(caller: Caller, kmsKey: string, context: string, privateKey: string): Promise<Sealed> {
    const aad = Buffer.from(context, 'utf8');
    const dk = await this.data.createDataKey(asKms(caller, 'create-datakey'), kmsKey, 32, aad, true);
    const dek = Buffer.from(dk.plaintextHex!, 'hex');
    const plain = Buffer.from(privateKey, 'utf8');
    try {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', dek, iv);
      c.setAAD(aad);
      const box = Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
      const sealed: SealedV1 = { v: 1, kid: dk.key.keyId, edk: dk.cipherHex, box: box.toString('base64') };
      return { text: JSON.stringify(sealed), kmsKeyId: dk.key.keyId };
    } finally {
      dek.fill(0);
      plain.fill(0);
    }
  }

  /** The private key text; KMS errors (a disabled key: KMS.0209) pass through as they are. */
  async open(caller: Caller, sealedText: string, context: string): Promise<string> {
    const sealed = JSON.parse(sealedText) as SealedV1;
    if (sealed.v !== 1) throw new DewError('KPS.0101', 500, 'KPS error: a stored private key has an unknown format.');
    const aad = Buffer.from(context, 'utf8');
    const { plaintext: dek } = await this.data.decrypt(asKms(caller, 'decrypt-datakey'), Buffer.from(sealed.edk, 'hex'), 'datakey', aad, sealed.kid);
    const box = Buffer.from(sealed.box, 'base64');
    try {
      const d = createDecipheriv('aes-256-gcm', dek, box.subarray(0, 12));
      d.setAAD(aad);
      d.setAuthTag(box.subarray(box.length - 16));
      const plain = Buffer.concat([d.update(box.subarray(12, box.length - 16)), d.final()]);
      try {
        return plain.toString('utf8');
      } finally {
        plain.fill(0);
      }
    } catch (e) {
      throw new DewError('KPS.0101', 500, 'KPS error: a stored private key does not authenticate.', { cause: e });
    } finally {
      dek.fill(0);
    }
  }
}
