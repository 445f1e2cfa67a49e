/**
 * Which PKCS#11 mechanisms each dew key spec needs in a token, and the check create-key runs before
 * anything is made (`checkKeySpec`): every needed mechanism must be in C_GetMechanismList, and a key
 * pair generator's C_GetMechanismInfo key size range must cover the spec's size. The pure table is
 * `KEY_SPEC_MECHANISMS`; SM2, SM4 and HMAC-SM3 have no mechanism in PKCS#11 v2.40 or v3.0 (vendors
 * number them privately), so they are refused by name on every token.
 *
 * Mechanism numbers are pkcs11js's, plus the v3.0 EdDSA ones pkcs11js (a v2.40 binding) lacks
 * (PKCS#11 v3.0 §6.3: CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055, CKM_EDDSA 0x1057; CKK_EC_EDWARDS 0x40).
 */
import pkcs11js from 'pkcs11js';
import { keySpecInfo } from '../key-specs.js';
import { Pkcs11MechanismError } from './errors.js';

export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;
export const CKK_EC_EDWARDS = 0x40;

/** One needed mechanism: its name for messages, its number (null: none is standardised), the key size to cover. */
export interface NeededMechanism {
  readonly name: string;
  readonly code: number | null;
  /** For generators: the size C_GetMechanismInfo must allow (bits for RSA/EC, as the token reports it). */
  readonly keySize?: number;
}

const m = (name: string, code: number | null, keySize?: number): NeededMechanism => Object.freeze({ name, code, keySize });

const AES = [m('CKM_AES_KEY_GEN', pkcs11js.CKM_AES_KEY_GEN), m('CKM_AES_GCM', pkcs11js.CKM_AES_GCM)];
const hmac = (name: string, code: number) => [m('CKM_GENERIC_SECRET_KEY_GEN', pkcs11js.CKM_GENERIC_SECRET_KEY_GEN), m(name, code)];
const rsa = (bits: number) => [
  m('CKM_RSA_PKCS_KEY_PAIR_GEN', pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN, bits),
  m('CKM_RSA_PKCS', pkcs11js.CKM_RSA_PKCS),
  m('CKM_RSA_PKCS_PSS', pkcs11js.CKM_RSA_PKCS_PSS),
];
const ec = (bits: number) => [m('CKM_EC_KEY_PAIR_GEN', pkcs11js.CKM_EC_KEY_PAIR_GEN, bits), m('CKM_ECDSA', pkcs11js.CKM_ECDSA)];

/** Every key spec dew knows (key-specs.ts) → the mechanisms a token needs to create and use it. */
export const KEY_SPEC_MECHANISMS: Readonly<Record<string, readonly NeededMechanism[]>> = Object.freeze({
  AES_256: Object.freeze(AES),
  SM4: Object.freeze([m('CKM_SM4_KEY_GEN', null)]),
  HMAC_256: Object.freeze(hmac('CKM_SHA256_HMAC', pkcs11js.CKM_SHA256_HMAC)),
  HMAC_384: Object.freeze(hmac('CKM_SHA384_HMAC', pkcs11js.CKM_SHA384_HMAC)),
  HMAC_512: Object.freeze(hmac('CKM_SHA512_HMAC', pkcs11js.CKM_SHA512_HMAC)),
  HMAC_SM3: Object.freeze([m('CKM_SM3_HMAC', null)]),
  RSA_2048: Object.freeze(rsa(2048)),
  RSA_3072: Object.freeze(rsa(3072)),
  RSA_4096: Object.freeze(rsa(4096)),
  EC_P256: Object.freeze(ec(256)),
  EC_P384: Object.freeze(ec(384)),
  SECP256K1: Object.freeze(ec(256)),
  ED25519: Object.freeze([m('CKM_EC_EDWARDS_KEY_PAIR_GEN', CKM_EC_EDWARDS_KEY_PAIR_GEN, 256), m('CKM_EDDSA', CKM_EDDSA)]),
  SM2: Object.freeze([m('CKM_SM2_KEY_PAIR_GEN', null)]),
});

/** What a token offers, as `checkKeySpec` reads it (a Pkcs11Token, or a fake in tests). */
export interface MechanismSource {
  mechanisms(): ReadonlySet<number>;
  mechanismKeySizes(mechanism: number): { min: number; max: number };
}

/**
 * The first mechanism `keySpec` needs that the token lacks (or whose key size range excludes the
 * spec's size), or undefined when the token serves the spec. An unknown spec is a TypeError.
 */
export function missingMechanism(source: MechanismSource, keySpec: string): NeededMechanism | undefined {
  const needed = KEY_SPEC_MECHANISMS[keySpec];
  if (!needed || !keySpecInfo(keySpec)) throw new TypeError(`keySpec: ${keySpec} is not a dew key spec`);
  const have = source.mechanisms();
  for (const n of needed) {
    if (n.code === null || !have.has(n.code)) return n;
    if (n.keySize !== undefined) {
      const { min, max } = source.mechanismKeySizes(n.code);
      if (n.keySize < min || n.keySize > max) return n;
    }
  }
  return undefined;
}

/** Throws Pkcs11MechanismError naming the missing mechanism unless the token can create and use `keySpec` keys. */
export function checkKeySpec(source: MechanismSource, keySpec: string): void {
  const missing = missingMechanism(source, keySpec);
  if (!missing) return;
  if (missing.code !== null && missing.keySize !== undefined && source.mechanisms().has(missing.code)) {
    const { min, max } = source.mechanismKeySizes(missing.code);
    throw new Pkcs11MechanismError(missing.name, keySpec,
      `the HSM instance's token's ${missing.name} mechanism takes key sizes ${min}..${max}, not ${missing.keySize}: ${keySpec} keys cannot be created in it`);
  }
  throw new Pkcs11MechanismError(missing.name, keySpec);
}

/** The key specs (of those dew knows) the token can serve. */
export function supportedKeySpecs(source: MechanismSource): string[] {
  return Object.keys(KEY_SPEC_MECHANISMS).filter((spec) => missingMechanism(source, spec) === undefined);
}
