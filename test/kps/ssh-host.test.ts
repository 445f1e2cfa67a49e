/**
 * The SSH host operations (daemon/kps/ssh-host.ts) against a real OpenSSH server, each effect
 * checked with the stock `ssh` client the way a user would see it (FAQ 3.9–3.15).
 */
import t, { type Test } from 'tap';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { addAuthorizedKey, fetchHostKey, HostError, removeAuthorizedKey, replaceAuthorizedKey, setPasswordLogin, type HostTarget } from '../../daemon/kps/ssh-host.js';
import { generateKeyPair, startSshd, type SshdHost } from '../helpers/sshd.js';
import { freePort } from '../helpers/sqld.js';

const targetOf = (h: SshdHost, more: Partial<HostTarget> = {}): HostTarget => ({
  address: h.address,
  port: h.port,
  username: h.user,
  hostKey: h.hostKey,
  sshdConfig: h.sshdConfigPath,
  ...more,
});
const keysFile = (h: SshdHost) => join(h.home, '.ssh', 'authorized_keys');
const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);

/** Lines an admin left in authorized_keys: options with quoted spaces, comments, a blank line, CRLF. */
function otherLines(): string {
  const a = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKT9MlFTo3Wu3J2S29k9flMfEjYK0v7bkomPWKmg3pS';
  const b = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMoT//2hreEIdkADBmn1FyrN8GDA7gNRiKEfuWpd3JuL0KH40s4VAfUk0I5QYw4ys9QfxBrImPQt/hvMo/VEPC8=';
  return [
    '# keys managed by hand — do not remove',
    `command="echo 'hello world'",no-pty,from="10.0.0.0/8" ${a} admin@laptop with spaces`,
    '',
    `   ${b}\tops key\r`,
    '#ssh-rsa AAAAB3NzaC1yc2E= disabled',
    '',
  ].join('\n');
}

/**
 * Writes authorized_keys owned by the user, 0600, in a world-writable ~/.ssh, which StrictModes
 * refuses (group-writable alone would pass: Debian's user-group-modes patch accepts it when the
 * group is the user's private group).
 */
function seedKeys(h: SshdHost, text: string, dirMode = 0o777): void {
  const { uid, gid } = statSync(h.home);
  mkdirSync(join(h.home, '.ssh'));
  chmodSync(join(h.home, '.ssh'), dirMode);
  chownSync(join(h.home, '.ssh'), uid, gid);
  writeFileSync(keysFile(h), text, { mode: 0o600 });
  chownSync(keysFile(h), uid, gid);
}

async function rejects(t: Test, p: Promise<unknown>, code: HostError['code'], pattern: RegExp, what: string): Promise<HostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, HostError, `${what}: a HostError`);
  const he = err as HostError;
  t.equal(he?.code, code, `${what}: code ${code}`);
  t.match(he?.message, pattern, `${what}: message`);
  t.notMatch(he?.message ?? '', /\n/, `${what}: one line`);
  return he;
}

t.test('fetchHostKey returns the host key sshd serves', async (t) => {
  const h = await startSshd(t);
  t.equal(await fetchHostKey(targetOf(h, { hostKey: undefined })), h.hostKey, 'unpinned');
  t.equal(await fetchHostKey(targetOf(h)), h.hostKey, 'pinned');
  t.notMatch(h.log(), /Accepted|Failed password/, 'nothing authenticated');
});

t.test('add: the key logs in afterwards; ~/.ssh 0700 and the file 0600 are created; adding twice keeps one line', async (t) => {
  const h = await startSshd(t);
  const k = await generateKeyPair(h.dir, 'client');
  t.not((await h.sshLogin(k.privateKeyFile)).code, 0, 'key login fails before');
  const r = await addAuthorizedKey(targetOf(h, { hostKey: undefined }), { password: h.password }, k.publicKey);
  t.equal(r.hostKey, h.hostKey, 'the host key is learnt on first contact');
  t.equal((await h.sshLogin(k.privateKeyFile)).code, 0, 'key login works after');
  t.equal(modeOf(join(h.home, '.ssh')), '700');
  t.equal(modeOf(keysFile(h)), '600');
  t.equal(statSync(keysFile(h)).uid, statSync(h.home).uid, 'owned by the user');
  t.equal(readFileSync(keysFile(h), 'utf8'), `${k.publicKey}\n`);
  await addAuthorizedKey(targetOf(h), { password: h.password }, k.publicKey.replace(/\S+$/, 'another-comment'));
  t.equal(readFileSync(keysFile(h), 'utf8'), `${k.publicKey}\n`, 'the same blob with another comment is not added again');
});

