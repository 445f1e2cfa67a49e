/**
 * The errors of the seal API (daemon/seal/): dew's own codes in the KMS error shape
 * `{"error":{"error_code":"DEW.xxxx","error_msg":"…"}}`. No message ever quotes a share, a
 * passphrase or a PIN.
 */
import { DewError } from '../errors.js';

export const sealErrors = Object.freeze({
  /** Every API call but health, seal status, init and unseal, while the daemon holds no master key. */
  sealed: (why: string) => new DewError('DEW.0503', 503, `the daemon is sealed: ${why}`),
  invalid: (what: string) => new DewError('DEW.1001', 400, `Invalid ${what}.`),
  malformedShare: (why: string) => new DewError('DEW.1002', 400, `Invalid share: ${why}; nothing was counted.`),
  repeatedShare: (index: number, given: number, needed: number) =>
    new DewError('DEW.1003', 400, `Share ${index} was already given (${given} of ${needed} shares given); give a different share.`),
  otherSplit: () => new DewError('DEW.1004', 400, 'Invalid share: it belongs to another split of a master key (another installation, or shares replaced by a rekey); nothing was counted.'),
  wrongCombination: (needed: number) =>
    new DewError('DEW.1005', 400, `The ${needed} shares given do not rebuild this database's master key (a share of another split, or a damaged one): nothing was unsealed and the progress is reset; start again with \`dew operator unseal\`.`),
  alreadyInitialised: () => new DewError('DEW.1006', 400, 'The master key is already initialised: `dew operator init` runs once, on a database without a master key.'),
  notThisMode: (why: string) => new DewError('DEW.1007', 400, why),
  notSealed: () => new DewError('DEW.1008', 400, 'The daemon is not sealed: there is nothing to unseal.'),
  noRekey: () => new DewError('DEW.1009', 404, 'No rekey is pending (it may have expired: start again with `dew operator rekey`).'),
  rekeyConflict: (why: string) => new DewError('DEW.1010', 409, why),
  rekeyFailed: (why: string) => new DewError('DEW.1011', 400, why),
  operatorOnly: () => new DewError('KMS.0307', 403, 'The user role has no permission to access the API: only administrators of the operator account seal or rekey the daemon.'),
  tooMany: (seconds: number) => new DewError('DEW.0429', 429, `Too many seal API calls from this address: try again in ${seconds} s.`),
});
