/** The master key: a dev key file (mode 0600) or a passphrase-sealed blob (scrypt + AES-256-GCM). */
import { randomBytes, scryptSync, createHmac, timingSafeEqual } from 'node:crypto';
import { seal, open, UnwrapError } from './aead.js';

/** scrypt cost (RFC 7914): N=2^15, r=8, p=1 costs ~100 ms and 32 MiB, once per start. */
const SCRYPT = Object.freeze({ N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
const SEAL_CONTEXT = 'dew/master-key/v1';

export interface SealedMasterKey {
  v: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  sealed: string;
}

export class WrongPassphraseError extends Error {
  constructor() {
    super('DEW_MASTER_PASSPHRASE does not unseal the master key of this database: wrong passphrase');
    this.name = 'WrongPassphraseError';
  }
}

export function generateMasterKey(): Buffer {
  return randomBytes(32);
}

function deriveKek(passphrase: string, salt: Buffer, p: { N: number; r: number; p: number }): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: SCRYPT.maxmem });
}

/** Seals the master key under a key derived from the passphrase. */
export function sealMasterKey(master: Buffer, passphrase: string): SealedMasterKey {
  if (master.length !== 32) throw new TypeError('master: 32 bytes expected');
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new TypeError('passphrase: must not be empty');
  const salt = randomBytes(16);
  const kek = deriveKek(passphrase, salt, SCRYPT);
  try {
    const sealed = seal(kek, master, SEAL_CONTEXT);
    return { v: 1, kdf: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64'), sealed: sealed.toString('base64') };
  } finally {
    kek.fill(0);
  }
}

/** Unseals the master key; throws WrongPassphraseError when the passphrase is wrong. */
export function unsealMasterKey(blob: SealedMasterKey, passphrase: string): Buffer {
  if (blob?.v !== 1 || blob.kdf !== 'scrypt') throw new TypeError('blob: unknown sealed master key format');
  const kek = deriveKek(passphrase, Buffer.from(blob.salt, 'base64'), blob);
  try {
    return open(kek, Buffer.from(blob.sealed, 'base64'), SEAL_CONTEXT);
  } catch (err) {
    if (err instanceof UnwrapError) throw new WrongPassphraseError();
    throw err;
  } finally {
    kek.fill(0);
  }
}

/** A key check value: proves which master key a database was made with, without revealing it. */
export function keyCheckValue(master: Buffer): string {
  return createHmac('sha256', master).update('dew/master-key-check/v1').digest('hex').slice(0, 32);
}

export function checkValueMatches(master: Buffer, expected: string): boolean {
  const a = Buffer.from(keyCheckValue(master));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
