/**
 * `dew kps convert` in-process (the lead wires it into the command table): the FAQ 3.17 conversions
 * (.ppk to .pem and back) and FAQ 3.5's (PuTTYgen's saved public key to the one-line form), checked
 * with ssh-keygen and puttygen; OUT is created 0600 for private keys and never silently replaced;
 * failures are one-line CliErrors that print no key material.
 */
import t, { type Test } from 'tap';
import { statSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CliError } from '../../provider/cli-error.js';
import type { CommandContext, DaemonEntry } from '../../provider/commands/context.js';
import { kpsConvert } from '../../provider/commands/kps-convert.js';
import { blobOf, tools, type Tools } from './tools.js';

interface Run {
  code?: number;
  error?: CliError;
  out: string;
  err: string;
}

const notHere = async (): Promise<number> => {
  throw new Error('not used by kps convert');
};

/** The daemon side as bin/dew.ts wires it, with only the key-format library in use. */
const daemon: DaemonEntry = {
  runDaemon: notHere,
  runDueJobs: notHere,
  runAuditVerify: notHere,
  keyFormats: async () => import('../../daemon/kps/key-formats.js'),
  executable: '',
};

function converter(T: Tools) {
  return async (argv: string[], stdin?: string): Promise<Run> => {
    let out = '';
    let err = '';
    const ctx: CommandContext = {
      argv,
      cwd: T.dir,
      env: {},
      stdout: { write: (s) => void (out += s) },
      stderr: { write: (s) => void (err += s) },
      now: () => 0,
      daemon,
    };
    try {
      const code = await kpsConvert(ctx, argv, { stdin: () => Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]) });
      return { code, out, err };
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      return { error: e, out, err };
    }
  };
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** No line of key material (a long base64 run) from `texts` appears in `said`. */
function quotesNoKey(t: Test, said: string, texts: string[], what: string): void {
  const words = texts.flatMap((x) => x.split(/\s+/)).filter((w) => w.length >= 16 && /^[A-Za-z0-9+/=]+$/.test(w));
  t.notOk(words.some((w) => said.includes(w)), `${what}: no key material printed`);
}

t.test('PuTTY .ppk to OpenSSH .pem and back (FAQ 3.17)', async (t) => {
  const T = tools(t, 'kps-convert-ppk');
  const convert = converter(T);
  T.write('empty', '');
  T.run('puttygen', ['-t', 'ed25519', '-C', 'putty made', '-o', T.path('k.ppk'), '--new-passphrase', T.path('empty')]);
  const pub = T.run('puttygen', [T.path('k.ppk'), '-O', 'public-openssh']).trim();

  const toPem = await convert(['k.ppk', 'k.pem']);
  t.equal(toPem.code, 0, toPem.error?.message ?? 'converted');
  t.equal(mode(T.path('k.pem')), 0o600, 'the private key file is 0600');
  t.match(T.read('k.pem'), /^-----BEGIN OPENSSH PRIVATE KEY-----/, 'OpenSSH by default');
  t.equal(T.run('ssh-keygen', ['-y', '-f', T.path('k.pem')]).trim(), pub, 'ssh-keygen derives the same key and comment');
  t.match(toPem.err, /^Wrote k\.pem: SSH_ED25519 SHA256:\S+, private key as OpenSSH\n$/);
  quotesNoKey(t, toPem.err + toPem.out, [T.read('k.ppk'), T.read('k.pem')], 'the .pem conversion');

  T.run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'from openssh', '-f', T.path('id')]);
  const idPub = T.read('id.pub').trim();
  for (const [to, header] of [['ppk', 'PuTTY-User-Key-File-3'], ['ppk2', 'PuTTY-User-Key-File-2']]) {
    const r = await convert(['-to', to, 'id', `id.${to}`]);
    t.equal(r.code, 0, r.error?.message ?? 'converted');
    t.ok(T.read(`id.${to}`).startsWith(header), `${to}: ${header}`);
    t.equal(mode(T.path(`id.${to}`)), 0o600);
    t.equal(T.run('puttygen', [T.path(`id.${to}`), '-O', 'public-openssh']).trim(), idPub, `puttygen loads the ${to} as the same key`);
  }
  const pkcs1 = await convert(['-to', 'pkcs1', 'id.ppk2', 'id.rsa']);
  t.equal(pkcs1.code, 0, pkcs1.error?.message ?? 'converted');
  t.match(T.read('id.rsa'), /^-----BEGIN RSA PRIVATE KEY-----/);
  t.equal(blobOf(T.run('ssh-keygen', ['-y', '-f', T.path('id.rsa')])), blobOf(idPub), 'the .ppk back to PEM (PKCS#1) for Windows password decryption');
  const named = await convert(['-to', 'ppk', '-comment', 'kp-123', 'id', 'named.ppk']);
  t.equal(named.code, 0);
  t.equal(T.run('puttygen', [T.path('named.ppk'), '-O', 'public-openssh']).trim(), `${blobOf(idPub)} kp-123`, '-comment names the key');
});

