/**
 * The remote side of disable_password, as shell commands run over the SSH session: who may edit
 * sshd_config (root, or root through `sudo -n`), reading it, and installing a new one. Every
 * argument reaches the shell single-quoted; the scripts are constants that take their inputs as
 * positional parameters, so no host or user text is ever parsed as shell code. The login shell
 * must be POSIX-like (sh, bash, dash, ksh, zsh).
 */
import { createHash } from 'node:crypto';
import { HostError, oneLine } from './host-error.js';
import type { Session } from './ssh-session.js';

/** Single-quotes `s` for a POSIX shell ('\'' for a quote inside). */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new TypeError('shellQuote: NUL cannot be passed to a shell');
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How commands reach root: directly (''), or through sudo without a password. */
export type RootPrefix = '' | 'sudo -n -- ';

const MAX_CONFIG = 1 << 20;
const CONFIG_MARKER = 'dew-sshd-config-follows';

/** Root directly, else `sudo -n`; else 'not_privileged' (nothing has been changed yet). */
export async function rootPrefix(s: Session, action: string): Promise<RootPrefix> {
  const id = await s.exec('checking the user id', 'id -u');
  // The last line: a chatty ~/.bashrc (bash sources it for sshd's commands) may print before it.
  if (id.code === 0 && id.stdout.toString('utf8').trim().split('\n').pop() === '0') return '';
  const sudo = await s.exec('checking sudo', 'sudo -n -- true');
  if (sudo.code === 0) return 'sudo -n -- ';
  const why = oneLine(sudo.stderr, 160) || `exit status ${sudo.code}`;
  throw new HostError('not_privileged', `${action} on ${s.target.endpoint} needs root: ${s.target.username} is not root and \`sudo -n\` was refused (${why}); nothing was changed`);
}

/** The sshd_config text (latin1, so every byte survives). */
export async function readConfig(s: Session, root: RootPrefix): Promise<string> {
  const path = s.target.sshdConfig;
  // After a marker line, so that whatever the login shell's startup files print is not taken for
  // the file (installConfig's hash check would refuse it anyway).
  const r = await s.exec(`reading ${path}`, `printf '%s\\n' ${CONFIG_MARKER} && ${root}cat -- ${shellQuote(path)}`);
  if (r.code !== 0) throw new HostError('remote_failed', `cannot read ${path} on ${s.target.endpoint}: ${oneLine(r.stderr, 200) || `exit status ${r.code}`}`);
  if (r.truncated || r.stdout.length > MAX_CONFIG) throw new HostError('remote_failed', `${path} on ${s.target.endpoint} is larger than ${MAX_CONFIG} bytes; dew does not rewrite it`);
  const out = r.stdout.toString('latin1');
  const at = out.indexOf(`${CONFIG_MARKER}\n`);
  if (at < 0) throw new HostError('remote_failed', `cannot read ${path} on ${s.target.endpoint}: the command's output is not what dew expects`);
  return out.slice(at + CONFIG_MARKER.length + 1);
}

export const sha256Hex = (text: string) => createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');

/**
 * Installs the new sshd_config read from stdin. $1 config path, $2 off|on|restore, $3 SHA-256 of
 * the text dew read (refuses when the file changed since), $4 user, $5 $SSH_CONNECTION.
 *  1. writes it beside the old one (cp -p first: same owner and mode);
 *  2. `sshd -t -f` validates it and `sshd -T -C user=…` prints what the user would get; for "off"
 *     both PasswordAuthentication and KbdInteractiveAuthentication must be "no";
 *  3. only then renames it over the old file and sends SIGHUP to the pid in its PidFile, if that
 *     names a running process (sshd re-executes itself and re-reads the file; open sessions stay).
 * Any failure before the rename removes the new file: the old one was never touched.
 */
