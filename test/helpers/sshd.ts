/**
 * A real OpenSSH server for the key pair binding tests: Debian's /usr/sbin/sshd on 127.0.0.1 and a
 * free port, with its own config, host key and PidFile in a temp dir, and a fresh login user
 * (random name and password, home in the temp dir, optionally passwordless sudo). The stock `ssh`
 * client checks what a user would see. Everything is undone at teardown, failed test or not, and
 * at process exit should the test process die before its teardown ran.
 * Needs root (useradd, sudoers.d, pam.d, sshd's privilege separation).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './sqld.js';

const SSHD = '/usr/sbin/sshd';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface SshdOptions {
  /** Give the user passwordless sudo (a file in /etc/sudoers.d), for disable_password. */
  sudo?: boolean;
}

export interface LoginResult {
  /** ssh's exit status (0: logged in and ran `true`; 255: refused). */
  code: number | null;
  stderr: string;
}

export interface SshdHost {
  address: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  /** The user's home directory (owned by the user, 0700). */
  home: string;
  /** The ed25519 host key, one-line OpenSSH without a comment. */
  hostKey: string;
  sshdConfigPath: string;
  pidFile: string;
  /** A temp dir removed at teardown, for the test's own files (client keys). */
  dir: string;
  /** sshd's log so far (-e: to stderr). */
  log(): string;
  /** The stock client logging in with a key file (BatchMode, only that key, strict host key checking). */
  sshLogin(keyFile: string): Promise<LoginResult>;
  /** The stock client logging in with `password`, by password or keyboard-interactive (SSH_ASKPASS forced). */
  passwordLogin(password: string): Promise<LoginResult>;
}

export interface KeyPairFiles {
  privateKeyFile: string;
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, detached: opts.detached });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    if (opts.input !== undefined) {
      // A command that exits without reading its input makes the write fail with EPIPE: its exit status tells.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

async function must(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  // useradd, userdel and chpasswd lock /etc/passwd and /etc/shadow and give up at once when
  // another test file holds the lock: retry those a few times.
  for (let attempt = 1; ; attempt++) {
    const r = await run(cmd, args, opts);
    if (r.code === 0) return r.stdout;
    if (attempt < 20 && /cannot lock|try again later/i.test(r.stderr)) {
      await delay(100 * attempt);
      continue;
    }
    throw new Error(`${cmd} ${args[0] ?? ''} failed (${r.code}): ${r.stderr.trim()}`);
  }
}

/** A new ed25519 key pair made by `ssh-keygen -t ed25519 -N '' -f`. */
export async function generateKeyPair(dir: string, name: string): Promise<KeyPairFiles> {
  const file = join(dir, name);
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@dew-test`, '-f', file]);
  return { privateKeyFile: file, privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

function configText(c: { port: number; dir: string; user: string; extra: string[] }): string {
  return [
    '# dew test sshd (test/helpers/sshd.ts)',
    `Port ${c.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(c.dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(c.dir, 'sshd.pid')}`,
    'StrictModes yes',
    'UsePAM yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    // On too, so that the disable_password test proves both ways in are closed.
    'KbdInteractiveAuthentication yes',
    'PermitRootLogin no',
    `AllowUsers ${c.user}`,
    'AuthorizedKeysFile .ssh/authorized_keys',
    `Subsystem sftp ${SFTP_SERVER}`,
    'UseDNS no',
    'LogLevel VERBOSE',
    ...c.extra,
    '',
  ].join('\n');
}

/**
 * The PAM service for a test sshd: /etc/pam.d/sshd as this system has it, with its `@include
 * common-auth` written out and `nodelay` on pam_unix, whose 2 s pause after each wrong password the
 * tests would otherwise wait out (they give wrong passwords on purpose). Password and
 * keyboard-interactive logins still go through PAM and pam_unix as on the system. Undefined when the
 * files do not have that shape: the sshd then uses the system's own service, pause included.
 */
function pamServiceText(): string | undefined {
  let sshd: string;
  let auth: string;
  try {
    sshd = readFileSync('/etc/pam.d/sshd', 'utf8');
    auth = readFileSync('/etc/pam.d/common-auth', 'utf8');
  } catch {
    return undefined;
  }
  const unix = /^auth\s.*\bpam_unix\.so\b.*$/m;
  if (!/^@include common-auth\s*$/m.test(sshd) || !unix.test(auth)) return undefined;
  const noDelay = auth.replace(unix, (line) => (/\bnodelay\b/.test(line) ? line : `${line} nodelay`));
  return `# dew test sshd (test/helpers/sshd.ts): /etc/pam.d/sshd without pam_unix's pause after a failure\n${sshd.replace(/^@include common-auth\s*$/m, () => noDelay.trimEnd())}`;
}

/** Lines this sshd version needs: OpenSSH 9.8+ penalises sources after failed logins, which the tests cause on purpose. */
async function versionLines(): Promise<string[]> {
  const r = await run(SSHD, ['-V']);
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(r.stderr + r.stdout);
  const v = m ? Number(m[1]) * 100 + Number(m[2]) : 0;
  return v >= 908 ? ['PerSourcePenalties no'] : [];
}

/** Resolves once sshd logs that it listens on `port`; rejects with its log if it exits first. */
function listening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const line = `Server listening on 127.0.0.1 port ${port}.`;
    const onData = () => {
      if (!log().includes(line)) return;
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number | null) => {
      child.stderr?.off('data', onData);
      reject(new Error(`sshd exited (${code}) before listening: ${log().slice(-800)}`));
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

function acceptsConnections(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

/** Something to undo: at teardown (`later`), or synchronously at exit if teardown never ran (`now`). */
interface Undo {
  later: () => Promise<void> | void;
  now: () => void;
}

/** What a crashed test process left: undone at exit, newest first. */
const pending: Undo[] = [];
let exitHook = false;

function undoOnExit(u: Undo): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const p of pending.splice(0).reverse()) {
        try {
          p.now();
        } catch {
          // Best effort while exiting.
        }
      }
    });
  }
  pending.push(u);
}

