/**
 * `dew terraform install` and `dew terraform dev-overrides` as a user runs them (dist/bin/dew.js,
 * after `npm run build`): the launcher in the implied local mirror of HOME or under --dir, which
 * runs with an empty environment, the required_providers snippet, `terraform init` offline with
 * no CLI configuration, and a dev_overrides CLI configuration that Terraform accepts.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terraformWorkspace } from '../helpers/terraform.js';

const root = process.cwd();
const cli = join(root, 'dist', 'bin', 'dew.js');
const entry = join(root, 'dist', 'provider', 'terraform', 'main.js');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const scratch = mkdtempSync(join(tmpdir(), 'dew-tf-install-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

function dew(argv: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd: scratch, env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('dew terraform install: the launcher under HOME, terraform init offline with no CLI config', async (t) => {
  t.ok(existsSync(cli) && existsSync(entry), 'built (npm run build)');
  const ws = terraformWorkspace(t, { files: { 'main.tf': 'terraform {\n  required_providers {\n    dew = { source = "dew.local/dew/dew" }\n  }\n}\n' } });
  const r = dew(['terraform', 'install'], { HOME: ws.home });
  t.equal(r.code, 0, r.err);
  const launcher = join(ws.home, '.terraform.d', 'plugins', 'dew.local', 'dew', 'dew', version, 'linux_amd64', `terraform-provider-dew_v${version}`);
  t.match(r.out, launcher, 'prints where it wrote the launcher');
  t.match(r.out, /required_providers \{\n\s+dew = \{\n\s+source = "dew\.local\/dew\/dew"/, 'and the required_providers snippet');
  const text = readFileSync(launcher, 'utf8');
  t.match(text, /^#!\/bin\/sh\n/);
  t.match(text, `exec '${process.execPath}' '${entry}' "$@"\n`, 'exec-ing this Node by absolute path on dist/provider/terraform/main.js');
  t.equal(statSync(launcher).mode & 0o777, 0o755);

  // Terraform may start it with nearly nothing in the environment.
  const bare = spawnSync(launcher, [], { env: {}, encoding: 'utf8' });
  t.equal(bare.status, 1, `run by hand with an empty environment: exit 1 ${bare.stderr}`);
  t.equal(bare.stdout, '');
  t.match(bare.stderr, /not meant to be run directly/);

  const init = await ws.run(['init']);
  t.equal(init.code, 0, init.stdout + init.stderr);
  t.match(init.stdout, `Installed dew.local/dew/dew v${version} (unauthenticated)`);
  t.match(readFileSync(join(ws.dir, '.terraform.lock.hcl'), 'utf8'), /provider "dew\.local\/dew\/dew"/);
});

t.test('dew terraform install --dir DIR and dev-overrides --dir DIR: a CLI config Terraform runs the provider from', async (t) => {
  const ws = terraformWorkspace(t, { files: { 'main.tf': 'terraform {\n  required_providers {\n    dew = { source = "dew.local/dew/dew" }\n  }\n}\n' } });
  const dir = join(ws.home, 'plugins');
  const r = dew(['terraform', 'install', '--dir', dir], { HOME: ws.home });
  t.equal(r.code, 0, r.err);
  t.match(r.out, `-plugin-dir ${dir}`, 'says how to use a custom plugin directory');
  const pkg = join(dir, 'dew.local', 'dew', 'dew', version, 'linux_amd64');
  t.ok(existsSync(join(pkg, `terraform-provider-dew_v${version}`)), 'same layout under DIR');
  t.notOk(existsSync(join(ws.home, '.terraform.d')), 'nothing under HOME');

  const d = dew(['terraform', 'dev-overrides', '--dir', dir], { HOME: ws.home });
  t.equal(d.code, 0, d.err);
  t.equal(d.out, `provider_installation {\n  dev_overrides {\n    "dew.local/dew/dew" = ${JSON.stringify(pkg)}\n  }\n  direct {}\n}\n`);
  const missing = dew(['terraform', 'dev-overrides', '--dir', join(ws.home, 'empty')], { HOME: ws.home });
  t.match(missing.err, /run `dew terraform install --dir/, 'no launcher there yet: says to install first');

  const dev = terraformWorkspace(t, { cliConfig: d.out, files: { 'main.tf': 'terraform {\n  required_providers {\n    dew = { source = "dew.local/dew/dew" }\n  }\n}\n' } });
  const validate = await dev.run(['validate']);
  t.equal(validate.code, 0, validate.stdout + validate.stderr);
  t.match(validate.stderr + validate.stdout, /Provider development overrides are in effect/);
  t.match(validate.stderr + validate.stdout, pkg);
});

t.test('dew terraform: usage errors', async (t) => {
  const none = dew(['terraform'], {});
  t.equal(none.code, 2);
  t.match(none.err, /needs a command: install, dev-overrides/);
  const typo = dew(['terraform', 'instal'], {});
  t.match(typo.err, /Did you mean "install"\?/);
  const extra = dew(['terraform', 'install', 'x'], {});
  t.equal(extra.code, 2);
  t.match(extra.err, /unexpected argument x/);
});
