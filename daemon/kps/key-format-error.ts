/** The one error of the key-format library: a user's key was malformed, weak or of the wrong kind. */

/** What went wrong, for callers that answer differently (a public key where a private one belongs, a passphrase to ask for). */
export type KeyFormatErrorCode =
  | 'empty'
  | 'malformed'
  | 'unsupported'
  | 'weak'
  | 'private_given'
  | 'public_given'
  | 'multiple'
  | 'trailing'
  | 'bad_mac'
  | 'passphrase_needed'
  | 'wrong_passphrase'
  | 'inconsistent'
  | 'no_such_form'
  | 'decrypt';

/** A user error; `message` is one line fit for a 400 answer and never contains key material or the input's text. */
export class KeyFormatError extends Error {
  readonly code: KeyFormatErrorCode;
  constructor(message: string, code: KeyFormatErrorCode = 'malformed') {
    super(message);
    this.name = 'KeyFormatError';
    this.code = code;
  }
}
