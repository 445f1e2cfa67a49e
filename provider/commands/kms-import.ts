/**
 * `dew kms import-material --key KEY --file material.bin|key.pem`: the whole BYOK dance client-side —
 * fetch import parameters, wrap locally (provider/crypto/wrap-material.ts), import — so nobody has
 * to patch OpenSSL or GmSSL.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DewClient } from '../client/dew-client.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { readMaterial, wrapMaterial, SYMMETRIC_BYTES, WRAPPING, type WrappingAlgorithm } from '../crypto/wrap-material.js';

interface Args {
  key: string;
  file: string;
  wrappingAlgorithm?: WrappingAlgorithm;
  expirationTime?: number;
}

const USAGE = `usage: dew kms import-material --key KEY --file material.bin|key.pem [--wrapping-algorithm RSAES_OAEP_SHA_256|SM2_ENCRYPT] [--expiration-time EPOCH_SECONDS] [--credentials FILE]`;

/** `dew kms import-material --help`. */
export const IMPORT_MATERIAL_HELP = [
  'imports key material into a key of origin external: fetches the import parameters, wraps the material here, imports it',
  '',
  USAGE,
  '',
  'fields:',
  `  ${'--key KEY'.padEnd(32)}required, the key id or alias (state 5, pending import)`,
  `  ${'--file FILE'.padEnd(32)}required, raw symmetric material (32 bytes AES_256, 16 SM4, HMAC sizes) or a PEM private key (PKCS#8, RFC 5915 EC, PKCS#1)`,
  `  ${'--wrapping-algorithm ALG'.padEnd(32)}RSAES_OAEP_SHA_256 (default) or SM2_ENCRYPT`,
  `  ${'--expiration-time EPOCH_SECONDS'.padEnd(32)}the material expires then (default: never)`,
  `  ${'--credentials FILE'.padEnd(32)}daemon credentials file`,
].join('\n') + '\n';

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
