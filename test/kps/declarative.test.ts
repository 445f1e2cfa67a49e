/**
 * dew_kps_keypair and `dew kps` against a real daemon: apply generates a key pair and writes key_file
 * 0600 (ssh-keygen -y agrees with the daemon's public key), the private key is in no output and in
 * none of the daemon's files, drift (re-described, deleted by hand) is applied back, import by name,
 * a managed imported private key compared by digest and cleared with "", the scope upgrade in place,
 * export --out 0600, API errors as kms prints them; dew_kps_host imported by name and drift; destroy.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { world, type World } from '../e2e/harness.js';

/** `dew kps OP ARGS…` and its JSON answer (a failure fails the test with dew's stderr). */
async function kps(w: World, op: string, ...argv: string[]): Promise<Record<string, any>> {
  const r = await w.dew('kps', op, ...argv);
  if (r.code !== 0) throw new Error(`dew kps ${op} failed: ${r.err}`);
  return r.out.trim() ? JSON.parse(r.out) : {};
}

const blob = (line: string): string => line.trim().split(/\s+/)[1];
const publicOf = (keyFile: string): string => execFileSync('ssh-keygen', ['-y', '-f', keyFile]).toString();
const mode = (file: string): number => statSync(file).mode & 0o777;

/** Every file under dir (the daemon's database, WAL, master key, audit), as bytes. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
  });
}

/** A line of the private key's Base64 body: present in any copy of it. */
const secretLine = (privateKey: string): string => privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))[1];

