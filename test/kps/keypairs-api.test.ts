/**
 * KPS key pairs through the API of a real daemon, checked with the stock tools: generated keys as
 * ssh-keygen sees them, imports in OpenSSH / RFC 4716 / PEM form, managed private keys exported in
 * every format (ssh-keygen and puttygen read them back), a disabled KMS key refusing export with
 * the KMS code, scopes and the upgrade rule, paging, decrypt-password against openssl, and no
 * private key in the logs or the audit trail.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, expectCode, type TestDaemon } from '../helpers/daemon.js';
import type { DewClient } from '../../provider/client/dew-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const KP = '/v3/{project_id}/keypairs';
const IAM = '/v1.0/{project_id}/dew/iam';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dew-kps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

/** `ssh-keygen -lf` of a file: [bits, SHA256:…, type]. */
function keygenL(file: string, hash = 'sha256'): { bits: number; fp: string; type: string } {
  const out = sh('ssh-keygen', ['-E', hash, '-lf', file]).trim();
  const m = /^(\d+) (\S+) .* \((\w+)\)$/.exec(out)!;
  return { bits: Number(m[1]), fp: m[2], type: m[3] };
}


async function makeUser(d: TestDaemon, name: string, roles: string[]): Promise<DewClient> {
  const creds = (await d.client.request('POST', `${IAM}/users`, { name, roles })).body as Any;
  return d.clientFor(creds);
}

