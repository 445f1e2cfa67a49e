/**
 * The README runs as written (issue 11.8): every ```sh block, in order, in one shell, in the folder
 * where `dew quickstart` runs, against that fresh daemon. The first block is the newcomer's two
 * commands: the test does its `dew quickstart` itself (no `npm ci`; `npm test` is the suite this
 * runs in). Any other block is left out only when the line before it says
 * `<!-- readme-test: … -->`, and the test pins which blocks those are, so a block cannot be excused
 * quietly. A failing line is reported with its README line number.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd } from '../helpers/sshd.js';

// About 95 commands, each a fresh `dew` process: a minute on an idle 2-core machine, more when loaded.
t.setTimeout(900_000);

const root = process.cwd();
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  line: number;
  lines: { line: number; text: string }[];
  skip?: string;
}

/** The README's ```sh blocks with their first line number and the reason given for any left out. */
export function shellBlocks(text: string): Block[] {
  const rows = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].trim() !== '```sh') continue;
    let prev = i - 1;
    while (prev >= 0 && rows[prev].trim() === '') prev--;
    const skip = /^<!-- readme-test: (.+?) -->$/.exec(rows[prev]?.trim() ?? '')?.[1];
    const block: Block = { line: i + 1, lines: [], skip };
    for (i++; i < rows.length && rows[i].trim() !== '```'; i++) block.lines.push({ line: i + 1, text: rows[i] });
    blocks.push(block);
  }
  return blocks;
}

/** One bash script: each README line is preceded by its number, which the ERR trap reports. */
function script(blocks: Block[]): string {
  const out = ['set -eEo pipefail', `trap 'echo "README.md:$__line: exit $?: $BASH_COMMAND" >&2' ERR`];
  for (const b of blocks) {
    if (b.skip) continue;
    for (const l of b.lines) {
      if (l.text.trim() === '' || l.text.trim().startsWith('#')) continue;
      out.push(`__line=${l.line}; echo "\\$ ${l.text.replace(/["\\$`]/g, '\\$&')}" >&2`, l.text);
    }
  }
  return out.join('\n') + '\n';
}

t.test('every shell block of the README runs in order after dew quickstart', async (t) => {
  const blocks = shellBlocks(readme);
  t.same(blocks[0].lines.map((l) => l.text.split('#')[0].trim()), ['npm ci && npx dew quickstart', 'npm test'], 'the README starts with the two commands');
  blocks[0].skip = 'the test runs dew quickstart itself';
  t.same(
    blocks.filter((b) => b.skip).map((b) => b.lines[0].text.split(/\s+/).slice(0, 3).join(' ')),
    ['npm ci &&', 'npm run bench'],
    'only the install line (the test starts dew quickstart itself) and the benchmark are left out',
  );

  const work = mkdtempSync(join(tmpdir(), 'dew-readme-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  cpSync(join(root, 'examples'), join(work, 'examples'), { recursive: true });
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const cli = join(root, 'dist', 'bin', 'dew.js');
  writeFileSync(join(bin, 'dew'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  chmodSync(join(bin, 'dew'), 0o755);
  // A HOME of its own: the Terraform section installs the provider under ~/.terraform.d, as a newcomer's would.
  const home = join(work, 'home');
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, DEW_LISTEN: '127.0.0.1:0', NO_COLOR: '1', HOME: home, CHECKPOINT_DISABLE: '1' };
  for (const k of Object.keys(env)) if ((k.startsWith('DEW_') && k !== 'DEW_LISTEN') || k.startsWith('TF_')) delete env[k];

  // The README's first command, without `npm ci`: quickstart starts the daemon and applies the example.
  const quickstart = spawn(process.execPath, [cli, 'quickstart'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => quickstart.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (quickstart.exitCode === null) quickstart.kill('SIGKILL');
  });
  let qsOut = '';
  let qsErr = '';
  quickstart.stderr.on('data', (c: Buffer) => (qsErr += c));
  await new Promise<void>((resolve, reject) => {
    quickstart.stdout.on('data', (c: Buffer) => {
      qsOut += c;
      if (qsOut.includes('Press Ctrl-C')) resolve();
    });
    void exited.then((code) => reject(new Error(`dew quickstart exited ${code} before it was ready:\n${qsOut}\n${qsErr}`)));
  });
  // What the newcomer sees from `dew quickstart` (this was test/e2e/quickstart.test.ts).
  t.match(qsErr, /dew daemon listening on http:\/\/127\.0\.0\.1:\d+/, 'the daemon was started and logs to stderr');
  t.match(qsOut, /Stack: quickstart/);
  t.match(qsOut, /Plan: 6 to add, 0 to change, 0 to destroy\./, 'the plan is shown');
  t.match(qsOut, /Apply complete! Resources: 6 added, 0 changed, 0 destroyed\./);
  t.match(qsOut, /app_key_id = "[0-9a-f-]{36}"/);
  t.match(qsOut, /grant_id = "[0-9a-f]{64}"/, 'the grant to the quickstart user was created');
  t.match(qsOut, /rotation_enabled\s+= true/, 'rotation is part of the plan');
  t.match(qsOut, /app_user_id = "[0-9a-f]{32}"/, 'the grantee is a user the stack made');
  // issue 11.7: every dew command just works afterwards, with no extra variables
  const plan = spawnSync(process.execPath, [cli, 'plan', '-detailed-exitcode', join(root, 'examples', 'quickstart')], { cwd: work, env: { ...env, DEW_LISTEN: undefined }, encoding: 'utf8' });
  t.equal(plan.status, 0, `dew plan examples/quickstart after dew quickstart: no changes, no error\n${plan.stdout}${plan.stderr}`);
  t.match(plan.stdout, /No changes\./);

  // The key pair section binds to "a host you can log into": a throwaway OpenSSH server and user.
  const sshd = await startSshd(t);
  const sshEnv = { SSH_HOST: sshd.address, SSH_PORT: String(sshd.port), SSH_USER: sshd.user, SSH_PASSWORD: sshd.password };
  const file = join(work, 'readme.sh');
  writeFileSync(file, script(blocks));
  const run = spawnSync('bash', [file], { cwd: work, env: { ...env, ...sshEnv, DEW_LISTEN: undefined }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const trail = run.stderr.split('\n').slice(-40).join('\n');
  t.equal(run.status, 0, `the README's commands all succeed\n${trail}`);
  t.notMatch(run.stdout + run.stderr, /unexpected error|    at [\w.<>]+ \(/, 'no command printed a stack trace');
  const ran = run.stderr.split('\n').filter((l) => l.startsWith('$ ')).length;
  t.ok(ran >= 80, `every line ran (${ran})`);

  quickstart.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C stops the daemon and quickstart exits 0');
  t.match(qsErr, /dew daemon: stopped/);
});
