/**
 * go-plugin's handshake: the checks on the environment Terraform launches the plugin with, and the
 * one line the plugin prints on stdout (server.go): CORE|APP|NET|ADDR|PROTO|CERT, the certificate
 * as base64 without padding (Go's RawStdEncoding), empty when TLS is off.
 */

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 6;

/** What the person who ran the plugin by hand reads (go-plugin exits 1 after its own version of it). */
export const NOT_BY_HAND = [
  'This is the dew provider plugin for Terraform: Terraform starts it, it is not meant to be run directly.',
  'Install it with `dew terraform install`, add to your configuration',
  '  terraform { required_providers { dew = { source = "dew.local/dew/dew" } } }',
  'and run `terraform init`.',
].join('\n') + '\n';

export type HandshakeCheck = { ok: true; tls: boolean; clientCertPem?: string } | { ok: false; message: string };

/** The launch environment as go-plugin's server checks it: cookie, protocol 6 offered, TLS or not. */
export function checkLaunchEnv(env: Readonly<Record<string, string | undefined>>): HandshakeCheck {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) return { ok: false, message: NOT_BY_HAND };
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  if (offered.length && !offered.includes(String(APP_PROTOCOL_VERSION))) {
    return { ok: false, message: `This dew provider speaks plugin protocol ${APP_PROTOCOL_VERSION} (tfplugin6, Terraform 1.0 and later); the client offered ${offered.join(', ')}.\n` };
  }
  const clientCertPem = env.PLUGIN_CLIENT_CERT;
  if (env.TF_DISABLE_PLUGIN_TLS || !clientCertPem) return { ok: true, tls: false };
  return { ok: true, tls: true, clientCertPem };
}

/** The handshake line, newline included. */
export function handshakeLine(opts: { network: 'unix' | 'tcp'; address: string; certDer?: Uint8Array }): string {
  const cert = opts.certDer ? Buffer.from(opts.certDer).toString('base64').replace(/=+$/, '') : '';
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|${opts.network}|${opts.address}|grpc|${cert}\n`;
}
