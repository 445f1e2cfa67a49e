/** AES-256-GCM sealing of key material under a wrapping key (NIST SP 800-38D), with bound context. */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';

const NONCE = 12;
const TAG = 16;

export class UnwrapError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'UnwrapError';
  }
}

function assertKey(key: Buffer | KeyObject): void {
  const size = Buffer.isBuffer(key) ? key.length : key.symmetricKeySize;
  if (size !== 32) throw new TypeError('key: a 32-byte AES-256 key expected');
}

/** Seals `plaintext` under `key` (32 bytes); `context` is bound as associated data. Output: nonce ‖ ciphertext ‖ tag. */
export function seal(key: Buffer | KeyObject, plaintext: Uint8Array, context: string): Buffer {
  assertKey(key);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = cipher.update(plaintext);
  cipher.final();
  const out = Buffer.allocUnsafe(NONCE + body.length + TAG);
  nonce.copy(out, 0);
  body.copy(out, NONCE);
  cipher.getAuthTag().copy(out, NONCE + body.length);
  return out;
}

/** Opens a blob made by `seal`; throws UnwrapError when the key, context or bytes do not match. */
export function open(key: Buffer | KeyObject, sealed: Uint8Array, context: string): Buffer {
  if (!(sealed instanceof Uint8Array) || sealed.length < NONCE + TAG) throw new UnwrapError('sealed: too short');
  assertKey(key);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(buf.subarray(buf.length - TAG));
    const out = decipher.update(buf.subarray(NONCE, buf.length - TAG));
    decipher.final();
    return out;
  } catch (err) {
    throw new UnwrapError('authentication failed', err);
  }
}
