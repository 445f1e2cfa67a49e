/**
 * What `dew kps convert` uses of the key pair service's key-format library (daemon/kps/key-formats.ts).
 * provider/ never imports daemon/: bin/dew.ts hands the module over as DaemonEntry.keyFormats(), and
 * tsc checks it against this shape there.
 */

/** The library's description of a public key. */
export interface KeyDescription {
  openssh: string;
  algorithm: string;
  bits: number;
  fingerprint: string;
  fingerprintMd5: string;
}

export type PrivateFormatName = 'openssh' | 'pkcs8' | 'pkcs1' | 'ppk' | 'ppk2';
export type PublicFormatName = 'openssh' | 'rfc4716' | 'pem';

export interface KeyFormatLibrary {
  /** The user-error class; `code` says which mistake ('public_given', 'passphrase_needed', …). */
  KeyFormatError: new (message: string) => Error & { readonly code: string };
  parsePublicKey(text: string): KeyDescription;
  parsePrivateKey(text: string, passphrase?: string): { public: KeyDescription; privateKey: string };
  exportPrivateKey(canonical: string, format: PrivateFormatName, comment?: string): string;
  exportPublicKey(info: KeyDescription, format: PublicFormatName): string;
}
