/**
 * Tells whether two texts are the same SSH public key, whatever form each is in: the one-line OpenSSH
 * form the daemon stores (RFC 4253 §6.6 blob in Base64, RFC 4716 §3.4 for the comment), the RFC 4716
 * `---- BEGIN SSH2 PUBLIC KEY ----` file PuTTYgen writes, or a PEM SubjectPublicKeyInfo (via sshpk).
 * Used so a key configured in another form than the daemon answers is not a change.
 */
import { createRequire } from 'node:module';
import type SshPk from 'sshpk';

// loaded on first use: most runs (a Terraform provider launch, a plan without PEM keys) never parse one
let sshpkModule: typeof SshPk | undefined;
const sshpk = (): typeof SshPk => (sshpkModule ??= createRequire(import.meta.url)('sshpk') as typeof SshPk);

/** RFC 4716 §3.3: header lines are `Tag: value`, continued with a trailing backslash. */
function rfc4716Blob(text: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const begin = lines.indexOf('---- BEGIN SSH2 PUBLIC KEY ----');
  const end = lines.indexOf('---- END SSH2 PUBLIC KEY ----');
  if (begin < 0 || end <= begin) return undefined;
  const body: string[] = [];
  let continued = false;
  for (const line of lines.slice(begin + 1, end)) {
    const header: boolean = continued || /^[^:\s]{1,64}:/.test(line);
    continued = header && line.endsWith('\\');
    if (!header && line) body.push(line);
  }
  return body.join('');
}

/** The key's RFC 4253 blob in Base64, or undefined when the text is none of the accepted forms. */
export function publicKeyBlob(text: string): string | undefined {
  const t = text.trim();
  if (t.startsWith('---- BEGIN SSH2 PUBLIC KEY ----')) return rfc4716Blob(t);
  if (t.startsWith('-----BEGIN')) {
    try {
      return sshpk().parseKey(t, 'pem').toBuffer('rfc4253').toString('base64');
    } catch {
      return undefined;
    }
  }
  const [type, blob] = t.split(/\s+/);
  return type && blob && /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? blob : undefined;
}

/** True when both texts are readable public keys with the same blob (comments and forms aside). */
export function samePublicKey(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = publicKeyBlob(a);
  return x !== undefined && x === publicKeyBlob(b);
}
