/**
 * Packaging the provider for Terraform without a registry: the launcher script and where it goes
 * in a plugin directory's unpacked layout (HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/), which
 * Terraform searches on `terraform init` (the implied local mirror ~/.terraform.d/plugins, or
 * -plugin-dir / a filesystem_mirror), and the CLI configuration texts that point Terraform at it.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROVIDER_HOST = 'dew.local';
export const PROVIDER_NAMESPACE = 'dew';
export const PROVIDER_TYPE = 'dew';
export const PROVIDER_SOURCE = `${PROVIDER_HOST}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;

/** Terraform's OS_ARCH for this machine (linux_amd64, darwin_arm64, windows_386…). */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'windows' : platform;
  const cpu = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
  return `${os}_${cpu}`;
}

/** The implied local mirror Terraform searches with no CLI configuration (Unix: ~/.terraform.d/plugins). */
export function impliedPluginDir(env: Readonly<Record<string, string | undefined>>, home: string, platform: string = process.platform): string {
  if (platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'terraform.d', 'plugins');
  return join(home, '.terraform.d', 'plugins');
}

/** The package folder for one version and platform under a plugin directory. */
export function packageDir(pluginDir: string, version: string, platform: string = terraformPlatform()): string {
  return join(pluginDir, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE, version, platform);
}

export function launcherName(version: string): string {
  return `terraform-provider-${PROVIDER_TYPE}_v${version}`;
}

/** POSIX shell single quotes. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The launcher: a /bin/sh script exec-ing Node by absolute path (Terraform may start it with a
 * bare environment, no PATH to find `node` in) on the provider's entry module.
 */
export function launcherScript(opts: { nodePath: string; entry: string; nodeArgs?: readonly string[]; version: string }): string {
  const words = [opts.nodePath, ...(opts.nodeArgs ?? []), opts.entry].map(shellQuote).join(' ');
  return `#!/bin/sh\n# The dew Terraform provider v${opts.version}, written by \`dew terraform install\`.\nexec ${words} "$@"\n`;
}

export interface Installed {
  /** The launcher file. */
  path: string;
  /** Its package folder (what dev_overrides points at). */
  dir: string;
}

/** Writes the launcher into the plugin directory's layout (mode 0755), replacing an older one. */
export function installLauncher(opts: { pluginDir: string; version: string; nodePath: string; entry: string; nodeArgs?: readonly string[]; platform?: string }): Installed {
  const dir = packageDir(opts.pluginDir, opts.version, opts.platform);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, launcherName(opts.version));
  writeFileSync(path, launcherScript(opts), { mode: 0o755 });
  chmodSync(path, 0o755);
  return { path, dir };
}

/** What a configuration needs to use the provider. */
export function requiredProvidersSnippet(): string {
  return `terraform {\n  required_providers {\n    dew = {\n      source = "${PROVIDER_SOURCE}"\n    }\n  }\n}\n`;
}

/** A CLI configuration (TF_CLI_CONFIG_FILE) that runs the provider from `dir` without `terraform init`. */
export function devOverridesConfig(dir: string): string {
  return `provider_installation {\n  dev_overrides {\n    "${PROVIDER_SOURCE}" = ${JSON.stringify(dir)}\n  }\n  direct {}\n}\n`;
}
