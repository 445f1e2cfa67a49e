/**
 * The block dew manages at the end of sshd_config to turn password login off for one user:
 *
 *   # BEGIN dew disable_password alice
 *   # Managed by dew (key pair binding): password login is off for alice. Turn it back on through dew.
 *   Match User alice
 *   	PasswordAuthentication no
 *   	KbdInteractiveAuthentication no
 *   Match all
 *   # END dew disable_password alice
 *
 * sshd_config(5): a Match block's settings win over the global ones for the connections it
 * matches, but among Match blocks the first value obtained wins — so an earlier block that sets
 * these for the user beats this one (password-login.ts checks the effect with `sshd -T`).
 * KbdInteractiveAuthentication goes too because PAM serves passwords through keyboard-interactive.
 * `Match all` ends the block, so lines appended after it later are not scoped to the user.
 * Everything outside the block is kept byte for byte; turning password login back on removes it.
 */
export class BlockError extends Error {
  override readonly name = 'BlockError';
}

const beginOf = (user: string) => `# BEGIN dew disable_password ${user}`;
const endOf = (user: string) => `# END dew disable_password ${user}`;

/** The block for `user` (a name already checked against ^[a-z_][a-z0-9_.-]*$). */
export function passwordBlock(user: string): string {
  return [
    beginOf(user),
    `# Managed by dew (key pair binding): password login is off for ${user}. Turn it back on through dew.`,
    `Match User ${user}`,
    '\tPasswordAuthentication no',
    '\tKbdInteractiveAuthentication no',
    'Match all',
    endOf(user),
    '',
  ].join('\n');
}

/**
 * `config` with password login for `user` off (`enabled` false: the block at the end, once) or
 * back to what the rest of the file says (true: no block). Throws BlockError for a damaged block
 * (a BEGIN without its END or the reverse), which dew will not guess at.
 */
export function withPasswordLogin(config: string, user: string, enabled: boolean): string {
  const lines = config.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const begin = beginOf(user);
  const end = endOf(user);
  const bare = (l: string) => l.replace(/\r?\n$/, '').trimEnd();
  const kept: string[] = [];
  let inside = false;
  for (const l of lines) {
    const b = bare(l);
    if (b === begin) {
      if (inside) throw new BlockError(`two "${begin}" lines without "${end}" between them`);
      inside = true;
    } else if (b === end) {
      if (!inside) throw new BlockError(`"${end}" without "${begin}" before it`);
      inside = false;
    } else if (!inside) {
      kept.push(l);
    }
  }
  if (inside) throw new BlockError(`"${begin}" without "${end}" after it`);
  const rest = kept.join('');
  if (enabled) return rest;
  const sep = rest === '' || rest.endsWith('\n') ? '' : '\n';
  return `${rest}${sep}${passwordBlock(user)}`;
}