t.test("PuTTYgen's saved public key to the one-line form (FAQ 3.5), public outputs, stdin and stdout", async (t) => {
  const T = tools(t, 'kps-convert-public');
  const convert = converter(T);
  T.run('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '384', '-N', '', '-C', 'ec key', '-f', T.path('ec')]);
  const pub = T.read('ec.pub').trim();
  T.run('puttygen', [T.path('ec'), '-O', 'public', '-o', T.path('saved.pub')]);

  const line = await convert([T.path('saved.pub'), '-']);
  t.equal(line.code, 0, line.error?.message ?? 'converted');
  t.equal(line.out, pub + '\n', 'the RFC 4716 file as the one line authorized_keys wants');
  t.equal(line.err, '', 'nothing on stderr when OUT is stdout');

  const fromPrivate = await convert(['-public', 'ec', '-']);
  t.equal(fromPrivate.out, pub + '\n', '-public writes the private key file\'s public key');
  const rfc = await convert(['-public', '-to', 'rfc4716', 'ec', 'ec.rfc']);
  t.equal(rfc.code, 0);
  t.equal(mode(T.path('ec.rfc')), 0o644, 'a public key file is 0644');
  t.equal(blobOf(T.run('ssh-keygen', ['-i', '-f', T.path('ec.rfc')])), blobOf(pub), 'ssh-keygen -i reads the RFC 4716 output');
  const pem = await convert(['-to', 'pem', 'ec.pub', 'ec.spki']);
  t.equal(pem.code, 0);
  t.equal(blobOf(T.run('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', T.path('ec.spki')])), blobOf(pub), 'ssh-keygen -i -m PKCS8 reads the SPKI output');

  const piped = await convert(['-to', 'ppk', '-', '-'], T.read('ec'));
  t.equal(piped.code, 0, piped.error?.message ?? 'converted');
  T.write('piped.ppk', piped.out);
  t.equal(T.run('puttygen', [T.path('piped.ppk'), '-O', 'public-openssh']).trim(), pub, 'stdin to stdout');
});

