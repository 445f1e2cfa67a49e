/**
 * The SSH key-format library of the key pair service: generation, parsing and export of the key
 * forms users bring and ask for. Entry module only; each concern lives in its own file here.
 *
 * Accepted public keys (parsePublicKey): one-line OpenSSH (ssh-rsa, ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521, ssh-dss), RFC 4716 as PuTTYgen's "Save public key" and
 * `ssh-keygen -e` write, SPKI PEM, PKCS#1 RSA PEM. Accepted private keys (parsePrivateKey):
 * OpenSSH (encrypted with a passphrase: bcrypt + AES-CTR/CBC), PKCS#8 (also encrypted),
 * PKCS#1, SEC1, OpenSSL DSA PEM (also legacy-encrypted), PuTTY .ppk v2 and v3 (MAC verified;
 * encrypted ones with a passphrase). Rejected with KeyFormatError: RSA under 2048 or over 16384
 * bits, DSA other than 1024, other key types, malformed base64 or key data, a blob whose type is
 * not the one named outside it, text before or after the key (beyond the one-line form's comment),
 * more than one key, the other half of a key pair, empty input, and a private half that does not
 * belong to its public half.
 *
 * The canonical private key form is an unencrypted OpenSSH private key ("-----BEGIN OPENSSH
 * PRIVATE KEY-----") with its comment; every export starts from it. Format "pkcs1" is PKCS#1 for
 * RSA, SEC1 ("BEGIN EC PRIVATE KEY") for ECDSA and OpenSSL's "BEGIN DSA PRIVATE KEY" for DSA, as
 * `ssh-keygen -m PEM` writes them; Ed25519 has no such form (KeyFormatError).
 *
 * Passphrase-protected inputs cost CPU on the calling thread by design of their KDFs (bcrypt,
 * Argon2, PBKDF2); bcrypt rounds and Argon2 cost are bounded (see BCRYPT_MAX_ROUNDS, ppk.ts).
 */
export { GENERATED_ALGORITHMS, type GeneratedAlgorithm } from './algorithms.js';
export { KeyFormatError, type KeyFormatErrorCode } from './key-format-error.js';
export { exportPublicKey, parsePublicKey, type PublicKeyInfo } from './public-key.js';
export { generateKeyPair } from './generate.js';
export { PRIVATE_KEY_FORMATS, exportPrivateKey, matchesPublicKey, parsePrivateKey, type PrivateKeyFormat } from './private-key.js';
export { rsaPkcs1v15Decrypt } from './rsa-pkcs1-decrypt.js';
