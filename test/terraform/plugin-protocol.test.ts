/**
 * The plugin host as go-plugin's client meets it (test/terraform/go-plugin-client.ts does what
 * Terraform's client does): the handshake line, the certificate, true mutual TLS, the health,
 * broker, stdio and controller services, errors as diagnostics, hclog lines on stderr, SIGINT,
 * StopProvider, Shutdown, plaintext mode, and the refusal to run by hand.
 */
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../../provider/terraform/plugin/cert.js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../provider/terraform/plugin/handshake.js';
import { launchPlugin, unary } from './go-plugin-client.js';
import { tinyProviderJs } from './tiny-provider-js.js';

// The fixture as plain JavaScript on the compiled plugin host (dist/): a bare node launch, no tsx.
const command = [process.execPath, tinyProviderJs(t)];
const scratch = mkdtempSync(join(tmpdir(), 'dew-plugin-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

/** The grpc status code of a failed call (undefined when it succeeded). */
async function failure(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

t.test('the handshake line: first and alone on stdout, 1|6|unix|socket|grpc|base64 DER without padding', async (t) => {
  const p = await launchPlugin(t, command, { env: { DEW_TINY_PRINT: '1', TF_LOG_PROVIDER: 'DEBUG' } });
  t.match(p.line, /^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+\n$/, p.line);
  t.equal(p.handshake.fields, 6, 'six fields (no multiplexing field)');
  t.notMatch(p.handshake.cert, /=/, 'no base64 padding');
  t.ok(p.handshake.address.startsWith(p.socketDir + '/'), 'the socket is in PLUGIN_UNIX_SOCKET_DIR');
  t.ok(existsSync(p.handshake.address), 'and exists');
  const cert = new X509Certificate(Buffer.from(p.handshake.cert, 'base64'));
  t.equal(cert.subjectAltName, 'DNS:localhost');
  t.equal(cert.checkHost('localhost'), 'localhost');
  t.ok(cert.verify(cert.publicKey), 'self-signed');
  t.same(cert.keyUsage?.slice().sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'extended key usage: server and client auth');
  t.equal(cert.publicKey.asymmetricKeyType, 'ec', 'ECDSA');

  const provider = p.connect('tfplugin6.Provider');
  const schema = await unary(provider, 'GetProviderSchema');
  t.ok(schema.resource_schemas.dew_test_thing, 'a call over the mTLS channel works');
  t.equal(p.stdout(), p.line, 'nothing but the handshake on stdout (the fixture printed at start: diverted)');
  t.match(p.stderr(), /stray output from a provider module/, 'the stray output went to the log on stderr');
});

t.test('the certificate passes openssl: x509 -text and verify for server and client use', async (t) => {
  const p = await launchPlugin(t, command);
  const file = join(scratch, 'server.pem');
  writeFileSync(file, p.serverCertPem());
  const text = spawnSync('openssl', ['x509', '-noout', '-text', '-in', file], { encoding: 'utf8' });
  t.equal(text.status, 0, text.stderr);
  for (const s of ['DNS:localhost', 'TLS Web Server Authentication', 'TLS Web Client Authentication', 'ecdsa-with-SHA256', 'CA:TRUE', 'Version: 3']) t.match(text.stdout, s, `x509 -text shows ${s}`);
  for (const purpose of ['sslserver', 'sslclient']) {
    const v = spawnSync('openssl', ['verify', '-CAfile', file, '-purpose', purpose, file], { encoding: 'utf8' });
    t.equal(v.status, 0, `openssl verify -purpose ${purpose}: ${v.stdout}${v.stderr}`);
  }
});

t.test('mutual TLS: the client certificate of PLUGIN_CLIENT_CERT is required, no other is accepted', async (t) => {
  const p = await launchPlugin(t, command);
  const health = p.connect('grpc.health.v1.Health');
  t.same(await unary(health, 'Check', { service: 'plugin' }), { status: 'SERVING' }, 'with the client cert: health "plugin" SERVING');
  t.equal(await failure(unary(health, 'Check', { service: 'other' })), grpc.status.NOT_FOUND, 'an unknown service: NOT_FOUND');

  const root = Buffer.from(p.serverCertPem());
  const noCert = p.connect('grpc.health.v1.Health', { credentials: grpc.credentials.createSsl(root) });
  t.equal(await failure(unary(noCert, 'Check', { service: 'plugin' })), grpc.status.UNAVAILABLE, 'without a client cert: refused');
  const stranger = selfSignedCert();
  const other = p.connect('grpc.health.v1.Health', { credentials: grpc.credentials.createSsl(root, Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem)) });
  t.equal(await failure(unary(other, 'Check', { service: 'plugin' })), grpc.status.UNAVAILABLE, 'with another self-signed cert: refused');
  const plain = p.connect('grpc.health.v1.Health', { credentials: grpc.credentials.createInsecure() });
  t.equal(await failure(unary(plain, 'Check', { service: 'plugin' })), grpc.status.UNAVAILABLE, 'plaintext: refused');

  const alert = await new Promise<string>((resolve) => {
    const s = tlsConnect({ path: p.handshake.address, ca: root, servername: 'localhost' });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(String(err.code)));
    s.on('secureConnect', () => s.write('x'));
    s.on('close', () => resolve('closed without an error'));
  });
  t.match(alert, /CERTIFICATE_REQUIRED/, 'raw TLS without a cert: the server demands one');
});

t.test('provider RPCs: missing handler UNIMPLEMENTED, a throwing handler answers one ERROR diagnostic, logs as hclog JSON', async (t) => {
  const p = await launchPlugin(t, command, { env: { TF_LOG_PROVIDER: 'debug' } });
  const provider = p.connect('tfplugin6.Provider');
  t.equal(await failure(unary(provider, 'GetMetadata')), grpc.status.UNIMPLEMENTED, 'GetMetadata (no handler): UNIMPLEMENTED');
  const planned = await unary(provider, 'PlanResourceChange', { type_name: 'dew_test_broken' });
  t.equal(planned.diagnostics.length, 1);
  t.match(planned.diagnostics[0], { severity: 'ERROR', summary: 'the broken resource cannot be planned', detail: '' });
  t.notMatch(JSON.stringify(planned.diagnostics), /\bat /, 'no stack in the answer');
  t.same(await unary(provider, 'StopProvider'), { Error: '' }, 'StopProvider (host default): no error');

  const lines = p.stderr().trim().split('\n');
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const e of entries) {
    t.ok(['trace', 'debug', 'info', 'warn', 'error'].includes(String(e['@level'])), `@level ${e['@level']}`);
    t.match(e['@timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'hclog @timestamp layout');
    t.equal(e['@module'], 'dew-test');
    t.type(e['@message'], 'string');
  }
  const failed = entries.find((e) => e['@message'] === 'rpc failed');
  t.match(failed, { '@level': 'debug', method: 'PlanResourceChange', error: 'the broken resource cannot be planned' }, 'the failure at debug, with its method');
  t.match(failed?.stack, /\n\s+at /, 'and its stack');
  t.type(failed?.duration_ms, 'number', 'and its duration');
});

t.test('without TF_LOG_PROVIDER or TF_LOG nothing is logged', async (t) => {
  const p = await launchPlugin(t, command);
  await unary(p.connect('tfplugin6.Provider'), 'PlanResourceChange', { type_name: 'dew_test_broken' });
  t.equal(p.stderr(), '');
});

t.test('SIGINT is ignored; stdio stream ends; broker stream stays open; Shutdown exits 0 and removes the socket', async (t) => {
  const p = await launchPlugin(t, command);
  const broker = p.connect('plugin.GRPCBroker');
  const stream = broker.StartStream();
  const brokerEnded = new Promise<string>((resolve) => {
    stream.on('end', () => resolve('end'));
    stream.on('error', (e: { code?: number }) => resolve(`error ${e.code}`));
    stream.on('data', () => {});
  });
  stream.write({ service_id: 1, network: 'unix', address: '/nowhere' });
  const stdio = p.connect('plugin.GRPCStdio').StreamStdio({});
  const stdioEnd = await new Promise<string>((resolve) => {
    stdio.on('data', () => {});
    stdio.on('end', () => resolve('end'));
    stdio.on('error', (e: { code?: number }) => resolve(`error ${e.code}`));
  });
  t.equal(stdioEnd, 'end', 'StreamStdio: a stream that ends');

  p.child.kill('SIGINT');
  const health = p.connect('grpc.health.v1.Health');
  t.same(await unary(health, 'Check', { service: 'plugin' }), { status: 'SERVING' }, 'still serving after SIGINT');
  t.equal(p.child.exitCode, null);

  t.same(await unary(p.connect('plugin.GRPCController'), 'Shutdown'), {}, 'Shutdown answers');
  t.same(await p.exited, { code: 0, signal: null }, 'then the process exits 0 by itself');
  t.equal(await brokerEnded, 'end', 'the broker stream was ended by the server');
  t.notOk(existsSync(p.handshake.address), 'the socket file is gone');
});

t.test('TCP (the Windows path): 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, same mTLS', async (t) => {
  const free = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
  const p = await launchPlugin(t, command, { env: { DEW_TINY_NETWORK: 'tcp', PLUGIN_MIN_PORT: String(free), PLUGIN_MAX_PORT: String(free) } });
  t.match(p.line, new RegExp(`^1\\|6\\|tcp\\|127\\.0\\.0\\.1:${free}\\|grpc\\|[A-Za-z0-9+/]+\\n$`), p.line);
  t.same(await unary(p.connect('grpc.health.v1.Health'), 'Check', { service: 'plugin' }), { status: 'SERVING' });
  const root = Buffer.from(p.serverCertPem());
  t.equal(await failure(unary(p.connect('grpc.health.v1.Health', { credentials: grpc.credentials.createSsl(root) }), 'Check', { service: 'plugin' })), grpc.status.UNAVAILABLE, 'no client cert: refused');
});

t.test('TF_DISABLE_PLUGIN_TLS: plaintext, empty certificate field', async (t) => {
  const p = await launchPlugin(t, command, { tls: false });
  t.match(p.line, /^1\|6\|unix\|[^|]+\|grpc\|\n$/);
  t.same(await unary(p.connect('grpc.health.v1.Health'), 'Check', { service: 'plugin' }), { status: 'SERVING' });
});

t.test('run by hand (no magic cookie) or offered no protocol 6: a message on stderr, exit 1, nothing on stdout', async (t) => {
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(command[0]!, command.slice(1), { env: { PATH: '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (code) => resolve({ code, out, err }));
    });
  const byHand = await run({});
  t.equal(byHand.code, 1);
  t.equal(byHand.out, '');
  t.match(byHand.err, /not meant to be run directly/);
  t.match(byHand.err, /dew terraform install/);
  const v5 = await run({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5' });
  t.equal(v5.code, 1);
  t.equal(v5.out, '');
  t.match(v5.err, /protocol 6.*offered 5/);
});
