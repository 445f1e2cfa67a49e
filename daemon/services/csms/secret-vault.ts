/**
 * Seals secret values (envelope encryption): a fresh data key per version from the KMS data plane
 * under the secret's KMS key (`csms/default`, or a key by id or alias), the value sealed with the
 * cipher the KMS itself uses for that key's family (hsm/symmetric.ts: AES-256-GCM under AES_256
 * keys, SM4-CTR + HMAC-SM3 under SM4 keys), with the secret id and version number bound as
 * associated data so a sealed value moved to another secret or version does not open. Opening goes
 * through the KMS again: a disabled or pending-deletion key refuses with the KMS's own code.
 */
import type { Caller } from '../caller.js';
import type { DataPlane } from '../data-plane.js';
import { asKms, type Sealed, type SealedV1 } from '../kms-envelope.js';
import { aesCipher, sm4Cipher, encryptBlob, decryptBlob, parseBlob, type SymmetricCipher } from '../../hsm/symmetric.js';
import { csmsErrors } from '../../errors.js';

/** Associated data: which secret and which version a sealed value belongs to. */
export function versionContext(secretId: string, version: number): Buffer {
  return Buffer.from(`dew/csms/v1:${secretId}:v${version}`, 'utf8');
}

function cipherFor(dek: Buffer): SymmetricCipher {
  return dek.length === 16 ? sm4Cipher(dek) : aesCipher(dek);
}

export class SecretVault {
  constructor(private readonly data: DataPlane) {}

  /** Seals `value` (1..65535 bytes) for version `version` of secret `secretId` under `kmsKey`. */
  async seal(caller: Caller, kmsKey: string, secretId: string, version: number, value: Buffer): Promise<Sealed> {
    const aad = versionContext(secretId, version);
    const dk = await this.data.createSealingKey(asKms(caller, 'create-datakey'), kmsKey, aad);
    try {
      const box = encryptBlob(cipherFor(dk.dek), { keyId: secretId, keyVersion: version, kind: 'data' }, value, aad);
      const sealed: SealedV1 = { v: 1, kid: dk.key.keyId, edk: dk.cipherHex, box: box.toString('base64') };
      return { text: JSON.stringify(sealed), kmsKeyId: dk.key.keyId };
    } finally {
      dk.dek.fill(0);
    }
  }

  /** The value; KMS errors (a disabled key: KMS.0209) pass through as they are. The caller wipes it. */
  async open(caller: Caller, sealedText: string, secretId: string, version: number): Promise<Buffer> {
    const sealed = JSON.parse(sealedText) as SealedV1;
    if (sealed.v !== 1) throw csmsErrors.internal('a stored secret version has an unknown format');
    const aad = versionContext(secretId, version);
    const { plaintext: dek } = await this.data.decrypt(asKms(caller, 'decrypt-datakey'), Buffer.from(sealed.edk, 'hex'), 'datakey', aad, sealed.kid);
    try {
      const box = Buffer.from(sealed.box, 'base64');
      const header = parseBlob(box);
      if (header.keyId !== secretId || header.keyVersion !== version) throw new Error('the sealed value names another secret or version');
      return decryptBlob(cipherFor(dek), box, header, aad);
    } catch (e) {
      throw csmsErrors.internal(`a stored secret version does not authenticate (${(e as Error).message})`);
    } finally {
      dek.fill(0);
    }
  }
}
