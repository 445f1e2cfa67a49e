/** Every `dew` command, subcommand and flag with its one-line description: the data `--help`, `dew help X` and suggestions read. */
import { CliError } from '../cli-error.js';
import { didYouMean } from '../config/did-you-mean.js';

export interface FlagHelp {
  /** As typed, with its value: `-target ADDR`, `--key ID`. */
  readonly flag: string;
  readonly text: string;
}

export interface CommandHelp {
  readonly summary: string;
  readonly usage: string;
  readonly flags?: readonly FlagHelp[];
  /** Environment variables the command reads. */
  readonly env?: readonly FlagHelp[];
  readonly subcommands?: Readonly<Record<string, CommandHelp>>;
  /** Extra lines after the flags (examples, value lists). */
  readonly notes?: readonly string[];
}

const f = (flag: string, text: string): FlagHelp => ({ flag, text });

const CREDENTIALS = f('-credentials FILE', 'daemon credentials file (default: DEW_CREDENTIALS, DEW_* variables, then .dew/credentials.json here or in a parent folder)');
const CONFIG: readonly FlagHelp[] = [
  f('-chdir DIR', 'read the configuration in DIR (default: the working directory, or the DIR argument)'),
  f('-var NAME=VALUE', 'set an input variable (repeatable; later wins)'),
  f('-var-file FILE', 'read input variables from a .dewvars/.tfvars file (repeatable)'),
  CREDENTIALS,
  f('-no-color', 'no colour in the output (also NO_COLOR)'),
];
const PLAN_SHAPE: readonly FlagHelp[] = [
  f('-target ADDR', 'plan only ADDR and what it needs (repeatable)'),
  f('-replace ADDR', 'plan to replace ADDR even when it has not changed (repeatable)'),
  f('-parallelism N', 'at most N operations at a time (default 10)'),
];
const OFFLINE_DB: readonly FlagHelp[] = [
  f('--db URL', 'the daemon database (file:, libsql://, http://; default: DIR/dew.db)'),
  f('--data-dir DIR', 'the daemon data folder (default: DEW_DATA_DIR or .dew)'),
];
const KEY_ID = f('--key ID', 'key id or alias');