t.test('OUT is never replaced silently; -force replaces it whole, 0600', async (t) => {
  const T = tools(t, 'kps-convert-force');
  const convert = converter(T);
  T.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', T.path('id')]);
  writeFileSync(T.path('taken'), 'precious\n', { mode: 0o644 });
  const refused = await convert(['id', 'taken']);
  t.equal(refused.error?.code, 'kps.exists');
  t.equal(refused.error?.message, 'taken already exists');
  t.match(refused.error?.hint, /-force/);
  t.equal(T.read('taken'), 'precious\n', 'the file is untouched');
  const forced = await convert(['-force', 'id', 'taken']);
  t.equal(forced.code, 0);
  t.match(T.read('taken'), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  t.equal(mode(T.path('taken')), 0o600, 'the replaced file is 0600, not the old 0644');
  const inPlace = await convert(['-force', '-to', 'ppk', 'taken', 'taken']);
  t.equal(inPlace.code, 0, 'IN and OUT may be the same file with -force');
  t.match(T.read('taken'), /^PuTTY-User-Key-File-3/);
  t.same(T.run('ls', ['-A', T.dir]).split('\n').filter((n) => n.includes('.tmp')), [], 'no temp file left behind');
});

t.test('mistakes are one-line errors with a hint, and print no key', async (t) => {
  const T = tools(t, 'kps-convert-errors');
  const convert = converter(T);
  T.run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', T.path('id')]);
  T.run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', T.path('weak')]);
  T.write('pass', 'hunter2 and more\n');
  T.write('plain', T.read('id'));
  T.run('puttygen', [T.path('plain'), '-O', 'private', '-o', T.path('enc.ppk'), '--new-passphrase', T.path('pass')]);
  const damaged = T.read('enc.ppk').replace(/^(Private-Lines: \d+\n)(.)/m, (_, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
  T.write('damaged.ppk', damaged);
  const keys = [T.read('id'), T.read('id.pub'), T.read('enc.ppk'), T.read('weak')];

  const cases: { argv: string[]; code: string; message: RegExp; hint?: RegExp }[] = [
    { argv: ['id'], code: 'usage', message: /needs IN and OUT/ },
    { argv: ['-to', 'der', 'id', 'x'], code: 'usage', message: /-to der: not a key format/, hint: /openssh, pkcs8, pkcs1, ppk, ppk2/ },
    { argv: ['-to', 'ppk', 'id.pub', 'x'], code: 'usage', message: /IN holds a public key; -to ppk needs a private key/, hint: /openssh, rfc4716, pem/ },
    { argv: ['-to', 'rfc4716', 'id', 'x'], code: 'usage', message: /-to rfc4716 is a public key format; add -public/ },
    { argv: ['missing', 'x'], code: 'kps.input', message: /^cannot read IN missing: no such file or directory$/ },
    { argv: ['weak', 'x'], code: 'kps.weak', message: /^weak: RSA keys must have at least 2048 bits; this one has 1024$/ },
    { argv: ['enc.ppk', 'x'], code: 'kps.passphrase_needed', message: /^enc\.ppk: the PuTTY key is encrypted; give its passphrase$/, hint: /-passphrase-file/ },
    { argv: ['-passphrase-file', 'id', 'enc.ppk', 'x'], code: 'kps.wrong_passphrase', message: /wrong passphrase/ },
    { argv: ['-passphrase-file', 'pass', 'damaged.ppk', 'x'], code: 'kps.wrong_passphrase', message: /damaged/ },
    { argv: ['-to', 'pkcs1', 'id.pub', 'x'], code: 'usage', message: /IN holds a public key/ },
    { argv: ['-public', '-to', 'ppk', 'id', 'x'], code: 'usage', message: /^-public writes a public key, and -to ppk is a private key format$/ },
  ];
  for (const c of cases) {
    const r = await convert(c.argv);
    t.equal(r.error?.code, c.code, `${c.argv.join(' ')}: ${r.error?.message}`);
    t.match(r.error?.message, c.message);
    if (c.hint) t.match(r.error?.hint, c.hint);
    t.notOk(r.error?.message.includes('\n'), 'one line');
    quotesNoKey(t, `${r.error?.message} ${r.error?.hint ?? ''} ${r.out} ${r.err}`, keys, c.argv.join(' '));
  }
  t.throws(() => statSync(T.path('x')), { code: 'ENOENT' }, 'no OUT is written by a failed conversion');

  const opened = await convert(['-passphrase-file', 'pass', 'enc.ppk', 'opened.pem']);
  t.equal(opened.code, 0, opened.error?.message ?? 'converted');
  // -P '' makes ssh-keygen fail at once on an encrypted key: the output is not encrypted.
  t.equal(blobOf(T.run('ssh-keygen', ['-y', '-P', '', '-f', T.path('opened.pem')])), blobOf(T.read('id.pub')), 'the passphrase file opens it (its trailing new line ignored)');
  quotesNoKey(t, opened.err, keys, 'a successful conversion');
});
