/** KMS asymmetric and import routes (reference 1c, 1e): sign, verify, get-publickey and the BYOK trio. */
import { Hono } from 'hono';
import type { AsymmetricService } from '../services/asymmetric.js';
import { MAX_SIGN_MESSAGE } from '../services/asymmetric.js';
import type { KeyImportService } from '../services/key-import.js';
import type { WrappingAlgorithm } from '../hsm/import-unwrap.js';
import { kmsOps, strictBase64, type OpDeps } from './kms-op.js';
import type { AppEnv } from './env.js';

/** The op-route needs (ajv, schemas, op table) and this module's services. */
export interface KmsAsymDeps extends OpDeps {
  asym: AsymmetricService;
  imports: KeyImportService;
}


export function kmsAsymRoutes(d: KmsAsymDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const op = kmsOps(app, d);
  const str = (v: unknown) => (v === undefined ? undefined : String(v));

  op('sign', async (caller, b) => {
    const message = strictBase64('message', b.message, MAX_SIGN_MESSAGE);
    const res = await d.asym.sign(caller, String(b.key_id), String(b.signing_algorithm), message, str(b.message_type));
    return { key_id: res.key.keyId, signature: res.signature.toString('base64') };
  });
  op('verify', async (caller, b) => {
    const message = strictBase64('message', b.message, MAX_SIGN_MESSAGE);
    const signature = strictBase64('signature', b.signature, 1024);
    const res = await d.asym.verify(caller, String(b.key_id), String(b.signing_algorithm), message, signature, str(b.message_type));
    return { key_id: res.key.keyId, signature_valid: res.valid ? 'true' : 'false' };
  });
  op('get-publickey', async (caller, b) => {
    const res = await d.asym.publicKey(caller, String(b.key_id));
    return { key_id: res.key.keyId, public_key: res.pem };
  });
  op('get-parameters-for-import', async (caller, b) => {
    const p = await d.imports.parameters(caller, String(b.key_id), b.wrapping_algorithm as WrappingAlgorithm);
    return { key_id: p.keyId, import_token: p.importToken, expiration_time: p.expirationTime, public_key: p.publicKey, ...(p.warning ? { warning: p.warning } : {}) };
  });
  op('import-key-material', async (caller, b) => {
    await d.imports.importMaterial(caller, {
      keyId: String(b.key_id),
      importToken: String(b.import_token),
      encryptedKeyMaterial: strictBase64('encrypted_key_material', b.encrypted_key_material, 1024),
      encryptedPrivateKey: b.encrypted_privatekey === undefined ? undefined : strictBase64('encrypted_privatekey', b.encrypted_privatekey, 12288),
      expirationTime: b.expiration_time as number | undefined,
    });
    return undefined;
  });
  op('delete-imported-key-material', async (caller, b) => {
    await d.imports.deleteMaterial(caller, String(b.key_id));
    return undefined;
  });
  return app;
}