export const HELP: Readonly<Record<string, CommandHelp>> = Object.freeze({
  daemon: {
    summary: 'run the KMS daemon',
    usage: 'dew daemon [flags]',
    flags: [
      f('--listen HOST:PORT', 'address to serve (default DEW_LISTEN or 127.0.0.1:8787; :PORT is loopback, port 0 picks a free one)'),
      f('--data-dir DIR', 'data folder: database, master key, credentials.json (default .dew)'),
      f('--db URL', 'database URL instead of DIR/dew.db (file:, libsql://, http://, ws://)'),
      f('--region NAME', 'region name in answers and tokens'),
      f('--key-quota N', 'keys an account may hold (pending deletion included)'),
      f('--sync-interval MS', 'how often replicas pick up changes'),
      f('--schedule CRON|off', 'when rotation and deletion jobs run (off: use `dew rotate --due`)'),
      f('--audit on|off', 'record the audit trail'),
      f('--audit-flush MS', 'audit writer flush interval'),
      f('--seal MODE', 'how a new database keeps its master key: dev (default), passphrase, shamir (starts sealed: dew operator init/unseal), pkcs11'),
      f('--pkcs11-library PATH', 'the PKCS#11 module (pkcs11 seal mode, HSM instances)'),
      f('--pkcs11-token LABEL', 'pkcs11 seal mode: the token whose key wraps the master key'),
      f('--workers N', 'processes serving the one address, 1 to 64 (default: one a core; 1: one process; shamir: always 1)'),
    ],
    env: [
      f('DEW_LISTEN', 'as --listen'),
      f('DEW_DATA_DIR', 'as --data-dir'),
      f('DEW_DB', 'as --db'),
      f('DEW_SEAL', 'as --seal'),
      f('DEW_MASTER_PASSPHRASE', 'passphrase mode: the passphrase'),
      f('DEW_PKCS11_LIBRARY', 'as --pkcs11-library'),
      f('DEW_PKCS11_TOKEN', 'as --pkcs11-token'),
      f('DEW_PKCS11_PIN', 'pkcs11 seal mode: the token\'s user PIN (never a flag)'),
      f('DEW_WORKERS', 'as --workers'),
    ],
  },
  kms: {
    summary: 'call any KMS operation and print the JSON answer',
    usage: "dew kms <operation> [--field-name value]… [--json '{…}'] [-credentials FILE]",
    flags: [f('--FIELD-NAME VALUE', "a field of the request body (the API's name, - for _)"), f('--json JSON', 'fields as one JSON object'), CREDENTIALS],
    notes: [
      'e.g. dew kms create-key --key-alias app',
      '     dew kms encrypt-data --key-id app --plain-text hi',
      '     dew kms import-material --key KEY --file material.bin|key.pem   (wraps locally, then imports)',
      '     dew kms create-keystore --keystore-alias vault --hsm-cluster-id HSM_ID   (keystores: create-, list-, show-,',
      '     enable-, disable-, delete-keystore; keys in one: create-key --keystore-id ID)',
      '`dew kms <operation> --help` lists the fields of one operation.',
    ],
  },
  kps: {
    summary: 'call any key pair service (KPS) operation: SSH key pairs, hosts, binding tasks',
    usage: "dew kps <operation> [--field-name value]… [--json '{…}'] [-credentials FILE]",
    flags: [
      f('--FIELD-NAME VALUE', "a field of the request body: of the inner object for {\"keypair\":{…}} and {\"host\":{…}} bodies (- for _)"),
      f('--name / --host-id / --task-id', 'the key pair, host or task a path names'),
      f('--limit / --marker / --offset', 'paging of the list operations'),
      f('--json JSON', 'the whole request body (fields go on top, inside its wrapper)'),
      CREDENTIALS,
    ],
    notes: [
      'e.g. dew kps create-keypair --name k1 --algorithm SSH_ED25519',
      '     dew kps export-private-key --name k1 --format ppk --out k1.ppk   (mode 0600)',
      '     dew kps associate-keypair --keypair-name k1 --server \'{"id":"web1","auth":{"type":"password","key":"…"}}\' --wait',
      '     dew kps convert …   (key files between OpenSSH, PKCS#8, PKCS#1 and .ppk, offline)',
      '`dew kps <operation> --help` lists the fields of one operation.',
    ],
  },
  csms: {
    summary: 'call any secret service (CSMS) operation: secrets, versions, stages, events; get prints a value',
    usage: "dew csms <operation> [--field-name value]… [--json '{…}'] [-credentials FILE] | dew csms get NAME",
    flags: [
      f('--FIELD-NAME VALUE', 'a field of the request body (the API\'s name, - for _)'),
      f('--name / --version-id / --stage', 'the secret (or event), version and stage a path names'),
      f('--limit / --marker', 'paging of the list operations'),
      f('--json JSON', 'the whole request body (fields go on top)'),
      CREDENTIALS,
    ],
    notes: [
      'e.g. dew csms create-secret --name db --secret-string "$(cat db.txt)"',
      '     dew csms create-version --name db --secret-string "$NEW"   (the new version takes SYSCURRENT)',
      '     dew csms update-stage --name db --stage prod --version-id v2',
      '     dew csms schedule-deletion --name db --recovery-window-in-days 7   (undo: cancel-deletion --name db)',
      '     export DB_PASSWORD="$(dew csms get db)"',
      'Operations are named as the API\'s (create-secret-version, …); the everyday ones also go by shorter names:',
      '  schedule-deletion, cancel-deletion, create-version, list-versions, show-version, update-version,',
      '  update-stage, show-stage, delete-stage, rotate, backup, restore, list-tasks.',
      '`dew csms <operation> --help` lists the fields of one operation; `dew csms get --help` the value reader.',
    ],
  },
  hsm: {
    summary: 'dedicated HSM instances: create, list, show, update, freeze, unfreeze, delete, token, job',
    usage: "dew hsm <operation> [--field-name value]… [--credential-file FILE] [--wait] [-credentials FILE]",
    flags: [
      f('--FIELD-NAME VALUE', "a field of the request body (the API's name, - for _)"),
      f('--hsm-id / --job-id', 'the instance or job a path names'),
      f('--limit / --offset', 'paging of list'),
      f('--credential-file FILE', 'create: write the admin credential to FILE (mode 0600, never over an existing file); freeze, unfreeze, delete, token: read it from FILE'),
      f('--wait', 'create, freeze, unfreeze, delete: wait for the job to end'),
      CREDENTIALS,
    ],
    env: [f('DEW_HSM_CREDENTIAL', 'the admin credential itself (dhsm_…), for privileged operations without --credential-file')],
    notes: [
      'e.g. dew hsm create --name vault --specification software --credential-file vault.cred --wait',
      '     dew hsm freeze --hsm-id ID --credential-file vault.cred --wait',
      '     dew kms create-keystore --keystore-alias vault --hsm-cluster-id ID   (then keys with --keystore-id)',
      'The admin credential is the instance owner\'s: create shows it once (or writes it to --credential-file) and',
      'the daemon keeps only its hash; freeze, unfreeze, delete and token refuse without it.',
      '`dew hsm <operation> --help` lists the fields of one operation.',
    ],
  },
  auth: {
    summary: 'auth token: get an X-Auth-Token for DEW_TOKEN',
    usage: 'dew auth token [-json] [-credentials FILE]',
    subcommands: {
      token: {
        summary: 'trade the access key for a 24-hour X-Auth-Token; prints the bare token (DEW_TOKEN="$(dew auth token)")',
        usage: 'dew auth token [-json] [-credentials FILE]',
        flags: [f('-json', 'print {"token", "expires_at"} as JSON instead of the bare token'), CREDENTIALS],
      },
    },
  },
  iam: {
    summary: 'users, access keys, roles and IP allow-lists (admin)',
    usage: 'dew iam <command> [args] [-credentials FILE]',
    notes: [
      'Roles: "KMS Administrator" (admin), "KMS CMKFullAccess" (full-access), "KMS ReadOnlyAccess" (read-only).',
      'ACCOUNT is an account name or domain id; naming an unknown one in create-user creates it.',
    ],
    subcommands: {
      'create-user': { summary: 'new user and AK/SK (the secret is shown once)', usage: 'dew iam create-user NAME [--role ROLE]… [--account ACCOUNT]', flags: [f('--role ROLE', 'a role for the user (repeatable)'), f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'list-users': { summary: 'the users of the account', usage: 'dew iam list-users [--account ACCOUNT]', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'delete-user': { summary: 'delete a user (USER is an id or name)', usage: 'dew iam delete-user USER [--account ACCOUNT]', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'create-access-key': { summary: 'a new AK/SK for USER (the secret is shown once)', usage: 'dew iam create-access-key USER [--account ACCOUNT]', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'delete-access-key': { summary: 'delete the access key AK', usage: 'dew iam delete-access-key AK', flags: [CREDENTIALS] },
      'set-roles': { summary: 'replace the roles of USER (none given: no role)', usage: 'dew iam set-roles USER [ROLE…] [--account ACCOUNT]', flags: [f('--role ROLE', 'a role (repeatable, as the positional ROLEs)'), f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'assign-role': { summary: 'add one role to USER', usage: 'dew iam assign-role USER ROLE [--account ACCOUNT]', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'set-ip-acl': { summary: 'set the IPv4/IPv6 allow-list of the account', usage: 'dew iam set-ip-acl [--account ACCOUNT] CIDR…', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'clear-ip-acl': { summary: 'remove the allow-list of the account', usage: 'dew iam clear-ip-acl [--account ACCOUNT]', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
      'show-ip-acl': { summary: 'print the allow-list of the account', usage: 'dew iam show-ip-acl [--account ACCOUNT]', flags: [f('--account ACCOUNT', 'the account (default: yours)'), CREDENTIALS] },
    },
  },
  operator: {
    summary: 'the master key: init with shares, unseal, seal, status, rekey to another mode',
    usage: 'dew operator <command> [flags]',
    notes: [
      'init, unseal and status need no credentials (the shares are the credential); seal and rekey need an operator administrator.',
      'Shares, passphrases and PINs are read from the terminal (not echoed) or standard input, never needed on the command line.',
    ],
    subcommands: {
      status: { summary: 'mode, sealed or not, unseal progress', usage: 'dew operator status [--endpoint URL] [--json]', flags: [f('--endpoint URL', 'the daemon (default: DEW_ENDPOINT, the credentials\' endpoint, http://127.0.0.1:8787)'), f('--json', 'print the status as JSON')] },
      init: {
        summary: 'split a new master key into N shares, K needed (a daemon started with --seal shamir on a new database)',
        usage: 'dew operator init --shares N --threshold K [--endpoint URL] [--json]',
        flags: [f('--shares N', 'shares to make, 2 to 16'), f('--threshold K', 'shares needed to unseal, 2 to N (1 would make each share the key itself)'), f('--endpoint URL', 'the daemon'), f('--json', 'print the shares as JSON')],
        notes: ['The shares are printed once: store them apart; the daemon stays sealed until K are given.'],
      },
      unseal: { summary: 'give one share (read from the terminal or stdin when not given); at K the daemon serves', usage: 'dew operator unseal [SHARE] [--endpoint URL] [--json]', flags: [f('--endpoint URL', 'the daemon'), f('--json', 'print the status as JSON')] },
      seal: { summary: 'stop the services and wipe the master key from memory: every API call answers 503', usage: 'dew operator seal [-credentials FILE]', flags: [CREDENTIALS] },
      rekey: {
        summary: 'move to a new master key in another mode; only the partition roots are re-sealed',
        usage: 'dew operator rekey --to dev|passphrase|shamir|pkcs11 [--shares N --threshold K] [--pkcs11-token LABEL] | --verify [SHARE] | --cancel',
        flags: [
          f('--to MODE', 'dev (a key file in the data dir), passphrase, shamir (new shares, given back before the commit) or pkcs11'),
          f('--shares N / --threshold K', 'shamir: the new split'),
          f('--pkcs11-token LABEL', 'pkcs11: the token (of the daemon\'s --pkcs11-library) whose new key wraps the master key'),
          f('--verify [SHARE]', 'give back the new shares of a pending shamir rekey'),
          f('--cancel', 'drop a pending shamir rekey'),
          CREDENTIALS,
        ],
        notes: ['A daemon killed during a rekey starts with the old master key or the new one, never neither.'],
      },
    },
    env: [
      f('DEW_ENDPOINT', 'the daemon, as --endpoint'),
      f('DEW_NEW_MASTER_PASSPHRASE', 'rekey --to passphrase: the new passphrase (else asked twice)'),
      f('DEW_PKCS11_PIN', 'rekey --to pkcs11: the token\'s user PIN (else asked)'),
    ],
  },
  validate: { summary: 'check the configuration files (no daemon needed)', usage: 'dew validate [DIR] [flags]', flags: [...CONFIG, f('-json', 'print the result as JSON')] },
  fmt: {
    summary: 'rewrite configuration files in canonical style',
    usage: 'dew fmt [DIR|FILE…] [flags]',
    flags: [f('-check', 'change nothing; exit 3 when a file is not canonical'), f('-diff', 'print the changes as a diff'), f('-chdir DIR', 'work in DIR')],
  },
  plan: {
    summary: 'show what apply would change',
    usage: 'dew plan [DIR] [flags]',
    flags: [
      ...CONFIG,
      f('-out FILE', 'save the plan for `dew apply FILE`'),
      f('-json', 'print the plan as JSON'),
      f('-markdown', 'print the plan as Markdown (for a pull-request comment)'),
      f('-detailed-exitcode', 'exit 0 when nothing changes, 2 when something would'),
      f('-destroy', 'plan to destroy every object the stack owns'),
      ...PLAN_SHAPE,
    ],
  },
  apply: {
    summary: 'apply the configuration or a saved plan',
    usage: 'dew apply [DIR|PLANFILE] [flags]',
    flags: [
      ...CONFIG,
      f('-auto-approve', 'do not ask for approval'),
      f('-stack NAME', 'the stack (default: the configuration\'s)'),
      f('-json', 'print the plan as JSON'),
      f('-markdown', 'print the plan as Markdown'),
      f('-detailed-exitcode', 'exit 2 when something changed'),
      f('-destroy', 'destroy instead (as `dew destroy`)'),
      ...PLAN_SHAPE,
    ],
  },
  destroy: {
    summary: 'destroy every object the stack owns',
    usage: 'dew destroy [DIR] [flags]',
    flags: [...CONFIG, f('-auto-approve', 'do not ask for approval'), f('-stack NAME', 'the stack (default: the configuration\'s)'), f('-json', 'print the plan as JSON'), f('-detailed-exitcode', 'exit 2 when something changed'), ...PLAN_SHAPE],
  },
  show: { summary: 'show a saved plan or the stack', usage: 'dew show [PLANFILE] [flags]', flags: [...CONFIG, f('-json', 'print as JSON'), f('-stack NAME', 'the stack (default: the configuration\'s)')] },
  output: { summary: 'print output values', usage: 'dew output [NAME] [flags]', flags: [...CONFIG, f('-json', 'print as JSON'), f('-raw', 'print a string value without quotes')] },
  state: {
    summary: 'state list|show: the objects the stack owns',
    usage: 'dew state <list|show> [flags]',
    subcommands: {
      list: { summary: 'the addresses of the objects the stack owns', usage: 'dew state list [ADDRESS…] [flags]', flags: [...CONFIG, f('-stack NAME', 'the stack (default: the configuration\'s)'), f('-id ID', 'only the object with this id')] },
      show: { summary: 'the attributes of one object', usage: 'dew state show ADDRESS [flags]', flags: [...CONFIG, f('-stack NAME', 'the stack (default: the configuration\'s)')] },
    },
  },
  envelope: {
    summary: 'envelope encrypt|decrypt: files of any size under a data key from the daemon (- = stdin/stdout)',
    usage: 'dew envelope <encrypt|decrypt> [flags] IN OUT',
    subcommands: {
      encrypt: {
        summary: 'encrypt IN to OUT under a fresh data key wrapped by -key-id',
        usage: 'dew envelope encrypt -key-id K [-chunk-size N] IN OUT',
        flags: [f('-key-id K', 'the master key (id or alias) that wraps the data key (required)'), f('-chunk-size N', 'plaintext bytes per authenticated chunk (4096..16777216, default 1048576)'), f('-credentials FILE', 'credentials file (else DEW_* variables or the usual fallbacks)')],
      },
      decrypt: {
        summary: 'decrypt IN to OUT: needs only the file and credentials',
        usage: 'dew envelope decrypt IN OUT',
        flags: [f('-credentials FILE', 'credentials file (else DEW_* variables or the usual fallbacks)')],
      },
    },
  },
  import: { summary: 'import ADDR ID: adopt an existing object into the stack', usage: 'dew import [flags] ADDR ID', flags: CONFIG },
  quickstart: {
    summary: 'start the daemon, apply examples/quickstart (or DIR), keep the daemon running',
    usage: 'dew quickstart [DIR] [flags]',
    flags: [
      f('--data-dir DIR', 'daemon data folder (default: DEW_DATA_DIR or .dew)'),
      f('--listen HOST:PORT', 'address the daemon serves (default: DEW_LISTEN or 127.0.0.1:8787; :PORT is loopback, :0 a free port)'),
      f('--no-daemon-wait', 'stop the daemon after the apply instead of keeping it in the foreground'),
    ],
    env: [
      f('DEW_LISTEN', 'as --listen; set another when the port is taken'),
      f('DEW_DATA_DIR', 'as --data-dir'),
      f('DEW_CREDENTIALS', 'credentials file to use (default DIR/credentials.json of the data folder)'),
    ],
  },
  rotate: {
    summary: 'rotate --due: run the scheduled key jobs once; rotate --key ID: rotate now',
    usage: 'dew rotate --due [--db URL] [--data-dir DIR] | dew rotate --key ID [-credentials FILE]',
    flags: [f('--due', 'run the due rotations, deletions and material expiries once, on the database (cron-friendly)'), ...OFFLINE_DB, f('--key ID', 'rotate this key now through the daemon'), CREDENTIALS],
  },
  audit: {
    summary: 'audit list|usage|verify: read and check the audit trail',
    usage: 'dew audit <list|usage|verify> [flags]',
    subcommands: {
      list: {
        summary: 'audit records you may read, newest last (--newest-first: the latest first)',
        usage: 'dew audit list [--key ID] [--since TIME] [--limit N] [--newest-first] [--json]',
        flags: [f('--key ID', 'only records about this key'), f('--since TIME', 'epoch milliseconds or ISO 8601 (2030-01-01T00:00:00Z)'), f('--limit N', 'at most N records (default 1000)'), f('--newest-first', 'the latest records first: with --limit, the last N calls'), f('--json', 'print JSON'), CREDENTIALS],
      },
      usage: { summary: 'how a key was used', usage: 'dew audit usage --key ID [--days N]', flags: [KEY_ID, f('--days N', 'also count each of the last N UTC days (1 to 366), oldest first'), CREDENTIALS] },
      verify: {
        summary: 'check every audit chain: through the daemon, or on the database with --db/--data-dir',
        usage: 'dew audit verify [-credentials FILE] | dew audit verify --db URL | --data-dir DIR',
        flags: [CREDENTIALS, ...OFFLINE_DB],
        notes: ['Exit 0 when every chain is intact, 1 naming the first bad record.'],
      },
    },
  },
  console: {
    summary: 'print a one-time sign-in link to the web console (and open it in a browser)',
    usage: 'dew console [--no-open] [--json] [-credentials FILE]',
    flags: [
      f('--no-open', 'only print the link; do not start a browser'),
      f('--json', 'print {"url", "expires_at"} as JSON'),
      CREDENTIALS,
    ],
    notes: [
      'The link signs the current credentials in at <daemon>/console/; it works once, within 2 minutes,',
      'and the session it starts lasts 8 hours or until Sign out. A browser is opened (xdg-open) only',
      'when DISPLAY or WAYLAND_DISPLAY is set; the link is printed either way.',
    ],
  },
  terraform: {
    summary: 'the dew provider for Terraform: install it for terraform init, or print a dev_overrides CLI config',
    usage: 'dew terraform <install|dev-overrides> [--dir DIR]',
    subcommands: {
      install: {
        summary: 'write the provider launcher where terraform init finds it offline (~/.terraform.d/plugins) and print the required_providers snippet',
        usage: 'dew terraform install [--dir DIR]',
        flags: [f('--dir DIR', 'another plugin directory, same layout under it (then terraform init -plugin-dir DIR)')],
        notes: ['The launcher runs this Node on dist/provider/terraform/main.js; the source is "dew.local/dew/dew".'],
      },
      'dev-overrides': {
        summary: 'print a provider_installation CLI config with dev_overrides for the installed provider (plan/apply without init)',
        usage: 'dew terraform dev-overrides [--dir DIR]',
        flags: [f('--dir DIR', 'the plugin directory given to install --dir')],
      },
    },
  },
  'force-unlock': {
    summary: 'force-unlock ID: release a stuck stack lock',
    usage: 'dew force-unlock LOCK_ID [flags]',
    flags: [...CONFIG, f('-stack NAME', 'the stack (default: the configuration\'s)'), f('-force', 'do not ask for confirmation')],
  },
});

/** `dew csms get --help`. */
export const CSMS_GET_HELP: CommandHelp = Object.freeze({
  summary: 'print a secret\'s value and nothing else (the latest version unless told otherwise)',
  usage: 'dew csms get NAME [--version V | --stage STAGE] [--base64] [-credentials FILE]',
  flags: [
    f('--version V', 'this version (v1, v2, …; default latest)'),
    f('--stage STAGE', 'the version this stage points at (SYSCURRENT, SYSPREVIOUS or your own)'),
    f('--base64', 'print a binary value as Base64 instead of raw bytes'),
    CREDENTIALS,
  ],
  notes: [
    'Text is printed as it is, with a newline after it only on a terminal: `dew csms get db > db.txt` writes the',
    'exact value, and `export DB_PASSWORD="$(dew csms get db)"` gets it (the shell strips trailing newlines).',
    'A binary value is written as raw bytes (not to a terminal: use --base64 there). A missing secret, version or',
    'stage is one line on stderr and exit 1.',
  ],
});

/** The help text of `dew NAME [SUB]`. */
export function renderHelp(help: CommandHelp): string {
  const lines = [`${help.summary}`, '', `usage: ${help.usage}`];
  if (help.subcommands) {
    lines.push('', 'commands:');
    const w = Math.max(...Object.keys(help.subcommands).map((n) => n.length)) + 2;
    for (const [n, s] of Object.entries(help.subcommands)) lines.push(`  ${n.padEnd(w)}${s.summary}`);
  }
  const table = (title: string, rows: readonly FlagHelp[] | undefined) => {
    if (!rows?.length) return;
    const w = Math.max(...rows.map((r) => r.flag.length)) + 2;
    lines.push('', `${title}:`, ...rows.map((r) => `  ${r.flag.padEnd(w)}${r.text}`));
  };
  table('flags', help.flags);
  table('environment', help.env);
  if (help.notes?.length) lines.push('', ...help.notes);
  return lines.join('\n') + '\n';
}

/** The usage error for `dew COMMAND SUB` when SUB is not one of the command's subcommands, naming the nearest. */
export function unknownSubcommand(command: string, sub: string | undefined): CliError {
  const help = HELP[command];
  const names = Object.keys(help?.subcommands ?? {});
  if (sub === undefined) return new CliError('usage', `dew ${command} needs a command: ${names.join(', ')}`, { hint: help && renderHelp(help).trimEnd(), exitCode: 2 });
  const near = didYouMean(sub, names);
  return new CliError('usage', `dew ${command}: unknown command ${sub}${near ? `. Did you mean "${near}"?` : ''}`, { hint: help && renderHelp(help).trimEnd(), exitCode: 2 });
}