t.test('add keeps every other line byte for byte and tightens ~/.ssh to 0700 (StrictModes)', async (t) => {
  const h = await startSshd(t);
  const k = await generateKeyPair(h.dir, 'client');
  const before = otherLines();
  seedKeys(h, before);
  await addAuthorizedKey(targetOf(h), { password: h.password }, k.publicKey);
  t.equal(readFileSync(keysFile(h), 'utf8'), `${before}${k.publicKey}\n`);
  t.equal(modeOf(join(h.home, '.ssh')), '700');
  t.equal(modeOf(keysFile(h)), '600');
  t.equal((await h.sshLogin(k.privateKeyFile)).code, 0, 'key login works');
  t.same(readdirSync(join(h.home, '.ssh')), ['authorized_keys'], 'no temp file left');
});

t.test('replace (logged in with the old key) and remove', async (t) => {
  const h = await startSshd(t);
  const oldKey = await generateKeyPair(h.dir, 'old');
  const newKey = await generateKeyPair(h.dir, 'new');
  const others = otherLines();
  seedKeys(h, others);
  await addAuthorizedKey(targetOf(h), { password: h.password }, oldKey.publicKey);
  t.equal((await h.sshLogin(oldKey.privateKeyFile)).code, 0, 'old key works');

  const r = await replaceAuthorizedKey(targetOf(h), { privateKey: oldKey.privateKey }, oldKey.publicKey, newKey.publicKey);
  t.equal(r.hostKey, h.hostKey);
  t.not((await h.sshLogin(oldKey.privateKeyFile)).code, 0, 'old key fails after replace');
  t.equal((await h.sshLogin(newKey.privateKeyFile)).code, 0, 'new key works after replace');
  t.equal(readFileSync(keysFile(h), 'utf8'), `${others}${newKey.publicKey}\n`, 'other lines kept');

  const gone = await removeAuthorizedKey(targetOf(h), { privateKey: newKey.privateKey }, newKey.publicKey);
  t.equal(gone.removed, true);
  t.not((await h.sshLogin(newKey.privateKeyFile)).code, 0, 'key login fails after remove');
  t.equal(readFileSync(keysFile(h), 'utf8'), others, 'other lines kept byte for byte');
  t.equal(modeOf(keysFile(h)), '600');

  const again = await removeAuthorizedKey(targetOf(h), { password: h.password }, newKey.publicKey);
  t.equal(again.removed, false, 'removing an absent key is not an error');
  t.equal(readFileSync(keysFile(h), 'utf8'), others, 'and changes nothing');
});

t.test('remove with no ~/.ssh at all reports removed: false and creates nothing', async (t) => {
  const h = await startSshd(t);
  const k = await generateKeyPair(h.dir, 'client');
  const r = await removeAuthorizedKey(targetOf(h), { password: h.password }, k.publicKey);
  t.same(r, { hostKey: h.hostKey, removed: false });
  t.notOk(existsSync(join(h.home, '.ssh')));
});

