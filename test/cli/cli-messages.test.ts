/**
 * The `dew` executable as a newcomer meets it: every command and subcommand with the daemon
 * stopped and with bad arguments ends with a non-zero exit and no stack trace; `--help`, `-h` and
 * `dew help X` describe every command and flag (exit 0); typos get the nearest name.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELP } from '../../provider/commands/help-table.js';
import { runCli } from '../../provider/cli.js';

// Some 200 `dew` processes: about a minute on an idle 2-core machine, several when it is loaded.
t.setTimeout(600_000);

const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');
const home = mkdtempSync(join(tmpdir(), 'dew-cli-messages-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function dew(argv: string[], env: Record<string, string> = {}, cwd = home): Run {
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * Runs many invocations, six at a time: each is its own process (a user's real path, including the
 * top-level error handler), and most of their time is process start-up or a refused connection.
 */
async function dewAll(list: { argv: string[]; env?: Record<string, string>; cwd?: string }[]): Promise<Run[]> {
  const results: Run[] = new Array(list.length);
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const { argv, env = {}, cwd = home } = list[i];
      const child = spawn(process.execPath, [cli, ...argv], { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        results[i] = { code, out, err };
        resolve();
      });
    });
  const worker = async () => {
    while (next < list.length) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(6, list.length) }, worker));
  return results;
}

/**
 * The same entry the executable runs (bin/dew.ts calls runCli), in this process with its output
 * captured: for the variants of a case already run as a real process, so the suite does not pay
 * a process start for each.
 */