t.test('dew_kps_keypair: generate with key_file, drift, import, managed private key, scope upgrade, destroy', async (t) => {
  const w = await world(t);
  const stackText = async (): Promise<string> => JSON.stringify((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/stack')).body);
  const outputs: string[] = [];
  const dew = async (...argv: string[]) => {
    const r = await w.dew(argv[0], ...argv.slice(1));
    outputs.push(r.out, r.err);
    return r;
  };

  const GEN = `resource "dew_kps_keypair" "gen" {\n  name        = "gen"\n  algorithm   = "SSH_ED25519"\n  description = "generated"\n  key_file    = "gen.pem"\n}\n`;
  w.write({ 'main.hcl': GEN });
  const a = await dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  t.match(a.out, /dew_kps_keypair\.gen: Creation complete after \d+s \[id=gen\]/);
  const keyFile = join(w.dir, 'gen.pem');
  t.equal(mode(keyFile), 0o600, 'key_file is written with mode 0600');
  const shown = (await kps(w, 'show-keypair', '--name', 'gen')).keypair;
  t.equal(blob(publicOf(keyFile)), blob(shown.public_key), 'ssh-keygen -y on key_file gives the public key the daemon has');
  t.equal(shown.algorithm, 'SSH_ED25519');
  t.equal(shown.is_key_protection, false, 'not managed: the key is only in key_file');
  const generated = readFileSync(keyFile, 'utf8');
  t.notMatch(await stackText(), secretLine(generated), 'the private key is not in the stack');
  t.notMatch(await stackText(), /PRIVATE KEY/);
  t.equal((await dew('plan', '-detailed-exitcode')).code, 0, 'applied: no changes');
  const st = await dew('state', 'show', 'dew_kps_keypair.gen');
  t.match(st.out, new RegExp(`fingerprint += "${shown.fingerprint.replace(/[+/]/g, '\\$&')}"`));

  await t.test('drift: a description changed by hand is planned back and applied', async (t) => {
    t.equal((await dew('kps', 'update-keypair', '--name', 'gen', '--description', 'by hand')).code, 0);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 2);
    t.match(p.out, /# dew_kps_keypair\.gen has changed: description/);
    t.match(p.out, /~ description += "by hand" -> "generated"/);
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    t.equal((await kps(w, 'show-keypair', '--name', 'gen')).keypair.description, 'generated');
  });

  await t.test('drift: a key pair deleted by hand is created again, with a new key in key_file', async (t) => {
    t.equal((await dew('kps', 'delete-keypair', '--name', 'gen')).code, 0);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 2);
    t.match(p.out, /no longer exists in the daemon/);
    t.match(p.out, /# dew_kps_keypair\.gen will be created/);
    const r = await dew('apply', '-auto-approve');
    t.equal(r.code, 0, r.err);
    const again = (await kps(w, 'show-keypair', '--name', 'gen')).keypair;
    t.not(again.public_key, shown.public_key, 'a new key pair');
    t.equal(blob(publicOf(keyFile)), blob(again.public_key), 'and key_file holds its private key');
    t.equal(mode(keyFile), 0o600);
  });

  await t.test('import by name: the adopted key pair matches its configuration', async (t) => {
    await kps(w, 'create-keypair', '--name', 'adopted', '--algorithm', 'ECDSA_NISTP256', '--description', 'made by hand');
    w.write({ 'main.hcl': `${GEN}\nresource "dew_kps_keypair" "adopted" {\n  name        = "adopted"\n  description = "made by hand"\n}\n` });
    const i = await dew('import', 'dew_kps_keypair.adopted', 'adopted');
    t.equal(i.code, 0, i.err);
    t.match(i.out, /Import successful!/);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 0, p.out);
    t.equal((await dew('import', 'dew_kps_keypair.nothere', 'nothere')).code, 1);
  });

  const dir = mkdtempSync(join(w.dir, 'keys-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mine', '-f', join(dir, 'id')]);
  const myPrivate = readFileSync(join(dir, 'id'), 'utf8');
  const myPublic = readFileSync(join(dir, 'id.pub'), 'utf8').trim();
  const managedHcl = (privateKey: string): string =>
    `${GEN}\nresource "dew_kps_keypair" "mine" {\n  name            = "mine"\n  public_key      = "${myPublic}"\n  encryption_type = "default"\n  private_key     = <<-EOT\n${privateKey}EOT\n}\n`;

  await t.test('an imported private key the service holds: never printed nor recorded, compared by digest, cleared with ""', async (t) => {
    w.write({ 'main.hcl': managedHcl(myPrivate) });
    const p = await dew('plan');
    t.match(p.out, /\+ private_key += \(sensitive value\)/);
    const r = await dew('apply', '-auto-approve');
    t.equal(r.code, 0, r.err);
    t.equal((await kps(w, 'show-keypair', '--name', 'mine')).keypair.is_key_protection, true, 'managed');
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0, 'the same private key is no change');
    t.notMatch(await stackText(), secretLine(myPrivate), 'the stack holds only a digest');
    t.match(await stackText(), /"private_key":"sha256:[0-9a-f]{64}"/);

    const out = join(dir, 'exported.key');
    const e = await dew('kps', 'export-private-key', '--name', 'mine', '--out', out);
    t.equal(e.code, 0, e.err);
    t.notMatch(e.out, secretLine(myPrivate), 'with --out the key is not printed');
    t.match(e.out, /Wrote the private key of mine to .*exported\.key \(mode 0600\)/);
    t.equal(mode(out), 0o600);
    t.equal(blob(publicOf(out)), blob(myPublic), 'the exported key is the imported one');

    w.write({ 'main.hcl': `${GEN}\nresource "dew_kps_keypair" "mine" {\n  name        = "mine"\n  public_key  = "${myPublic}"\n  private_key = ""\n}\n` });
    const c = await dew('apply', '-auto-approve');
    t.equal(c.code, 0, c.err);
    t.match(c.out, /1 changed/);
    t.equal((await kps(w, 'show-keypair', '--name', 'mine')).keypair.is_key_protection, false, '"" made the service forget it');
    const none = await dew('kps', 'export-private-key', '--name', 'mine');
    t.equal(none.code, 1);
    t.match(JSON.parse(none.err), { status: 400, error_code: 'KPS.0008' }, 'an API error is printed as dew kms prints it');
  });

  await t.test('scope user -> account is applied in place', async (t) => {
    w.write({ 'main.hcl': GEN.replace('  key_file', '  scope       = "account"\n  key_file') });
    const p = await dew('plan');
    t.match(p.out, /~ scope += "user" -> "account"\n/);
    t.match(p.out, /0 to add, 1 to change, 1 to destroy/, 'in place (the key pair dropped from the configuration is destroyed)');
    const r = await dew('apply', '-auto-approve');
    t.equal(r.code, 0, r.err);
    t.equal((await kps(w, 'show-keypair', '--name', 'gen')).keypair.scope, 'domain');
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('dew_kps_host: import by name, drift in place, deleted by hand is created again', async (t) => {
    const made = (await kps(w, 'create-host', '--name', 'db', '--address', '10.0.0.5', '--username', 'ops', '--port', '2200')).host;
    const HOST = `resource "dew_kps_host" "db" {\n  name     = "db"\n  address  = "10.0.0.5"\n  port     = 2200\n  username = "ops"\n}\n`;
    w.write({ 'main.hcl': GEN.replace('  key_file', '  scope       = "account"\n  key_file') + '\n' + HOST });
    const i = await dew('import', 'dew_kps_host.db', 'db');
    t.equal(i.code, 0, i.err);
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0, 'imported by name: matches');
    t.equal((await dew('kps', 'update-host', '--host-id', made.id, '--address', '10.0.0.6')).code, 0);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 2);
    t.match(p.out, /~ address += "10\.0\.0\.6" -> "10\.0\.0\.5"/);
    t.match(p.out, /0 to add, 1 to change, 0 to destroy/);
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    t.equal((await kps(w, 'show-host', '--host-id', 'db')).host.address, '10.0.0.5');
    t.equal((await dew('kps', 'delete-host', '--host-id', made.id)).code, 0);
    const again = await dew('plan', '-detailed-exitcode');
    t.equal(again.code, 2);
    t.match(again.out, /# dew_kps_host\.db will be created/);
    t.equal((await dew('apply', '-auto-approve')).code, 0);
    t.not((await kps(w, 'show-host', '--host-id', 'db')).host.id, made.id, 'a new host');
  });

  const d = await dew('destroy', '-auto-approve');
  t.equal(d.code, 0, d.err);
  const gone = await w.dew('kps', 'show-keypair', '--name', 'gen');
  t.match(JSON.parse(gone.err), { status: 404, error_code: 'KPS.0004' });
  t.ok(existsSync(keyFile), 'destroy leaves key_file where it is (as the plan says)');

  for (const text of outputs) {
    t.notMatch(text, secretLine(generated), 'no dew output shows the generated private key');
    t.notMatch(text, secretLine(myPrivate), 'nor the imported one');
  }
  await w.td.stop();
  for (const file of filesUnder(w.td.dataDir)) {
    t.notOk(file.includes(secretLine(myPrivate)), 'no daemon file holds the imported private key in the clear');
    t.notOk(file.includes(secretLine(generated)), 'nor the generated one it handed out');
  }
});