t.test('disable_password through sudo -n: the stock client cannot log in by password, the key still works; and back on', async (t) => {
  const h = await startSshd(t, { sudo: true });
  const k = await generateKeyPair(h.dir, 'client');
  const configBefore = readFileSync(h.sshdConfigPath, 'latin1');
  await addAuthorizedKey(targetOf(h), { password: h.password }, k.publicKey);
  t.equal((await h.passwordLogin(h.password)).code, 0, 'password login works before');

  const off = await setPasswordLogin(targetOf(h), { password: h.password }, false);
  t.equal(off.hostKey, h.hostKey);
  const refused = await h.passwordLogin(h.password);
  t.not(refused.code, 0, 'password login fails');
  t.match(refused.stderr, /Permission denied \(publickey\)/, 'the server offers the key only');
  t.equal((await h.sshLogin(k.privateKeyFile)).code, 0, 'key login still works');
  const configOff = readFileSync(h.sshdConfigPath, 'latin1');
  t.ok(configOff.startsWith(configBefore), 'the rest of sshd_config is kept');
  t.match(configOff.slice(configBefore.length), new RegExp(`^# BEGIN dew disable_password ${h.user}\\n[^]*Match User ${h.user}\\n\\tPasswordAuthentication no\\n\\tKbdInteractiveAuthentication no\\nMatch all\\n# END dew disable_password ${h.user}\\n$`));
  t.match(h.log(), /Received SIGHUP; restarting/, 'sshd was reloaded');

  await setPasswordLogin(targetOf(h), { privateKey: k.privateKey }, false);
  t.equal(readFileSync(h.sshdConfigPath, 'latin1'), configOff, 'turning it off twice changes nothing');

  await setPasswordLogin(targetOf(h), { privateKey: k.privateKey }, true);
  t.equal(readFileSync(h.sshdConfigPath, 'latin1'), configBefore, 'sshd_config is back as it was');
  t.equal((await h.passwordLogin(h.password)).code, 0, 'password login works again');
  t.equal((await h.sshLogin(k.privateKeyFile)).code, 0, 'and the key too');
});