async function dewHere(argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** Lines as Node prints a stack frame, or a library's error dump. */
const TRACE = /^\s+at |unexpected error|\bError: [A-Za-z]+Error\b|node:internal/m;

function commandPaths(): string[][] {
  const paths: string[][] = [];
  for (const [name, help] of Object.entries(HELP)) {
    paths.push([name]);
    for (const sub of Object.keys(help.subcommands ?? {})) paths.push([name, sub]);
  }
  return paths;
}

t.test('--help, -h and `dew help X` on every command and subcommand: a summary, every flag described, exit 0', async (t) => {
  // `--help` as a real process on every path; `-h` and `dew help X` in-process, and the same text.
  const paths = commandPaths();
  const spawned = await dewAll(paths.map((path) => ({ argv: [...path, '--help'] })));
  const runs: { path: string[]; argv: string[]; r: Run }[] = [];
  for (const [i, path] of paths.entries()) {
    runs.push({ path, argv: [...path, '--help'], r: spawned[i] });
    for (const argv of [[...path, '-h'], ['help', ...path]]) {
      const r = await dewHere(argv);
      t.equal(r.out, spawned[i].out, `dew ${argv.join(' ')} prints what dew ${path.join(' ')} --help prints`);
      runs.push({ path, argv, r });
    }
  }
  for (const { path, argv, r } of runs) {
    const help = path.length === 1 ? HELP[path[0]] : HELP[path[0]].subcommands![path[1]];
    {
      t.equal(r.code, 0, `dew ${argv.join(' ')} exits 0 (${r.err})`);
      t.ok(r.out.startsWith(help.summary + '\n'), `dew ${argv.join(' ')} starts with its one-line summary`);
      for (const f of help.flags ?? []) t.ok(r.out.includes(f.flag) && r.out.includes(f.text), `dew ${argv.join(' ')} describes ${f.flag}`);
    }
  }
  const top = dew(['--help']);
  t.equal(top.code, 0);
  for (const name of Object.keys(HELP)) t.match(top.out, new RegExp(`^  ${name} `, 'm'), `the command list names ${name}`);
  const listed = [...top.out.matchAll(/^  ([a-z-]+) /gm)].map((m) => m[1]);
  for (const name of listed) t.ok(HELP[name], `${name} has its row in the help table (provider/commands/help-table.ts)`);
});

t.test('help details the issue names', async (t) => {
  const destroy = dew(['destroy', '--help']).out;
  for (const flag of ['-destroy', '-out', '-markdown']) t.notMatch(destroy, new RegExp(`^\\s+${flag}\\b`, 'm'), `destroy's help does not offer ${flag}`);
  const quickstart = dew(['quickstart', '--help']).out;
  for (const word of ['DEW_LISTEN', '--data-dir', '--no-daemon-wait']) t.match(quickstart, word, `quickstart's help names ${word}`);
  const createKey = dew(['kms', 'create-key', '--help']);
  t.equal(createKey.code, 0, createKey.err);
  t.match(createKey.out, /--key-alias/, "a KMS operation's help lists its fields");
  t.match(createKey.out, /--key-spec\s.*AES_256/, 'with their values');
  const daemon = dew(['daemon', '--help']);
  t.equal(daemon.code, 0, daemon.err);
  t.match(daemon.out, /--listen HOST:PORT/);
});

t.test('an unknown command, subcommand or KMS operation names the nearest', async (t) => {
  const cases: [string[], string][] = [
    [['plna'], '"plan"'],
    [['kms', 'create-kye'], '"create-key"'],
    [['kms', 'create-kye', '--help'], '"create-key"'],
    [['iam', 'list-usr'], '"list-users"'],
    [['audit', 'verfy'], '"verify"'],
    [['auth', 'tokn'], '"token"'],
    [['help', 'aply'], '"apply"'],
  ];
  for (const [argv, near] of cases) {
    const r = dew(argv);
    t.not(r.code, 0, `dew ${argv.join(' ')} fails`);
    t.match(r.err, `Did you mean ${near}?`, `dew ${argv.join(' ')} suggests ${near}`);
    t.notMatch(r.err, TRACE, 'no trace');
  }
});

t.test('every command with the daemon stopped, and with bad arguments: non-zero exit, one message, no trace', async (t) => {
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const creds = join(home, 'down.json');
  writeFileSync(creds, JSON.stringify({ endpoint, project_id: 'p', access_key: 'AK', secret_key: 'SK' }));
  const stack = join(home, 'stack');
  mkdirSync(stack, { recursive: true });
  writeFileSync(join(stack, 'main.hcl'), 'dew {\n  stack = "down"\n}\n\nresource "dew_kms_key" "k" {\n  key_alias = "down-k"\n}\n\noutput "id" {\n  value = dew_kms_key.k.key_id\n}\n');
  const env = { DEW_CREDENTIALS: creds };
  // Each needs the daemon; quickstart and daemon would start one, so they only get bad arguments.
  const down: string[][] = [
    ['kms', 'list-keys'],
    ['kms', 'create-key', '--key-alias', 'x'],
    ['kms', 'encrypt-data', '--key-id', 'x', '--plain-text', 'hi'],
    ['kms', 'list-key-tags', '--key-id', 'x'],
    ['kps', 'list-keypairs'],
    ['kps', 'create-keypair', '--name', 'x', '--algorithm', 'SSH_ED25519'],
    ['kps', 'associate-keypair', '--keypair-name', 'x', '--server', '{"id":"h"}', '--wait'],
    ['kps', 'export-private-key', '--name', 'x', '--out', join(home, 'x.key')],
    ['csms', 'list-secrets'],
    ['csms', 'create-secret', '--name', 'x', '--secret-string', 'never-printed'],
    ['csms', 'get', 'db'],
    ['csms', 'get', 'db', '--stage', 'prod'],
    ['hsm', 'list'],
    ['hsm', 'create', '--name', 'x', '--specification', 'software'],
    ['hsm', 'show', '--hsm-id', 'x'],
    ['kms', 'list-keystores'],
    ['auth', 'token'],
    ['auth', 'token', '-json'],
    ...Object.keys(HELP.iam.subcommands!).map((s) => ['iam', s, 'u', 'KMS Administrator']),
    ['iam', 'set-ip-acl', '10.0.0.0/8'],
    ['operator', 'status'],
    ['operator', 'init', '--shares', '3', '--threshold', '2'],
    ['operator', 'unseal', 'dew1-share'],
    ['operator', 'unseal'],
    ['operator', 'seal'],
    ['operator', 'rekey', '--to', 'dev'],
    ['audit', 'list'],
    ['audit', 'usage', '--key', 'x'],
    ['audit', 'verify'],
    ['audit', 'verify', '--data-dir', join(home, 'nonexistent')],
    ['audit', 'verify', '--db', `file:${join(home, 'nonexistent.db')}`],
    ['console', '--no-open'],
    ['rotate', '--key', 'x'],
    ['rotate', '--due', '--data-dir', join(home, 'nonexistent')],
    ['plan', stack],
    ['apply', stack, '-auto-approve'],
    ['destroy', stack, '-auto-approve'],
    ['show', stack],
    ['output', '-chdir', stack],
    ['envelope', 'encrypt', '-key-id', 'x', join(stack, 'main.hcl'), join(home, 'main.hcl.enc')],
    ['state', 'list', '-chdir', stack],
    ['import', '-chdir', stack, 'dew_kms_key.k', 'x'],
    ['force-unlock', '-chdir', stack, '-force', 'lock-id'],
  ];
  const downRuns = await dewAll(down.map((argv) => ({ argv, env })));
  for (const [i, argv] of down.entries()) {
    const r = downRuns[i];
    t.not(r.code, 0, `dew ${argv.join(' ')} with the daemon stopped fails`);
    t.notMatch(r.err + r.out, TRACE, `dew ${argv.join(' ')}: no trace\n${r.err}`);
    const offline = argv.includes('--data-dir') || argv.includes('--db');
    t.match(r.err, offline ? /no database at/ : new RegExp(`${endpoint.replace(/\./g, '\\.')}|dew daemon`), `dew ${argv.join(' ')} names the endpoint or the database and what to do`);
  }
  const names = new Set(down.map((a) => a[0]));
  for (const name of Object.keys(HELP)) if (!['daemon', 'quickstart', 'validate', 'fmt', 'terraform'].includes(name)) t.ok(names.has(name), `${name} is run with the daemon stopped`);

  const noCreds = dew(['kms', 'list-keys'], {}, stack);
  t.equal(noCreds.code, 1);
  t.match(noCreds.err, 'DEW_CREDENTIALS', 'no credentials: says DEW_CREDENTIALS');
  t.match(noCreds.err, join(stack, '.dew', 'credentials.json'), 'and names the folder searched');
  t.match(noCreds.err, join(home, '.dew', 'credentials.json'), 'and its parents');

  // A bad flag as a real process on every path; a bad flag with a value and stray words in-process.
  const badArgs = commandPaths().map((path) => [...path, '--no-such-flag']);
  const badRuns = await dewAll(badArgs.map((argv) => ({ argv, env })));
  const saved = process.env.DEW_CREDENTIALS;
  process.env.DEW_CREDENTIALS = creds;
  t.teardown(() => {
    if (saved === undefined) delete process.env.DEW_CREDENTIALS;
    else process.env.DEW_CREDENTIALS = saved;
  });
  for (const path of commandPaths()) {
    const argv = [...path, '--no-such-flag=1', 'extra', 'words'];
    badArgs.push(argv);
    badRuns.push(await dewHere(argv));
  }
  for (const [i, argv] of badArgs.entries()) {
    {
      const r = badRuns[i];
      t.not(r.code, 0, `dew ${argv.join(' ')} fails`);
      t.notMatch(r.err + r.out, TRACE, `dew ${argv.join(' ')}: no trace\n${r.err}`);
      t.ok(r.err.trim().length > 0, `dew ${argv.join(' ')} says why`);
    }
  }
});

t.test('credentials in a parent folder are found (a stack folder inside the one the daemon runs in)', async (t) => {
  const port = await closedPort();
  const root = join(home, 'project');
  mkdirSync(join(root, '.dew'), { recursive: true });
  mkdirSync(join(root, 'stacks', 'app'), { recursive: true });
  writeFileSync(join(root, '.dew', 'credentials.json'), JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, project_id: 'p', access_key: 'AK', secret_key: 'SK' }));
  const r = dew(['kms', 'list-keys'], {}, join(root, 'stacks', 'app'));
  t.equal(r.code, 1);
  t.match(r.err, `cannot reach the dew daemon at http://127.0.0.1:${port}`, 'the parent folder\'s credentials were used');
});
