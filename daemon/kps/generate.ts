/** Key pair generation for the seven algorithms the service creates, in libuv's thread pool so RSA never blocks the event loop. */
import { generateKeyPair as nodeGenerateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { GENERATED_ALGORITHMS, GENERATION, type GeneratedAlgorithm } from './algorithms.js';
import { KeyFormatError } from './key-format-error.js';
import { keyPairResult, loadGenerated } from './private-key.js';
import type { PublicKeyInfo } from './public-key.js';

const generate = promisify(nodeGenerateKeyPair);

async function generateNode(alg: GeneratedAlgorithm): Promise<KeyObject> {
  const g = GENERATION[alg];
  switch (g.type) {
    case 'rsa':
      return (await generate('rsa', { modulusLength: g.bits, publicExponent: 0x10001 })).privateKey;
    case 'ec':
      return (await generate('ec', { namedCurve: g.curve })).privateKey;
    case 'ed25519':
      return (await generate('ed25519', {})).privateKey;
  }
}

/** A new key pair of `alg`: its public key (with `comment`) and the canonical private key to store. */
export async function generateKeyPair(alg: GeneratedAlgorithm, comment?: string): Promise<{ public: PublicKeyInfo; privateKey: string }> {
  if (!GENERATED_ALGORITHMS.includes(alg)) throw new KeyFormatError(`unknown key pair algorithm (one of ${GENERATED_ALGORITHMS.join(', ')})`, 'unsupported');
  return keyPairResult(loadGenerated(await generateNode(alg), comment));
}