t.test('disable_password refuses when an earlier Match block keeps password login on, and changes nothing', async (t) => {
  const h = await startSshd(t, { sudo: true });
  const mine = `${readFileSync(h.sshdConfigPath, 'latin1')}Match User ${h.user}\n\tPasswordAuthentication yes\n`;
  writeFileSync(h.sshdConfigPath, mine);
  await rejects(t, setPasswordLogin(targetOf(h), { password: h.password }, false), 'remote_failed', /an earlier setting .* wins over dew's block/, 'earlier Match');
  t.equal(readFileSync(h.sshdConfigPath, 'latin1'), mine, 'sshd_config unchanged');
  t.equal((await h.passwordLogin(h.password)).code, 0, 'password login still works');
});

t.test('disable_password without root or sudo is not_privileged and leaves sshd_config alone', async (t) => {
  const h = await startSshd(t);
  const before = readFileSync(h.sshdConfigPath, 'latin1');
  await rejects(t, setPasswordLogin(targetOf(h), { password: h.password }, false), 'not_privileged', /needs root: .* is not root and `sudo -n` was refused/, 'no sudo');
  t.equal(readFileSync(h.sshdConfigPath, 'latin1'), before, 'sshd_config unchanged');
  t.equal((await h.passwordLogin(h.password)).code, 0, 'password login still works');
});

t.test('failures leave the host unchanged', async (t) => {
  const h = await startSshd(t);
  const k = await generateKeyPair(h.dir, 'client');
  const before = otherLines();
  seedKeys(h, before, 0o700);

  const bad = await rejects(t, addAuthorizedKey(targetOf(h), { password: `${h.password}x` }, k.publicKey), 'auth_failed', /authentication as dewt\w+ on 127\.0\.0\.1:\d+ failed: the password was not accepted/, 'wrong password');
  t.notMatch(bad.message, h.password, 'the password is not in the message');

  const stranger = await generateKeyPair(h.dir, 'stranger');
  await rejects(t, addAuthorizedKey(targetOf(h), { privateKey: stranger.privateKey }, k.publicKey), 'auth_failed', /the private key was not accepted/, 'unknown key');

  const otherHost = await generateKeyPair(h.dir, 'otherhost');
  const pin = otherHost.publicKey.split(' ').slice(0, 2).join(' ');
  const logBefore = h.log().length;
  await rejects(
    t,
    addAuthorizedKey(targetOf(h, { hostKey: pin }), { password: h.password }, k.publicKey),
    'host_key_mismatch',
    /^the host key of 127\.0\.0\.1:\d+ changed: expected SHA256:[A-Za-z0-9+/]{43}, got SHA256:[A-Za-z0-9+/]{43}; re-register the host if this is expected$/,
    'pinned other key',
  );
  t.notMatch(h.log().slice(logBefore), /password|publickey|Accepted|Failed/, 'refused before any authentication');

  const ecdsaPin = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMoT//2hreEIdkADBmn1FyrN8GDA7gNRiKEfuWpd3JuL0KH40s4VAfUk0I5QYw4ys9QfxBrImPQt/hvMo/VEPC8=';
  await rejects(t, addAuthorizedKey(targetOf(h, { hostKey: ecdsaPin }), { password: h.password }, k.publicKey), 'host_key_mismatch', /no longer offers a ecdsa-sha2-nistp256 host key/, 'pinned key type gone');

  t.equal(readFileSync(keysFile(h), 'utf8'), before, 'authorized_keys unchanged');
  t.not((await h.sshLogin(k.privateKeyFile)).code, 0, 'the key still cannot log in');
});

t.test('a server that never speaks SSH times out, and the connection is closed', async (t) => {
  const held: Promise<void>[] = [];
  let closed = 0;
  const server = createServer((sock: Socket) => {
    held.push(new Promise((r) => sock.once('close', () => r(void closed++))));
    sock.resume(); // read (and drop) the client's SSH greeting, so that its end is seen
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  await rejects(t, fetchHostKey({ address: '127.0.0.1', port, username: 'root', timeoutMs: 300 }), 'timeout', /^127\.0\.0\.1:\d+ did not answer within 300 ms \(waiting for the SSH handshake\)$/, 'silent server');
  t.equal(held.length, 1, 'one connection was made');
  // A connection the client leaves open never closes: this wait then fails the test by tap's timeout.
  await Promise.all(held);
  t.equal(closed, 1, 'and it was closed');
});

t.test('no socket or timer outlives an operation, failed or not', async (t) => {
  const h = await startSshd(t);
  const k = await generateKeyPair(h.dir, 'client');
  const count = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
  const before = count();
  // Failures first: a wrong password takes PAM's seconds, long enough for a forgotten timer to expire unseen.
  await rejects(t, addAuthorizedKey(targetOf(h), { password: 'wrong' }, k.publicKey), 'auth_failed', /./, 'wrong password');
  await rejects(t, addAuthorizedKey(targetOf(h, { hostKey: h.hostKey.replace(/.{4}$/, 'AAAA') }), { password: h.password }, k.publicKey), 'host_key_mismatch', /./, 'other pinned key');
  await rejects(t, fetchHostKey({ address: '127.0.0.1', port: await freePort(), username: 'root' }), 'unreachable', /./, 'closed port');
  t.equal(count(), before, 'after failures: as many sockets and timers as before');
  await fetchHostKey(targetOf(h));
  await addAuthorizedKey(targetOf(h), { password: h.password }, k.publicKey);
  await removeAuthorizedKey(targetOf(h), { privateKey: k.privateKey }, k.publicKey);
  t.equal(count(), before, 'after successes too');
});

t.test('a closed port is unreachable', async (t) => {
  const port = await freePort();
  await rejects(t, fetchHostKey({ address: '127.0.0.1', port, username: 'root' }), 'unreachable', /^cannot reach 127\.0\.0\.1:\d+: connection refused$/, 'closed port');
  await rejects(t, addAuthorizedKey({ address: '127.0.0.1', port, username: 'root' }, { password: 'x' }, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKT9MlFTo3Wu3J2S29k9flMfEjYK0v7bkomPWKmg3pS'), 'unreachable', /connection refused/, 'add');
});

t.test('inputs are checked before connecting', async (t) => {
  const target: HostTarget = { address: '127.0.0.1', port: 1, username: 'root' };
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKT9MlFTo3Wu3J2S29k9flMfEjYK0v7bkomPWKmg3pS';
  await t.rejects(addAuthorizedKey(target, { password: 'x' }, `${line}\nssh-ed25519 AAAA injected`), { name: 'TypeError', message: /publicKeyLine: must be a single line/ });
  await t.rejects(addAuthorizedKey(target, { password: 'x' }, `no-pty ${line}`), { name: 'TypeError', message: /publicKeyLine: not a one-line OpenSSH public key/ });
  await t.rejects(addAuthorizedKey({ ...target, username: 'root; rm -rf /' }, { password: 'x' }, line), { name: 'TypeError', message: /target.username/ });
  await t.rejects(setPasswordLogin({ ...target, sshdConfig: 'etc/ssh/sshd_config' }, { password: 'x' }, false), { name: 'TypeError', message: /target.sshdConfig/ });
  await t.rejects(fetchHostKey({ ...target, hostKey: 'ssh-ed25519 AAAA' }), { name: 'TypeError', message: /target.hostKey/ });
});
