/** The pure edits behind the SSH host operations: authorized_keys lines, the sshd_config block, key lines and shell quoting. */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey, keyOfLine, removeKey, replaceKey } from '../../daemon/kps/authorized-keys.js';
import { shellQuote } from '../../daemon/kps/sshd-config-install.js';
import { passwordBlock, withPasswordLogin } from '../../daemon/kps/sshd-password-block.js';
import { fingerprintOf, keyLineOf, parseKeyLine } from '../../daemon/kps/ssh-key-blob.js';

const A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKT9MlFTo3Wu3J2S29k9flMfEjYK0v7bkomPWKmg3pS';
const B = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMoT//2hreEIdkADBmn1FyrN8GDA7gNRiKEfuWpd3JuL0KH40s4VAfUk0I5QYw4ys9QfxBrImPQt/hvMo/VEPC8=';
const C = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILYBauJpWtD4PnIOXQTVUWdapy0CUEltLSgUtmslQvS9';
const a = parseKeyLine(A, 'A');
const c = parseKeyLine(C, 'C');

t.test('keyOfLine reads lines the way sshd does', async (t) => {
  const is = (line: string, key: typeof a | undefined, what: string) => {
    const got = keyOfLine(line);
    t.equal(got === undefined ? undefined : `${got.type} ${got.blob.toString('base64')}`, key && `${key.type} ${key.blob.toString('base64')}`, what);
  };
  is(`${A}\n`, a, 'plain');
  is(`${A} a comment with spaces\n`, a, 'with a comment');
  is(`  \t${A}\r\n`, a, 'leading blanks and CRLF');
  is(`no-pty,command="echo a b" ${A} c`, a, 'options with a quoted space');
  is(`command="echo \\"x y\\"",no-pty ${A}`, a, 'an escaped quote inside the quotes');
  is(`environment="A=1" restrict ${A}`, undefined, 'two option fields: sshd skips the line too');
  is(`command="unterminated ${A}`, undefined, 'an unterminated quote');
  is(`# ${A}`, undefined, 'a comment');
  is('', undefined, 'blank');
  is('ssh-ed25519 !!!notbase64', undefined, 'bad base64');
  is(`ssh-rsa ${A.split(' ')[1]}`, undefined, 'a blob of another type than its label');
});

t.test('addKey', async (t) => {
  t.same(addKey('', a, A), { text: `${A}\n`, changed: true }, 'into an empty file');
  t.same(addKey(`${B}`, a, A), { text: `${B}\n${A}\n`, changed: true }, 'a last line without newline gets one');
  const existing = `from="10.0.0.1" ${A} old comment\n`;
  t.same(addKey(existing, a, `${A} new`), { text: existing, changed: false }, 'the same blob under options and another comment is there already');
});

t.test('removeKey keeps every other byte', async (t) => {
  const text = `# head\r\n${A} one\n${B}\nno-pty ${A} two\n\n${C}`;
  t.same(removeKey(text, a), { text: `# head\r\n${B}\n\n${C}`, changed: true, removed: 2 }, 'every line of the key');
  t.same(removeKey(text, c), { text: `# head\r\n${A} one\n${B}\nno-pty ${A} two\n\n`, changed: true, removed: 1 }, 'the last line, without newline');
  t.same(removeKey(`${B}\n`, a), { text: `${B}\n`, changed: false, removed: 0 }, 'absent');
});

t.test('replaceKey', async (t) => {
  t.same(replaceKey(`${B}\n${A} old\n`, a, c, C), { text: `${B}\n${C}\n`, changed: true });
  t.same(replaceKey(`${B}\n`, a, c, C), { text: `${B}\n${C}\n`, changed: true }, 'old absent: the new one is added');
  t.same(replaceKey(`${C}\n${A}\n`, a, c, C), { text: `${C}\n`, changed: true }, 'new already there: the old one goes');
  t.same(replaceKey(`${A} x\n`, a, a, `${A} y`), { text: `${A} x\n`, changed: false }, 'the same key: nothing moves');
});

t.test('parseKeyLine refuses what would add more than one plain key line', async (t) => {
  t.throws(() => parseKeyLine(`${A}\n${B}`, 'k'), { name: 'TypeError', message: /k: must be a single line/ });
  t.throws(() => parseKeyLine(`${A}\rx`, 'k'), { name: 'TypeError' });
  t.throws(() => parseKeyLine(`command="sh" ${A}`, 'k'), { name: 'TypeError', message: /not a one-line OpenSSH public key/ });
  t.throws(() => parseKeyLine('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5', 'k'), { name: 'TypeError' }, 'truncated blob');
  t.equal(parseKeyLine(`  ${A} me@host  `, 'k').line, `${A} me@host`, 'trimmed, comment kept');
});

t.test('fingerprints and key lines match ssh-keygen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dew-fp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    const file = join(dir, type);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'x', '-f', file]);
    const pub = readFileSync(`${file}.pub`, 'utf8').trim();
    const k = parseKeyLine(pub, 'pub');
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    t.equal(fingerprintOf(k.blob), printed, `${type} fingerprint`);
    t.equal(keyLineOf(k.blob), pub.split(' ').slice(0, 2).join(' '), `${type} line`);
  }
});

t.test('the disable_password block', async (t) => {
  const cfg = 'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\nMatch User bob\n\tX11Forwarding no\n';
  const off = withPasswordLogin(cfg, 'alice', false);
  t.equal(off, `${cfg}${passwordBlock('alice')}`, 'appended at the end');
  t.match(passwordBlock('alice'), /^# BEGIN dew disable_password alice\n#[^\n]*\nMatch User alice\n\tPasswordAuthentication no\n\tKbdInteractiveAuthentication no\nMatch all\n# END dew disable_password alice\n$/);
  t.equal(withPasswordLogin(off, 'alice', false), off, 'off twice: unchanged');
  t.equal(withPasswordLogin(off, 'alice', true), cfg, 'on again: the file as it was');
  t.equal(withPasswordLogin(cfg, 'alice', true), cfg, 'on when already on: unchanged');
  const both = withPasswordLogin(off, 'carol', false);
  t.equal(withPasswordLogin(both, 'alice', true), `${cfg}${passwordBlock('carol')}`, "another user's block stays");
  t.equal(withPasswordLogin('Port 22', 'alice', false), `Port 22\n${passwordBlock('alice')}`, 'a last line without newline');
  const later = `${off}PermitRootLogin no\n`;
  t.equal(withPasswordLogin(later, 'alice', false), `${cfg}PermitRootLogin no\n${passwordBlock('alice')}`, 'moved to the end when lines were added after it');
  t.equal(withPasswordLogin(off.replace(/\n/g, '\r\n'), 'alice', true), cfg.replace(/\n/g, '\r\n'), 'CRLF markers are recognised');
  t.throws(() => withPasswordLogin(`${cfg}# BEGIN dew disable_password alice\nMatch User alice\n`, 'alice', true), { name: 'BlockError' }, 'BEGIN without END');
  t.throws(() => withPasswordLogin(`${cfg}# END dew disable_password alice\n`, 'alice', false), { name: 'BlockError' }, 'END without BEGIN');
});

t.test('shellQuote passes any text through sh as one word', async (t) => {
  for (const s of ["it's", '$(id) `id` $HOME', 'a b\tc', "''", '', '\\\n*']) {
    t.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' }), s, JSON.stringify(s));
  }
  t.throws(() => shellQuote('a\0b'), { name: 'TypeError' });
});
