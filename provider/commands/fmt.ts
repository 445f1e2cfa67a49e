/** `dew fmt [-check] [-diff] [DIR|FILE…]`: rewrites *.hcl files in the canonical layout; -check exits 3 when some need it. */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { formatHcl } from '../config/format-hcl.js';
import { parseHcl } from '../config/hcl.js';
import { parseArgs } from './args.js';
import type { Command } from './context.js';
import { printDiagnostics } from './workflow.js';

async function targets(cwd: string, positionals: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of positionals.length ? positionals : ['.']) {
    const abs = resolve(cwd, p);
    if ((await stat(abs)).isDirectory()) {
      for (const name of (await readdir(abs)).filter((n) => n.endsWith('.hcl')).sort()) out.push(join(abs, name));
    } else out.push(abs);
  }
  return out;
}

export const fmtCommand: Command = async (ctx) => {
  const args = parseArgs(ctx.argv, { check: 'bool', diff: 'bool', chdir: 'string' }, 'fmt');
  const cwd = args.strings.has('chdir') ? resolve(ctx.cwd, args.strings.get('chdir')!) : ctx.cwd;
  const check = args.bools.has('check');
  let failed = false;
  let changed = 0;
  for (const file of await targets(cwd, args.positionals)) {
    const text = await readFile(file, 'utf8');
    const name = relative(cwd, file) || file;
    const parsed = await parseHcl(name, text);
    if (!parsed.body) {
      printDiagnostics(ctx, parsed.diagnostics, new Map([[name, text]]));
      failed = true;
      continue;
    }
    const formatted = formatHcl(text);
    if (formatted === text) continue;
    changed++;
    ctx.stdout.write(name + '\n');
    if (args.bools.has('diff')) {
      const a = text.split('\n');
      const b = formatted.split('\n');
      for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) ctx.stdout.write(`${a[i] !== undefined ? `-${a[i]}\n` : ''}${b[i] !== undefined ? `+${b[i]}\n` : ''}`);
    }
    if (!check) await writeFile(file, formatted);
  }
  if (failed) return 2;
  return check && changed ? 3 : 0;
};
