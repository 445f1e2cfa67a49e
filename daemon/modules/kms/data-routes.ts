/** KMS data-plane routes (reference 1b): encrypt/decrypt data, data keys, random bytes, MACs. */
import type { Body, RouteSpec } from '../contract.js';
import { DATAKEY_SPEC_BYTES, type DataPlane } from '../../services/data-plane.js';
import type { EncryptionService } from '../../services/encryption.js';
import { thenMaybe } from '../../services/maybe-promise.js';
import { kmsErrors } from '../../errors.js';
import { strictBase64, strNum } from '../wire.js';
import { op, optStr } from './op.js';
import { cipherAnswer, plainAnswer } from '../json-text.js';

export interface DataRouteDeps {
  data: DataPlane;
  encryption: EncryptionService;
}

const utf8 = (s: unknown) => (typeof s === 'string' && s.length ? Buffer.from(s, 'utf8') : undefined);

function aadOf(b: Body): Buffer | undefined {
  const aad = utf8(b.additional_authenticated_data);
  if (aad && aad.length > 128) throw kmsErrors.invalid('additional_authenticated_data');
  return aad;
}

function dataKeyBytes(b: Body): number {
  if (b.datakey_length !== undefined) return strNum(b.datakey_length) / 8;
  if (typeof b.key_spec === 'string') return DATAKEY_SPEC_BYTES[b.key_spec];
  return 32;
}

/** decrypt-data's answer; the plaintext buffer is wiped once encoded. */
function decryptAnswer(res: { keyId: string; plaintext: Buffer }) {
  try {
    return plainAnswer(res.keyId, res.plaintext.toString('utf8'), res.plaintext.toString('base64'));
  } finally {
    res.plaintext.fill(0);
  }
}

export function dataRoutes(d: DataRouteDeps): RouteSpec[] {
  const createDataKey = (withPlaintext: boolean) => (caller: Parameters<DataPlane['createDataKey']>[0], b: Body) =>
    thenMaybe(d.data.createDataKey(caller, String(b.key_id), dataKeyBytes(b), aadOf(b), withPlaintext), (res) =>
      withPlaintext
        ? { key_id: res.key.keyId, plain_text: res.plaintextHex, cipher_text: res.cipherHex }
        : { key_id: res.key.keyId, cipher_text: res.cipherHex });
  return [
    // encrypt-data, decrypt-data and create-datakey answer without a promise when the key is cached (services/maybe-promise.ts).
    op('encrypt-data', 'use', (caller, b) =>
      thenMaybe(d.encryption.encrypt(caller, String(b.key_id), optStr(b.encryption_algorithm), Buffer.from(String(b.plain_text), 'utf8'), aadOf(b)), (res) => cipherAnswer(res.keyId, res.ciphertext.toString('base64'))),
    ),
    op('decrypt-data', 'use', (caller, b) => {
      const ct = strictBase64('cipher_text', b.cipher_text, 8192, 'KMS.2201');
      return thenMaybe(d.encryption.decrypt(caller, optStr(b.key_id), optStr(b.encryption_algorithm), ct, aadOf(b)), decryptAnswer);
    }),
    op('create-datakey', 'use', createDataKey(true)),
    op('create-datakey-without-plaintext', 'use', createDataKey(false)),
    op('encrypt-datakey', 'use', async (caller, b) => {
      const len = strNum(b.datakey_plain_length);
      const res = await d.data.encryptDataKey(caller, String(b.key_id), String(b.plain_text), len, aadOf(b));
      return { key_id: res.key.keyId, cipher_text: res.cipherHex, datakey_length: String(len) };
    }),
    op('decrypt-datakey', 'use', async (caller, b) => {
      const len = strNum(b.datakey_cipher_length);
      const res = await d.data.decryptDataKey(caller, String(b.key_id), String(b.cipher_text), len, aadOf(b));
      return { data_key: res.dataKeyHex, datakey_length: String(len), datakey_dgst: res.digestHex };
    }),
    op('gen-random', 'use', (_caller, b) => ({ random_data: d.data.random(strNum(b.random_data_length) / 8) })),
    op('generate-mac', 'use', async (caller, b) => {
      const message = strictBase64('message', b.message, 4096);
      const res = await d.data.generateMac(caller, String(b.key_id), String(b.mac_algorithm), message);
      return { key_id: res.key.keyId, mac_algorithm: b.mac_algorithm, mac: res.mac.toString('base64') };
    }),
    op('verify-mac', 'use', async (caller, b) => {
      const message = strictBase64('message', b.message, 4096);
      const mac = strictBase64('mac', b.mac, 64);
      const res = await d.data.verifyMac(caller, String(b.key_id), String(b.mac_algorithm), message, mac);
      return { key_id: res.key.keyId, mac_algorithm: b.mac_algorithm, mac_valid: res.valid };
    }),
  ];
}
