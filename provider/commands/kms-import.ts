/**
 * `dew kms import-material --key KEY --file material.bin|key.pem`: the whole BYOK dance client-side —
 * fetch import parameters, wrap locally, import — so nobody has to patch OpenSSL or GmSSL.
 * Symmetric material is encrypted with the wrapping key directly; a private key (PKCS#8 DER) is
 * wrapped with a fresh temporary key by RFC 5649 (AES-256, OpenSSL's id-aes256-wrap-pad; over SM4
 * for SM2_ENCRYPT) and the temporary key is encrypted with the wrapping key.
 */
import { constants, createCipheriv, createPrivateKey, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { DewClient } from '../client/dew-client.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';

export type WrappingAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' | 'SM2_ENCRYPT';
const WRAPPING: readonly string[] = Object.freeze(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'SM2_ENCRYPT']);
const SYMMETRIC_BYTES: Readonly<Record<string, number>> = Object.freeze({ AES_256: 32, SM4: 16 });

/** Wrapped material as import-key-material takes it (Base64). */
export interface WrappedMaterial {
  encryptedKeyMaterial: string;
  encryptedPrivateKey?: string;
}

interface SmCryptoSm2 {
  doEncrypt(msg: number[], publicKeyHex: string, cipherMode: 0 | 1): string;
}
let smCrypto: { sm2: SmCryptoSm2 } | undefined;

/** SM2 encryption C1C3C2 (GB/T 32918.4) with sm-crypto, whose output omits C1's 04 prefix. */
function sm2Encrypt(spkiDer: Buffer, plaintext: Buffer): Buffer {
  smCrypto ??= createRequire(import.meta.url)('sm-crypto') as { sm2: SmCryptoSm2 };
  // An SM2 SubjectPublicKeyInfo ends with the uncompressed point 04||x||y (65 bytes).
  const point = spkiDer.subarray(spkiDer.length - 65);
  if (point[0] !== 0x04) throw new CliError('import.wrapping_key', 'the SM2 wrapping public key is not an uncompressed point');
  return Buffer.from('04' + smCrypto.sm2.doEncrypt(Array.from(plaintext), point.toString('hex'), 1), 'hex');
}

// RFC 3394 §2.2.1 W over any 128-bit block cipher, as RFC 5649 §4.1 uses it for more than 8 bytes.
function sm4KeyWrapPad(kek: Buffer, key: Buffer): Buffer {
  const ecb = createCipheriv('sm4-ecb', kek, null).setAutoPadding(false);
  const aiv = Buffer.alloc(8);
  Buffer.from('a65959a6', 'hex').copy(aiv);
  aiv.writeUInt32BE(key.length, 4);
  const p = Buffer.alloc(Math.ceil(key.length / 8) * 8);
  key.copy(p);
  if (p.length === 8) return ecb.update(Buffer.concat([aiv, p]));
  const n = p.length / 8;
  const a = aiv;
  for (let j = 0; j <= 5; j++) {
    for (let i = 1; i <= n; i++) {
      const b = ecb.update(Buffer.concat([a, p.subarray(8 * (i - 1), 8 * i)]));
      b.copy(a, 0, 0, 8);
      a.writeBigUInt64BE(a.readBigUInt64BE(0) ^ BigInt(n * j + i), 0);
      b.copy(p, 8 * (i - 1), 8, 16);
    }
  }
  const out = Buffer.concat([a, p]);
  p.fill(0);
  return out;
}

/** RFC 5649 with AES-256: node's id-aes256-wrap-pad, whose IV must be exactly A65959A6. */
function aesKeyWrapPad(kek: Buffer, key: Buffer): Buffer {
  const c = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([c.update(key), c.final()]);
}

function encryptWithWrappingKey(algorithm: WrappingAlgorithm, spkiDer: Buffer, plaintext: Buffer): Buffer {
  if (algorithm === 'SM2_ENCRYPT') return sm2Encrypt(spkiDer, plaintext);
  const key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256' }, plaintext);
}

/**
 * Wraps `material` for import: raw symmetric bytes, or a PKCS#8 DER private key (with a temporary
 * AES-256 key, or SM4 for SM2_ENCRYPT). `publicKey` is get-parameters-for-import's Base64 SPKI.
 */
export function wrapMaterial(material: Buffer, asymmetric: boolean, publicKey: string, algorithm: WrappingAlgorithm): WrappedMaterial {
  const spki = Buffer.from(publicKey, 'base64');
  if (!asymmetric) return { encryptedKeyMaterial: encryptWithWrappingKey(algorithm, spki, material).toString('base64') };
  const temp = randomBytes(algorithm === 'SM2_ENCRYPT' ? 16 : 32);
  try {
    const wrapped = temp.length === 16 ? sm4KeyWrapPad(temp, material) : aesKeyWrapPad(temp, material);
    return { encryptedKeyMaterial: encryptWithWrappingKey(algorithm, spki, temp).toString('base64'), encryptedPrivateKey: wrapped.toString('base64') };
  } finally {
    temp.fill(0);
  }
}

