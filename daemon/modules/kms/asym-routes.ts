/** KMS asymmetric and import routes (reference 1c, 1e): sign, verify, get-publickey and the BYOK trio. */
import { MAX_SIGN_MESSAGE, type AsymmetricService } from '../../services/asymmetric.js';
import type { KeyImportService } from '../../services/key-import.js';
import type { WrappingAlgorithm } from '../../hsm/import-unwrap.js';
import type { RouteSpec } from '../contract.js';
import { strictBase64 } from '../wire.js';
import { op, optStr } from './op.js';

export interface AsymRouteDeps {
  asym: AsymmetricService;
  imports: KeyImportService;
}

export function asymRoutes(d: AsymRouteDeps): RouteSpec[] {
  return [
    op('sign', 'use', async (caller, b) => {
      const message = strictBase64('message', b.message, MAX_SIGN_MESSAGE);
      const res = await d.asym.sign(caller, String(b.key_id), String(b.signing_algorithm), message, optStr(b.message_type));
      return { key_id: res.key.keyId, signature: res.signature.toString('base64') };
    }),
    op('verify', 'use', async (caller, b) => {
      const message = strictBase64('message', b.message, MAX_SIGN_MESSAGE);
      const signature = strictBase64('signature', b.signature, 1024);
      const res = await d.asym.verify(caller, String(b.key_id), String(b.signing_algorithm), message, signature, optStr(b.message_type));
      return { key_id: res.key.keyId, signature_valid: res.valid ? 'true' : 'false' };
    }),
    op('get-publickey', 'read', async (caller, b) => {
      const res = await d.asym.publicKey(caller, String(b.key_id));
      return { key_id: res.key.keyId, public_key: res.pem };
    }),
    op('get-parameters-for-import', 'manage', async (caller, b) => {
      const p = await d.imports.parameters(caller, String(b.key_id), b.wrapping_algorithm as WrappingAlgorithm);
      return { key_id: p.keyId, import_token: p.importToken, expiration_time: p.expirationTime, public_key: p.publicKey, ...(p.warning ? { warning: p.warning } : {}) };
    }),
    op('import-key-material', 'manage', async (caller, b) => {
      await d.imports.importMaterial(caller, {
        keyId: String(b.key_id),
        importToken: String(b.import_token),
        encryptedKeyMaterial: strictBase64('encrypted_key_material', b.encrypted_key_material, 1024),
        encryptedPrivateKey: b.encrypted_privatekey === undefined ? undefined : strictBase64('encrypted_privatekey', b.encrypted_privatekey, 12288),
        expirationTime: b.expiration_time as number | undefined,
      });
      return undefined;
    }),
    op('delete-imported-key-material', 'manage', async (caller, b) => {
      await d.imports.deleteMaterial(caller, String(b.key_id));
      return undefined;
    }),
  ];
}
