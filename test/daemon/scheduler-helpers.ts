/** Helpers for the rotation, scheduler and audit tests: a client on the test clock, BYOK in one call, raw SQL. */
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { createClient } from '@libsql/client';
import { DewClient } from '../../provider/client/dew-client.js';
import type { TestDaemon } from '../helpers/daemon.js';

export type Any = Record<string, any>;
export const DAY = 86_400_000;

/** A client of the daemon's admin that signs with the test's clock (the daemon checks the 15-minute skew against it). */
export function clockClient(d: TestDaemon, clock: () => number, creds = d.daemon.credentials): DewClient {
  return new DewClient({ endpoint: d.daemon.url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key, clock });
}

export function kmsOf(client: DewClient) {
  return (op: string, body: object = {}) => client.kms(op, body) as Promise<Any>;
}

/** Creates an external AES_256 key and imports fresh material expiring at `expiresAtMs`. */
export async function importedKey(kms: ReturnType<typeof kmsOf>, alias: string, expiresAtMs: number): Promise<string> {
  const keyId = (await kms('create-key', { key_alias: alias, origin: 'external' })).key_info.key_id as string;
  const p = await kms('get-parameters-for-import', { key_id: keyId, wrapping_algorithm: 'RSAES_OAEP_SHA_256' });
  const wrapped = publicEncrypt(
    { key: createPublicKey({ key: Buffer.from(p.public_key, 'base64'), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    randomBytes(32),
  );
  await kms('import-key-material', { key_id: keyId, import_token: p.import_token, encrypted_key_material: wrapped.toString('base64'), expiration_time: Math.floor(expiresAtMs / 1000) });
  return keyId;
}

/** Runs SQL straight against the database (to inspect, or to tamper with, what the daemon stored). */
export async function sqlOn<T = Any>(dbUrl: string, query: string, args: (string | number)[] = []): Promise<T[]> {
  // A busy timeout, as any tool opening a live daemon's database needs: the daemon may hold the write lock.
  const c = createClient(dbUrl.startsWith('file:') ? { url: dbUrl, timeout: 5000 } : { url: dbUrl });
  try {
    const rs = await c.execute({ sql: query, args });
    return rs.rows as unknown as T[];
  } finally {
    c.close();
  }
}


export { eventually } from '../helpers/daemon.js';
