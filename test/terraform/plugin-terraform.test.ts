/**
 * The real Terraform 1.11 binary drives the tiny test provider (fixtures/tiny-provider.ts) on the
 * plugin host: installed into the implied local mirror of a temp HOME, `terraform init` offline
 * with no CLI configuration, then validate, plan, apply, a no-op plan, a replacement, import,
 * a provider error as a diagnostic, destroy; and the same install under another plugin directory
 * with `init -plugin-dir`.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { impliedPluginDir, installLauncher, PROVIDER_SOURCE } from '../../provider/terraform/install.js';
import { terraformWorkspace, type TerraformRun } from '../helpers/terraform.js';
import { tinyProviderJs } from './tiny-provider-js.js';

// The fixture as plain JavaScript on the compiled plugin host (dist/): Terraform launches a bare node, no tsx.
const fixture = tinyProviderJs(t);
const VERSION = '0.0.1';
const TRACE = /^\s+at |node:internal/m;

const config = (stateFile: string, name: string) => `terraform {
  required_providers {
    dew = { source = "${PROVIDER_SOURCE}" }
  }
}

provider "dew" {
  state_file = ${JSON.stringify(stateFile)}
}

resource "dew_test_thing" "a" {
  name = "${name}"
}

resource "dew_test_thing" "b" {
  name = "child-of-\${dew_test_thing.a.id}"
}

output "a_id" {
  value = dew_test_thing.a.id
}
`;

const said = (r: TerraformRun) => `exit ${r.code}\n${r.stdout}${r.stderr}`;
const db = (file: string) => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {});

t.test('init from the implied local mirror (no CLI config), validate, plan, apply, no-op plan, replace, import, destroy', async (t) => {
  const ws = terraformWorkspace(t);
  const stateFile = join(ws.home, 'things.json');
  const installed = installLauncher({ pluginDir: impliedPluginDir(ws.env, ws.home), version: VERSION, nodePath: process.execPath, entry: fixture });
  t.ok(installed.path.startsWith(join(ws.home, '.terraform.d', 'plugins', 'dew.local', 'dew', 'dew', VERSION)), installed.path);
  ws.write('main.tf', config(stateFile, 'alpha'));

  const init = await ws.run(['init']);
  t.equal(init.code, 0, said(init));
  t.match(init.stdout, `Installed ${PROVIDER_SOURCE} v${VERSION}`);
  t.notOk('TF_CLI_CONFIG_FILE' in ws.env, 'no CLI configuration');

  const validate = await ws.run(['validate']);
  t.equal(validate.code, 0, said(validate));
  t.match(validate.stdout, /The configuration is valid/);

  const plan = await ws.run(['plan']);
  t.equal(plan.code, 0, said(plan));
  t.match(plan.stdout, /Plan: 2 to add, 0 to change, 0 to destroy/);
  t.match(plan.stdout, /id\s+= \(known after apply\)/);

  const apply = await ws.run(['apply', '-auto-approve']);
  t.equal(apply.code, 0, said(apply));
  t.match(apply.stdout, /Apply complete! Resources: 2 added, 0 changed, 0 destroyed/);
  const things = db(stateFile);
  const aId = Object.keys(things).find((k) => things[k] === 'alpha');
  t.ok(aId, 'the provider stored alpha');
  t.equal(things[Object.keys(things).find((k) => k !== aId)!], `child-of-${aId}`, 'the unknown in config was planned and applied');
  t.match(apply.stdout, `a_id = "${aId}"`);

  const noop = await ws.run(['plan', '-detailed-exitcode'], { env: { TF_LOG: 'DEBUG' } });
  t.equal(noop.code, 0, said(noop));
  t.match(noop.stdout, /No changes/);
  // go-plugin parsed our hclog JSON lines (a raw line would be logged as it is, braces and all); it prints
  // the fields as key=value in no fixed order (a Go map), so each is looked for on the line by itself.
  const lines = noop.stderr.split('\n');
  const serving = lines.find((l) => l.includes(`provider.terraform-provider-dew_v${VERSION}: plugin serving:`)) ?? '';
  t.ok(serving.includes(' @module=dew-test') && serving.includes(`address=${ws.env.TMPDIR}/plugin-dew-`), `the provider log reached Terraform as hclog, socket in TMPDIR: ${serving}`);
  const rpc = lines.find((l) => l.includes(' method=PlanResourceChange')) ?? '';
  t.ok(rpc.includes(' @module=dew-test') && / duration_ms=[\d.]+/.test(rpc), `method and duration at debug: ${rpc}`);
  t.notMatch(noop.stderr, /killing plugin|plugin failed to exit gracefully/, 'every provider exited on Shutdown');

  ws.write('main.tf', config(stateFile, 'beta'));
  const replace = await ws.run(['apply', '-auto-approve']);
  t.equal(replace.code, 0, said(replace));
  t.match(replace.stdout, /must be replaced/);
  t.match(replace.stdout, /Resources: 2 added, 0 changed, 2 destroyed/);
  t.same(Object.values(db(stateFile)).sort(), ['beta', `child-of-${Object.keys(db(stateFile)).find((k) => db(stateFile)[k] === 'beta')}`].sort());

  const rm = await ws.run(['state', 'rm', 'dew_test_thing.b']);
  t.equal(rm.code, 0, said(rm));
  const bId = Object.keys(db(stateFile)).find((k) => db(stateFile)[k] !== 'beta')!;
  const imported = await ws.run(['import', 'dew_test_thing.b', bId]);
  t.equal(imported.code, 0, said(imported));
  t.match(imported.stdout, /Import successful/);
  const after = await ws.run(['plan', '-detailed-exitcode']);
  t.equal(after.code, 0, `after import, no changes: ${said(after)}`);

  const destroy = await ws.run(['destroy', '-auto-approve']);
  t.equal(destroy.code, 0, said(destroy));
  t.match(destroy.stdout, /Destroy complete! Resources: 2 destroyed/);
  t.same(db(stateFile), {}, 'the provider deleted both');

  t.same(readdirSync(ws.env.TMPDIR).filter((f) => f.startsWith('plugin-dew-')), [], 'no socket left in TMPDIR: every provider Terraform launched shut down cleanly');
});

t.test('a provider handler that throws: Terraform shows the message as an error, no stack', async (t) => {
  const ws = terraformWorkspace(t);
  installLauncher({ pluginDir: impliedPluginDir(ws.env, ws.home), version: VERSION, nodePath: process.execPath, entry: fixture });
  ws.write('main.tf', `terraform {\n  required_providers {\n    dew = { source = "${PROVIDER_SOURCE}" }\n  }\n}\n\nprovider "dew" {\n  state_file = ${JSON.stringify(join(ws.home, 'x.json'))}\n}\n\nresource "dew_test_broken" "x" {\n  name = "x"\n}\n`);
  const init = await ws.run(['init']);
  t.equal(init.code, 0, said(init));
  const plan = await ws.run(['plan']);
  t.equal(plan.code, 1, said(plan));
  t.match(plan.stderr, /Error: the broken resource cannot be planned/);
  t.notMatch(plan.stdout + plan.stderr, TRACE, 'no stack trace');
});

t.test('--dir layout: terraform init -plugin-dir DIR installs from another plugin directory', async (t) => {
  const ws = terraformWorkspace(t);
  const pluginDir = join(ws.home, 'elsewhere');
  installLauncher({ pluginDir, version: VERSION, nodePath: process.execPath, entry: fixture });
  t.notOk(existsSync(join(ws.home, '.terraform.d')), 'nothing in the implied mirror');
  ws.write('main.tf', config(join(ws.home, 'things.json'), 'gamma'));
  const init = await ws.run(['init', `-plugin-dir=${pluginDir}`]);
  t.equal(init.code, 0, said(init));
  t.match(init.stdout, `Installed ${PROVIDER_SOURCE} v${VERSION}`);
  const plan = await ws.run(['plan']);
  t.equal(plan.code, 0, said(plan));
  t.match(plan.stdout, /Plan: 2 to add/);
});