t.test('KPS key pairs', async (t) => {
  const d = await startTestDaemon(t);
  const c = d.client;
  const dir = tempDir(t);
  const create = async (keypair: object, client = c) => ((await client.request('POST', KP, { keypair })).body as Any).keypair;
  const show = async (name: string, client = c) => ((await client.request('GET', `${KP}/${name}`)).body as Any).keypair;

  await t.test('generated key pairs: the private key once, the public key and fingerprint as ssh-keygen sees them', async (t) => {
    for (const [alg, type, bits] of [
      ['SSH_ED25519', 'ED25519', 256],
      ['ECDSA_NISTP256', 'ECDSA', 256],
      ['ECDSA_NISTP384', 'ECDSA', 384],
      ['ECDSA_NISTP521', 'ECDSA', 521],
      [undefined, 'RSA', 2048],
      ['SSH_RSA_3072', 'RSA', 3072],
    ] as const) {
      const name = `gen-${(alg ?? 'default').toLowerCase().replace(/_/g, '-')}`;
      const kp = await create({ name, ...(alg ? { algorithm: alg } : {}) });
      t.match(kp.private_key, /^-----BEGIN OPENSSH PRIVATE KEY-----/, `${name}: the private key is in the create answer`);
      const keyFile = join(dir, name);
      writeFileSync(keyFile, kp.private_key, { mode: 0o600 });
      const derived = sh('ssh-keygen', ['-y', '-f', keyFile]).trim().split(' ').slice(0, 2).join(' ');
      t.equal(kp.public_key.split(' ').slice(0, 2).join(' '), derived, `${name}: ssh-keygen derives the same public key`);
      writeFileSync(`${keyFile}.pub`, kp.public_key + '\n');
      const l = keygenL(`${keyFile}.pub`);
      t.same({ bits: l.bits, fp: l.fp, type: l.type }, { bits, fp: kp.fingerprint, type }, `${name}: ssh-keygen -lf agrees`);
      const detail = await show(name);
      t.equal(detail.algorithm, alg ?? 'SSH_RSA_2048', `${name}: algorithm`);
      const md5 = ((await c.request('GET', `${KP}/${name}`, undefined, { fingerprint_hash: 'md5' })).body as Any).keypair.fingerprint;
      t.equal(md5, keygenL(`${keyFile}.pub`, 'md5').fp, `${name}: the MD5 fingerprint on request is ssh-keygen -E md5's`);
      t.equal(detail.is_key_protection, false, 'not managed');
      t.notOk('private_key' in detail, 'the detail never has the private key');
      await expectCode(t, c.request('POST', `${KP}/private-key/export`, { keypair: { name } }), 400, 'KPS.0008', `${name}: nothing to export`);
    }
  });

  await t.test('imports: OpenSSH one-line, RFC 4716 (PuTTYgen) and PEM; bad keys are 400 and store nothing', async (t) => {
    const keyFile = join(dir, 'imp');
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@laptop', '-f', keyFile]);
    const pub = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    const fp = keygenL(`${keyFile}.pub`).fp;
    const one = await create({ name: 'imp-openssh', public_key: pub });
    t.equal(one.fingerprint, fp, 'one-line: the same fingerprint');
    t.notOk('private_key' in one, 'no private key for an import');
    const rfc = sh('ssh-keygen', ['-e', '-f', `${keyFile}.pub`]);
    t.match(rfc, /---- BEGIN SSH2 PUBLIC KEY ----/);
    const two = await create({ name: 'imp-rfc4716', public_key: rfc });
    t.equal(two.fingerprint, fp, 'RFC 4716: converted, same fingerprint');
    t.match(two.public_key, /^ssh-ed25519 AAAA/, 'stored in the OpenSSH form');
    const rsaFile = join(dir, 'imp-rsa');
    sh('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsaFile]);
    const pem = sh('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', `${rsaFile}.pub`]);
    const three = await create({ name: 'imp-pem', public_key: pem });
    t.equal(three.fingerprint, keygenL(`${rsaFile}.pub`).fp, 'SPKI PEM: same fingerprint');
    t.equal((await show('imp-pem')).algorithm, 'SSH_RSA_2048');

    const weak = join(dir, 'weak');
    sh('ssh-keygen', ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', weak]);
    const bad: [string, string][] = [
      ['RSA 1024', readFileSync(`${weak}.pub`, 'utf8')],
      ['malformed base64', 'ssh-ed25519 AAAA!!!notbase64'],
      ['trailing garbage', `${pub} extra words here\nssh-rsa AAAA`],
      ['a private key', readFileSync(keyFile, 'utf8')],
      ['nonsense', 'hello'],
    ];
    for (const [what, public_key] of bad) {
      const e = await expectCode(t, c.request('POST', KP, { keypair: { name: 'bad-one', public_key } }), 400, 'KPS.0007', what);
      t.notOk(e.message.includes('AAAA'), `${what}: the message quotes no key material`);
    }
    await expectCode(t, c.request('GET', `${KP}/bad-one`), 404, 'KPS.0004', 'nothing was stored');
    await expectCode(t, c.request('POST', KP, { keypair: { name: 'imp-openssh', public_key: pub } }), 409, 'KPS.0005', 'a taken name');
    await expectCode(t, c.request('POST', KP, { keypair: { name: 'bad name!' } }), 400, 'KPS.0001', 'a bad name');
    await expectCode(t, c.request('POST', KP, { keypair: {} }), 400, 'KPS.0002', 'no name');
    await expectCode(t, c.request('POST', KP, { keypair: { name: 'x', algorithm: 'SSH_RSA_1024' } }), 400, 'KPS.0001', 'an unknown algorithm');
    await expectCode(t, c.request('POST', KP, { keypair: { name: 'x', type: 'x509' } }), 400, 'KPS.0001', 'x509');
    await expectCode(t, c.request('POST', KP, [] as unknown as object), 400, 'KPS.0003', 'an array body');
  });

  await t.test('managed private keys: sealed under kps/default or a named key, exported in every format, cleared', async (t) => {
    const kp = await create({ name: 'managed', algorithm: 'SSH_RSA_2048', key_protection: { encryption: { type: 'default' } } });
    t.notOk('private_key' in kp, 'a managed key pair does not return the private key');
    const detail = await show('managed');
    t.equal(detail.is_key_protection, true);
    const kpsDefault = ((await c.kms('describe-key', { key_id: 'kps/default' })) as Any).key_info;
    t.equal(detail.key_id, kpsDefault.key_id, 'protected by kps/default, created on first use');
    const pubFile = join(dir, 'managed.pub');
    writeFileSync(pubFile, detail.public_key + '\n');
    const exportAs = async (format?: string) => ((await c.request('POST', `${KP}/private-key/export`, { keypair: { name: 'managed', ...(format ? { format } : {}) } })).body as Any).keypair.private_key as string;
    for (const [format, head] of [
      [undefined, 'BEGIN OPENSSH PRIVATE KEY'],
      ['pkcs8', 'BEGIN PRIVATE KEY'],
      ['pkcs1', 'BEGIN RSA PRIVATE KEY'],
    ] as const) {
      const text = await exportAs(format);
      t.match(text, head, `${format ?? 'openssh'}: ${head}`);
      const f = join(dir, `managed.${format ?? 'openssh'}`);
      writeFileSync(f, text, { mode: 0o600 });
      t.equal(sh('ssh-keygen', ['-y', '-f', f]).trim().split(' ')[1], detail.public_key.split(' ')[1], `${format ?? 'openssh'}: ssh-keygen derives the key pair's public key`);
    }
    for (const [format, version] of [
      ['ppk', '3'],
      ['ppk2', '2'],
    ] as const) {
      const text = await exportAs(format);
      t.match(text, new RegExp(`^PuTTY-User-Key-File-${version}: ssh-rsa`), `${format}: PuTTY v${version}`);
      const f = join(dir, `managed.${format}`);
      writeFileSync(f, text, { mode: 0o600 });
      t.equal(sh('puttygen', [f, '-O', 'public-openssh']).trim().split(' ')[1], detail.public_key.split(' ')[1], `${format}: puttygen reads it`);
    }

    // A named key; disabling it makes export fail with the KMS's own code.
    const own = ((await c.kms('create-key', { key_alias: 'kps-own' })) as Any).key_info.key_id as string;
    await create({ name: 'managed-own', algorithm: 'SSH_ED25519', key_protection: { encryption: { type: 'kms', kms_key_name: 'kps-own' } } });
    t.equal((await show('managed-own')).key_id, own, 'protected by the named key');
    await c.kms('disable-key', { key_id: own });
    await expectCode(t, c.request('POST', `${KP}/private-key/export`, { keypair: { name: 'managed-own' } }), 400, 'KMS.0209', 'a disabled key refuses export');
    await c.kms('enable-key', { key_id: own });
    t.match(((await c.request('POST', `${KP}/private-key/export`, { keypair: { name: 'managed-own' } })).body as Any).keypair.private_key, /OPENSSH PRIVATE KEY/, 'enabled again: export works');
    await expectCode(t, c.request('POST', KP, { keypair: { name: 'x', key_protection: { encryption: { type: 'kms' } } } }), 400, 'KPS.0002', 'kms needs a key');

    // Import a private key for an imported public key; a non-matching one is refused.
    const keyFile = join(dir, 'later');
    sh('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '384', '-N', '', '-f', keyFile]);
    await create({ name: 'later', public_key: readFileSync(`${keyFile}.pub`, 'utf8') });
    const other = join(dir, 'other');
    sh('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '384', '-N', '', '-f', other]);
    const importBody = (file: string) => ({ keypair: { name: 'later', key_protection: { private_key: readFileSync(file, 'utf8'), encryption: { type: 'default' } } } });
    await expectCode(t, c.request('POST', `${KP}/private-key/import`, importBody(other)), 400, 'KPS.0014', 'a private key of another pair');
    const imported = (await c.request('POST', `${KP}/private-key/import`, importBody(keyFile))).body as Any;
    t.equal(imported.keypair.name, 'later');
    t.equal((await show('later')).is_key_protection, true, 'now managed');
    await c.request('DELETE', `${KP}/later/private-key`);
    t.equal((await show('later')).is_key_protection, false, 'cleared');
    await expectCode(t, c.request('DELETE', `${KP}/later/private-key`), 400, 'KPS.0008', 'nothing left to clear');

    // Never in logs or the audit trail.
    const audit = JSON.stringify((await c.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, { limit: 1000 })).body);
    const secrets = [readFileSync(keyFile, 'utf8'), await exportAs()].map((s) => s.split('\n')[2]);
    for (const s of secrets) {
      t.notOk(audit.includes(s), 'no private key in the audit trail');
      t.notOk(d.logs.join('\n').includes(s), 'no private key in the logs');
    }
  });

  await t.test('decrypt-password: a Windows password encrypted by cloudbase-init (RSA PKCS#1 v1.5) comes back', async (t) => {
    await create({ name: 'win', algorithm: 'SSH_RSA_2048', key_protection: { encryption: { type: 'default' } } });
    const pub = (await show('win')).public_key as string;
    const pubFile = join(dir, 'win.pub');
    writeFileSync(pubFile, pub + '\n');
    const pem = sh('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', pubFile]);
    writeFileSync(join(dir, 'win.pem'), pem);
    const ct = execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', join(dir, 'win.pem')], { input: 'Sup3r-S3cret!' }).toString('base64');
    const r = (await c.request('POST', `${KP}/decrypt-password`, { keypair: { name: 'win', password_ciphertext: ct } })).body as Any;
    t.equal(r.keypair.password, 'Sup3r-S3cret!');
    const bad = Buffer.from(ct, 'base64');
    bad[10] ^= 1;
    await expectCode(t, c.request('POST', `${KP}/decrypt-password`, { keypair: { name: 'win', password_ciphertext: bad.toString('base64') } }), 400, 'KPS.0016', 'a tampered ciphertext');
    await expectCode(t, c.request('POST', `${KP}/decrypt-password`, { keypair: { name: 'managed-own', password_ciphertext: ct } }), 400, 'KPS.0015', 'not an RSA key pair');
    t.notOk(d.logs.join('\n').includes('Sup3r'), 'the password is not logged');
  });

  await t.test('scopes: user key pairs are private, account key pairs shared; the upgrade rule', async (t) => {
    const erin = await makeUser(d, 'erin', ['KMS CMKFullAccess']);
    const frank = await makeUser(d, 'frank', ['KMS CMKFullAccess']);
    await create({ name: 'erins', algorithm: 'SSH_ED25519' }, erin);
    await expectCode(t, frank.request('GET', `${KP}/erins`), 404, 'KPS.0004', "another user's key pair is invisible");
    const franks = await create({ name: 'erins', algorithm: 'SSH_ED25519' }, frank);
    t.equal(franks.name, 'erins', 'so another user may use the same name');
    t.not(franks.fingerprint, (await show('erins', erin)).fingerprint, 'and it is another key pair');
    await expectCode(t, erin.request('POST', KP, { keypair: { name: 'shared', scope: 'domain' } }), 403, 'KPS.0018', 'only an administrator creates account key pairs');
    await create({ name: 'shared', scope: 'domain', algorithm: 'SSH_ED25519' });
    t.equal((await show('shared', erin)).scope, 'domain', 'an account key pair is seen by every user');
    await expectCode(t, erin.request('POST', KP, { keypair: { name: 'shared' } }), 409, 'KPS.0005', 'a user name may not shadow an account key pair');
    await expectCode(t, c.request('PUT', `${KP}/erins`, { keypair: { scope: 'domain' } }), 404, 'KPS.0004', 'the administrator upgrades only what it sees');
    await create({ name: 'erins', algorithm: 'SSH_ED25519' });
    await expectCode(t, c.request('PUT', `${KP}/erins`, { keypair: { scope: 'domain' } }), 409, 'KPS.0005', "the upgrade collides with other users' key pairs of that name (FAQ 3.21)");
    await create({ name: 'mine-to-share', algorithm: 'SSH_ED25519' });
    await c.request('PUT', `${KP}/mine-to-share`, { keypair: { scope: 'domain', description: 'for all' } });
    const up = await show('mine-to-share', frank);
    t.same([up.scope, up.description], ['domain', 'for all'], 'upgraded: visible to all, described');
    await c.request('PUT', `${KP}/mine-to-share`, { keypair: { description: 'again' } });
    t.equal((await show('mine-to-share')).description, 'again');
    const ro = await makeUser(d, 'gina', ['KMS ReadOnlyAccess']);
    await expectCode(t, ro.request('POST', KP, { keypair: { name: 'nope' } }), 403, 'KMS.0307', 'read-only users do not create');
    t.equal((await show('shared', ro)).name, 'shared', 'but read');
  });

  await t.test('list with paging; batch import; delete', async (t) => {
    const batch = (await c.request('POST', `${KP}/batch-import`, [
      { keypair: { name: 'b1', algorithm: 'SSH_ED25519' } },
      { keypair: { name: 'b2', public_key: 'nonsense' } },
      { keypair: { name: 'b3', algorithm: 'ECDSA_NISTP256' } },
    ] as unknown as object)).body as Any;
    t.same(batch.succeeded_keypairs.map((k: Any) => k.keypair.name), ['b1', 'b3']);
    t.same(batch.failed_keypairs.map((k: Any) => k.keypair_name), ['b2']);
    t.match(batch.failed_keypairs[0].failed_reason, /^KPS\.0007/);
    const all: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = (await c.request('GET', KP, undefined, { limit: 4, ...(marker ? { marker } : {}) })).body as Any;
      t.ok(page.keypairs.length <= 4);
      all.push(...page.keypairs.map((k: Any) => k.keypair.name));
      marker = page.page_info.next_marker;
      if (!marker) break;
    }
    t.same(all, [...all].sort(), 'in name order');
    t.equal(new Set(all).size, all.length, 'no name twice across pages');
    t.ok(all.includes('b1') && all.includes('shared'), 'own and account key pairs');
    await expectCode(t, c.request('GET', KP, undefined, { limit: 0 }), 400, 'KPS.0001', 'limit 0');
    await expectCode(t, c.request('GET', `${KP}/b3`, undefined, { fingerprint_hash: 'sha1' }), 400, 'KPS.0001', 'an unknown fingerprint hash');
    await c.request('DELETE', `${KP}/b1`);
    await expectCode(t, c.request('GET', `${KP}/b1`), 404, 'KPS.0004', 'deleted');
    await expectCode(t, c.request('DELETE', `${KP}/b1`), 404, 'KPS.0004', 'twice');
  });
});