/**
 * Reads key material from a file: raw bytes for AES_256/SM4; for an asymmetric key a PKCS#8 PEM or DER
 * private key, or a traditional PEM (RFC 5915 EC, PKCS#1 RSA) converted to PKCS#8 with node:crypto.
 */
export function readMaterial(bytes: Buffer, keySpec: string): Buffer {
  const want = SYMMETRIC_BYTES[keySpec];
  const text = bytes.subarray(0, 64).toString('latin1');
  const isPem = text.includes('-----BEGIN ');
  if (want !== undefined) {
    if (isPem || bytes.length !== want) throw new CliError('import.material', `${keySpec} material must be a file of exactly ${want} raw bytes (got ${bytes.length}${isPem ? ', a PEM file' : ''})`);
    return Buffer.from(bytes);
  }
  if (!isPem) return Buffer.from(bytes);
  const pem = bytes.toString('utf8');
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label === 'PRIVATE KEY') return Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
  if (label.includes('PUBLIC KEY')) throw new CliError('import.material', 'the file holds a public key; import needs the private key (PKCS#8)');
  if (label === 'ENCRYPTED PRIVATE KEY') throw new CliError('import.material', 'the private key is encrypted; decrypt it first (openssl pkcs8 -topk8 -nocrypt)');
  try {
    return createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  } catch (cause) {
    throw new CliError('import.material', `cannot read the ${label || 'PEM'} private key: ${(cause as Error).message}`, { cause });
  }
}

interface Args {
  key: string;
  file: string;
  wrappingAlgorithm?: WrappingAlgorithm;
  expirationTime?: number;
}

const USAGE = `usage: dew kms import-material --key KEY --file material.bin|key.pem [--wrapping-algorithm RSAES_OAEP_SHA_256|SM2_ENCRYPT] [--expiration-time EPOCH_SECONDS] [--credentials FILE]`;

function parseArgs(argv: readonly string[]): Args {
  const out: Partial<Args> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new CliError('usage', `${flag} needs a value`, { hint: USAGE });
    switch (flag) {
      case '--key': case '--key-id': out.key = value; break;
      case '--file': out.file = value; break;
      case '--wrapping-algorithm':
        if (!WRAPPING.includes(value)) throw new CliError('usage', `--wrapping-algorithm: one of ${WRAPPING.join(', ')}`);
        out.wrappingAlgorithm = value as WrappingAlgorithm;
        break;
      case '--expiration-time':
        if (!/^\d+$/.test(value)) throw new CliError('usage', '--expiration-time: epoch seconds');
        out.expirationTime = Number(value);
        break;
      default: throw new CliError('usage', `unknown flag ${flag}`, { hint: USAGE });
    }
  }
  if (!out.key || !out.file) throw new CliError('usage', 'import-material needs --key and --file', { hint: USAGE });
  return out as Args;
}

type Json = Record<string, unknown>;

/** Runs the import for one key; returns the key's state afterwards. */
export async function importMaterial(client: DewClient, args: Args, material: Buffer): Promise<Json> {
  const info = ((await client.kms('describe-key', { key_id: args.key })) as { key_info: Json }).key_info;
  const keySpec = String(info.key_spec);
  if (info.origin !== 'external') throw new CliError('import.not_external', `key ${args.key} was not created with origin external`);
  const plain = readMaterial(material, keySpec);
  try {
    const algorithm = args.wrappingAlgorithm ?? 'RSAES_OAEP_SHA_256';
    const params = (await client.kms('get-parameters-for-import', { key_id: info.key_id, wrapping_algorithm: algorithm })) as Json;
    const wrapped = wrapMaterial(plain, SYMMETRIC_BYTES[keySpec] === undefined, String(params.public_key), algorithm);
    const body: Json = { key_id: info.key_id, import_token: params.import_token, encrypted_key_material: wrapped.encryptedKeyMaterial };
    if (wrapped.encryptedPrivateKey) body.encrypted_privatekey = wrapped.encryptedPrivateKey;
    if (args.expirationTime !== undefined) body.expiration_time = args.expirationTime;
    await client.kms('import-key-material', body);
  } finally {
    plain.fill(0);
  }
  const after = ((await client.kms('describe-key', { key_id: info.key_id })) as { key_info: Json }).key_info;
  return { key_id: after.key_id, key_spec: after.key_spec, key_state: after.key_state, expiration_time: after.expiration_time };
}

export const importMaterialCommand: Command = async (ctx: CommandContext) => {
  const { rest, credentialsFile } = takeCredentialsFlag(ctx.argv);
  const args = parseArgs(rest);
  let material: Buffer;
  try {
    material = readFileSync(resolve(ctx.cwd, args.file));
  } catch (cause) {
    throw new CliError('import.file', `cannot read ${args.file}: ${(cause as Error).message}`, { cause });
  }
  const { client } = connect(ctx, credentialsFile);
  try {
    return await printingApiErrors(ctx, async () => {
      ctx.stdout.write(JSON.stringify(await importMaterial(client, args, material), null, 2) + '\n');
      return 0;
    });
  } finally {
    material.fill(0);
  }
};