const INSTALL = `set -u
cfg=$1 want=$2 old=$3 user=$4 conn=$5
PATH=$PATH:/usr/sbin:/sbin:/usr/local/sbin
die() { printf '%s\\n' "$2" >&2; exit "$1"; }
sshd=$(command -v sshd) || die 10 "sshd was not found on the host"
command -v sha256sum >/dev/null || die 10 "sha256sum was not found on the host"
[ -L "$cfg" ] && cfg=$(readlink -f -- "$cfg")
sum=$(sha256sum < "$cfg") || die 11 "cannot read $cfg"
[ "\${sum%% *}" = "$old" ] || die 12 "$cfg changed while dew was editing it; it was left as it is, try again"
tmp="$cfg.dew-$$"
trap 'rm -f -- "$tmp"' EXIT
{ cp -p -- "$cfg" "$tmp" && cat > "$tmp"; } || die 13 "cannot write $tmp"
out=$("$sshd" -t -f "$tmp" 2>&1) || die 20 "sshd -t rejects the new configuration, $cfg was left as it is: $out"
set -f; set -- $conn; set +f
spec="user=$user"
[ $# -ge 4 ] && spec="$spec,host=$1,addr=$1,laddr=$3,lport=$4"
eff=$("$sshd" -T -C "$spec" -f "$tmp" 2>&1) || die 21 "sshd -T fails on the new configuration, $cfg was left as it is: $eff"
val() { printf '%s\\n' "$eff" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
pw=$(val passwordauthentication); kbd=$(val kbdinteractiveauthentication); am=$(val authenticationmethods); pidfile=$(val pidfile)
if [ "$want" = off ] && { [ "$pw" != no ] || { [ -n "$kbd" ] && [ "$kbd" != no ]; }; }; then
  die 22 "an earlier setting in $cfg or a file it includes wins over dew's block for $user (PasswordAuthentication $pw, KbdInteractiveAuthentication $kbd); $cfg was left as it is"
fi
pid=
if [ -n "$pidfile" ] && [ "$pidfile" != none ] && [ -r "$pidfile" ]; then
  pid=$(head -n 1 -- "$pidfile")
  case $pid in ''|*[!0-9]*) pid= ;; esac
  [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && pid=
fi
mv -f -- "$tmp" "$cfg" || die 30 "cannot replace $cfg"
trap - EXIT
[ -z "$pid" ] || kill -HUP "$pid" || die 31 "$cfg was replaced but sshd (pid $pid) could not be told to reload"
printf 'password=%s\\nkbdinteractive=%s\\nmethods=%s\\nreloaded=%s\\n' "$pw" "$kbd" "$am" "\${pid:-none}"
`;

export interface Installed {
  /** What `sshd -T` says the user gets from the new file ("yes"/"no"; "" when not printed). */
  password: string;
  kbdInteractive: string;
  /** AuthenticationMethods for the user ("any" unless configured). */
  methods: string;
  /** The pid sent SIGHUP, or undefined when the PidFile named no running sshd (socket-activated, or not running). */
  reloadedPid?: number;
}

/** Installs `text` as sshd_config if the file still hashes to `expectSha256`; see INSTALL. */
export async function installConfig(s: Session, root: RootPrefix, text: string, expectSha256: string, want: 'off' | 'on' | 'restore'): Promise<Installed> {
  const path = s.target.sshdConfig;
  const args = [path, want, expectSha256, s.target.username].map(shellQuote).join(' ');
  // "$SSH_CONNECTION" is expanded by the login shell (sudo would drop it): the server's view of
  // this connection, so that Match Address/LocalPort blocks are evaluated as for a real login.
  const cmd = `${root}sh -c ${shellQuote(INSTALL)} dew-sshd-config ${args} "$SSH_CONNECTION"`;
  const r = await s.exec(`installing ${path}`, cmd, Buffer.from(text, 'latin1'));
  if (r.code !== 0) {
    throw new HostError('remote_failed', `changing ${path} on ${s.target.endpoint} failed: ${oneLine(r.stderr, 300) || `exit status ${r.code}`}`);
  }
  const out = Object.fromEntries(
    r.stdout
      .toString('utf8')
      .split('\n')
      .map((l) => /^(\w+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  const pid = /^\d+$/.test(out.reloaded ?? '') ? Number(out.reloaded) : undefined;
  return { password: out.password ?? '', kbdInteractive: out.kbdinteractive ?? '', methods: out.methods ?? '', reloadedPid: pid };
}
