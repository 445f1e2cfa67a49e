/**
 * `dew terraform install [--dir DIR]` and `dew terraform dev-overrides [--dir DIR]`: put the dew
 * Terraform provider where `terraform init` finds it offline (a launcher running this Node on
 * dist/provider/terraform/main.js), or print a CLI configuration that runs it without init.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devOverridesConfig, impliedPluginDir, installLauncher, launcherName, packageDir, PROVIDER_SOURCE, requiredProvidersSnippet } from '../terraform/install.js';
import { parseArgs } from './args.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { unknownSubcommand } from './help-table.js';

/** The package root (the folder with package.json), from the sources or from dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new CliError('terraform.root', 'cannot find the dew package root');
}

function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

function pluginDir(ctx: CommandContext, dir: string | undefined): string {
  if (dir !== undefined) return resolve(ctx.cwd, dir);
  return impliedPluginDir(ctx.env, ctx.env.HOME || homedir());
}

function parse(ctx: CommandContext, argv: readonly string[], sub: string) {
  const args = parseArgs(argv, { dir: 'string' }, `terraform ${sub}`);
  if (args.positionals.length) throw new CliError('usage', `dew terraform ${sub}: unexpected argument ${args.positionals[0]}`, { exitCode: 2 });
  return { dir: pluginDir(ctx, args.strings.get('dir')), custom: args.strings.has('dir') };
}

const install = (ctx: CommandContext, argv: readonly string[]): number => {
  const { dir, custom } = parse(ctx, argv, 'install');
  const root = packageRoot();
  const entry = join(root, 'dist', 'provider', 'terraform', 'main.js');
  if (!existsSync(entry)) throw new CliError('terraform.not_built', `the provider's entry ${entry} does not exist`, { hint: 'Build dew first: npm run build.' });
  const version = packageVersion(root);
  const installed = installLauncher({ pluginDir: dir, version, nodePath: process.execPath, entry });
  ctx.stdout.write(`Installed the dew Terraform provider v${version} (${PROVIDER_SOURCE}):\n  ${installed.path}\n  runs ${process.execPath} ${entry}\n\n`);
  ctx.stdout.write(`Use it in a configuration:\n\n${requiredProvidersSnippet()}\n`);
  ctx.stdout.write(
    custom
      ? `then run \`terraform init -plugin-dir ${dir}\` (or list ${dir} as a filesystem_mirror in the CLI configuration).\n`
      : 'then run `terraform init`: Terraform finds it in this plugin directory with no CLI configuration.\n',
  );
  return 0;
};

const devOverrides = (ctx: CommandContext, argv: readonly string[]): number => {
  const { dir } = parse(ctx, argv, 'dev-overrides');
  const root = packageRoot();
  const version = packageVersion(root);
  const pkg = packageDir(dir, version);
  ctx.stdout.write(devOverridesConfig(pkg));
  if (!existsSync(join(pkg, launcherName(version)))) ctx.stderr.write(`No launcher in ${pkg} yet: run \`dew terraform install${dir === pluginDir(ctx, undefined) ? '' : ` --dir ${dir}`}\` first.\n`);
  else ctx.stderr.write('Save this as a file, set TF_CLI_CONFIG_FILE to it, and run plan/apply without `terraform init`.\n');
  return 0;
};

export const terraformCommand: Command = async (ctx) => {
  const [sub, ...rest] = ctx.argv;
  if (sub === 'install') return install(ctx, rest);
  if (sub === 'dev-overrides') return devOverrides(ctx, rest);
  throw unknownSubcommand('terraform', sub);
};
