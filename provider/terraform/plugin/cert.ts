/**
 * The plugin's one-time TLS identity, as go-plugin makes it (mtls.go): a self-signed ECDSA
 * certificate for CN/SAN `localhost`, extended key usage server and client auth, CA flag set, so
 * the client can use it as its only root. Node 20 parses X.509 but cannot create it, so the
 * TBSCertificate is DER built here and signed with node:crypto (ECDSA P-256, SHA-256).
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { bitString, boolean, explicit, octetString, oid, sequence, set, time, tlv, unsignedInteger, utf8String } from './der.js';

export interface SelfSignedCert {
  /** The certificate, DER. */
  der: Buffer;
  certPem: string;
  /** The private key, PKCS#8 PEM. */
  keyPem: string;
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function name(commonName: string, organization: string): Buffer {
  return sequence(set(sequence(oid('2.5.4.10'), utf8String(organization))), set(sequence(oid('2.5.4.3'), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** DER wrapped as PEM (RFC 7468), 64 columns. */
export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** A new key pair and its certificate, valid from an hour ago for `days` days (default 30). */
export function selfSignedCert(opts: { commonName?: string; organization?: string; days?: number; now?: Date } = {}): SelfSignedCert {
  const host = opts.commonName ?? 'localhost';
  const now = opts.now ?? new Date();
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const subject = name(host, opts.organization ?? 'dew terraform provider');
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  // keyUsage: digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5): 1010 0100, 2 unused bits.
  const keyUsage = bitString(Buffer.from([0xa4]), 2);
  const extensions = sequence(
    extension('2.5.29.15', true, keyUsage),
    extension('2.5.29.37', false, sequence(oid(SERVER_AUTH), oid(CLIENT_AUTH))),
    extension('2.5.29.19', true, sequence(boolean(true))),
    extension('2.5.29.17', false, sequence(tlv(0x82, Buffer.from(host, 'ascii')))),
  );
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    subject,
    sequence(time(new Date(now.getTime() - 3_600_000)), time(new Date(now.getTime() + (opts.days ?? 30) * 86_400_000))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  createPrivateKey(keyPem); // the key must round-trip as PKCS#8 for the TLS stack
  return { der, certPem: pem('CERTIFICATE', der), keyPem };
}