export async function startSshd(t: Teardown, opts: SshdOptions = {}): Promise<SshdHost> {
  // Undone in reverse order at teardown, whatever got created before a failure.
  const mine: Undo[] = [];
  const undo = (later: Undo['later'], now: Undo['now']) => {
    const u = { later, now };
    mine.push(u);
    undoOnExit(u);
  };
  t.teardown(async () => {
    let first: unknown;
    for (const u of mine.reverse()) {
      try {
        await u.later();
        pending.splice(pending.indexOf(u), 1);
      } catch (e) {
        // Go on with the rest; what failed is retried at exit.
        first ??= e;
      }
    }
    if (first) throw first;
  });

  const dir = mkdtempSync(join(tmpdir(), 'dew-sshd-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  undo(removeDir, removeDir);
  // sshd reads authorized_keys as the user and sftp-server runs as the user: both must get through
  // to the home dir. StrictModes checks the home dir and below only, so the 1777 /tmp is fine.
  chmodSync(dir, 0o755);

  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'ssh_host_ed25519_key')]);
  const hostKey = readFileSync(join(dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

  const user = `dewt${randomBytes(4).toString('hex')}`;
  const home = join(dir, 'home');
  await must('useradd', ['-M', '-U', '-d', home, '-s', '/bin/sh', user]);
  undo(
    () => must('userdel', ['-f', user]).then(() => undefined),
    () => void spawnSync('userdel', ['-f', user]),
  );
  const uid = Number((await must('id', ['-u', user])).trim());
  const gid = Number((await must('id', ['-g', user])).trim());
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, uid, gid);
  chmodSync(home, 0o700);
  const password = randomBytes(18).toString('base64url');
  await must('chpasswd', [], { input: `${user}:${password}\n` });

  if (opts.sudo) {
    // No dot in the name: sudo skips sudoers.d files whose names contain one.
    const file = `/etc/sudoers.d/dew-test-${user}`;
    writeFileSync(file, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    const removeFile = () => rmSync(file, { force: true });
    undo(removeFile, removeFile);
    await must('visudo', ['-c', '-q', '-f', file]);
  }

  // The privilege separation directory the Debian package creates at boot (tmpfiles.d).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  // sshd names its PAM service after the name it runs under (argv[0]): a symlink of that name.
  let sshdPath = SSHD;
  const pam = pamServiceText();
  if (pam) {
    const service = `dew-test-sshd-${user}`;
    const file = `/etc/pam.d/${service}`;
    writeFileSync(file, pam, { mode: 0o644 });
    const removeFile = () => rmSync(file, { force: true });
    undo(removeFile, removeFile);
    sshdPath = join(dir, service);
    symlinkSync(SSHD, sshdPath);
  }

  const askpass = join(dir, 'askpass');
  writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$DEW_TEST_ASKPASS"\n', { mode: 0o700 });

  const extra = await versionLines();
  const sshdConfigPath = join(dir, 'sshd_config');
  const pidFile = join(dir, 'sshd.pid');
  let log = '';
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    writeFileSync(sshdConfigPath, configText({ port, dir, user, extra }), { mode: 0o644 });
    // By absolute path: sshd re-executes itself (per connection, and on SIGHUP) from argv[0].
    // Its own process group, so no signal it sends to its group can reach the test runner.
    const c = spawn(sshdPath, ['-D', '-e', '-f', sshdConfigPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    c.stderr.on('data', (d) => (log += d));
    const exited = new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
    const running = () => c.exitCode === null && c.signalCode === null;
    undo(
      async () => {
        if (!running()) return;
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      },
      () => void (running() && c.kill('SIGKILL')),
    );
    try {
      await listening(c, port, () => log);
      child = c;
    } catch (e) {
      // Another process took the port between freePort() and sshd's bind.
      if (attempt < 5 && /Address already in use/.test(log)) {
        log = '';
        continue;
      }
      throw e;
    }
  }
  await acceptsConnections(port);

  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  const common = ['-F', '/dev/null', '-p', String(port), '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  const login = async (args: string[], env?: NodeJS.ProcessEnv): Promise<LoginResult> => {
    const r = await run('ssh', [...common, ...args, `${user}@127.0.0.1`, 'true'], { env, detached: true });
    return { code: r.code, stderr: r.stderr };
  };

  return {
    address: '127.0.0.1',
    port,
    user,
    password,
    home,
    hostKey,
    sshdConfigPath,
    pidFile,
    dir,
    log: () => log,
    sshLogin: (keyFile) => login(['-i', keyFile, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'PreferredAuthentications=publickey']),
    passwordLogin: (pw) =>
      login(['-o', 'PreferredAuthentications=password,keyboard-interactive', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'], {
        ...process.env,
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DEW_TEST_ASKPASS: pw,
      }),
  };
}
