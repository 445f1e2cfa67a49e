/**
 * What every Terraform end-to-end test starts with: a real daemon, a Terraform workspace whose HOME has
 * the provider installed by `dew terraform install` (the implied local mirror), the daemon's credentials
 * in creds.json, and `terraform init` done offline. Also the checks they share: where a secret shows up
 * in terraform.tfstate, and that every one of those places is an attribute the state marks sensitive.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startTestDaemon, type DaemonOptions, type TestDaemon } from '../helpers/daemon.js';
import { terraformWorkspace, type TerraformRun, type TerraformWorkspace } from '../helpers/terraform.js';

const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');

export const PROVIDER = `terraform {
  required_providers {
    dew = { source = "dew.local/dew/dew" }
  }
}

provider "dew" {
  credentials_file = "creds.json"
}
`;

export interface TfWorld {
  td: TestDaemon;
  ws: TerraformWorkspace;
  /** Every stdout and stderr terraform wrote so far. */
  logs: string[];
  run(args: string[], env?: Record<string, string>): Promise<TerraformRun>;
  /** The daemon's AK/SK secret (must be in no output and no state). */
  secretKey: string;
  state(): Record<string, any>;
}

export async function tfWorld(t: Test, opts: DaemonOptions = {}): Promise<TfWorld> {
  t.ok(spawnSync('test', ['-f', cli]).status === 0, 'built (npm run build)');
  const td = await startTestDaemon(t, opts);
  const ws = terraformWorkspace(t);
  const creds = readFileSync(join(td.dataDir, 'credentials.json'), 'utf8');
  ws.write('creds.json', creds);
  const install = spawnSync(process.execPath, [cli, 'terraform', 'install'], { env: { PATH: '/usr/bin:/bin', HOME: ws.home }, encoding: 'utf8' });
  t.equal(install.status, 0, install.stderr);
  const logs: string[] = [];
  const run = async (args: string[], env?: Record<string, string>) => {
    const r = await ws.run(args, { env });
    logs.push(r.stdout, r.stderr);
    return r;
  };
  ws.write('main.tf', PROVIDER);
  const init = await run(['init']);
  t.equal(init.code, 0, `terraform init\n${init.stdout}${init.stderr}`);
  return { td, ws, logs, run, secretKey: JSON.parse(creds).secret_key, state: () => JSON.parse(readFileSync(join(ws.dir, 'terraform.tfstate'), 'utf8')) };
}

export const ok = (t: Test, r: TerraformRun, what: string) => t.equal(r.code, 0, `${what}\n${r.stdout}\n${r.stderr}`);

/** `address.attribute` of every attribute in the state whose value contains `needle`. */
export function whereInState(state: Record<string, any>, needle: string): string[] {
  const out: string[] = [];
  for (const r of state.resources ?? []) {
    for (const inst of r.instances ?? []) {
      const addr = `${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
      for (const [k, v] of Object.entries(inst.attributes ?? {})) if (JSON.stringify(v).includes(needle)) out.push(`${addr}.${k}`);
      if (JSON.stringify(inst.private ?? '').includes(needle) || Buffer.from(String(inst.private ?? ''), 'base64').toString('utf8').includes(needle)) out.push(`${addr} (private)`);
    }
  }
  for (const [k, o] of Object.entries(state.outputs ?? {})) if (JSON.stringify(o).includes(needle)) out.push(`output.${k}`);
  return out;
}

/** `address.attribute` of every attribute the state marks sensitive. */
export function sensitiveInState(state: Record<string, any>): string[] {
  const out: string[] = [];
  for (const r of state.resources ?? []) {
    for (const inst of r.instances ?? []) {
      const addr = `${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
      for (const path of inst.sensitive_attributes ?? []) {
        const first = Array.isArray(path) ? path[0] : undefined;
        if (first?.type === 'get_attr') out.push(`${addr}.${first.value}`);
      }
    }
  }
  for (const [k, o] of Object.entries(state.outputs ?? {})) if ((o as { sensitive?: boolean }).sensitive) out.push(`output.${k}`);
  return out;
}
