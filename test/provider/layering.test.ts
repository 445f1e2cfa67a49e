/** The layers of the CLI and the daemon, read from the import statements: each rule fails when one file breaks it. */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = process.cwd();

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports (static, dynamic with a literal, re-exports), as repository paths. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => relative(root, resolve(dirname(file), s)));
}

const files = [...tsFiles(join(root, 'provider')), ...tsFiles(join(root, 'daemon')), ...tsFiles(join(root, 'bin'))];

t.test('provider/ and daemon/ never import each other; only bin/ imports both', async (t) => {
  const crossing: string[] = [];
  for (const f of files) {
    const from = relative(root, f).split('/')[0];
    for (const dep of importsOf(f)) {
      const to = dep.split('/')[0];
      if ((from === 'provider' && (to === 'daemon' || to === 'bin')) || (from === 'daemon' && (to === 'provider' || to === 'bin'))) crossing.push(`${relative(root, f)} -> ${dep}`);
    }
  }
  t.same(crossing, []);
  const entry = importsOf(join(root, 'bin', 'dew.ts'));
  t.ok(entry.some((d) => d.startsWith('daemon/')), 'bin/dew.ts imports the daemon');
  t.ok(entry.some((d) => d.startsWith('provider/')), 'bin/dew.ts imports the CLI');
});

t.test('no CLI module loads code by a computed URL (tsc could not check it)', async (t) => {
  const computed = files.filter((f) => !relative(root, f).startsWith('daemon/')).filter((f) => /import\(\s*(?!')/.test(readFileSync(f, 'utf8').replace(/import\(\s*'[^']*'\s*\)/g, ''))).map((f) => relative(root, f));
  t.same(computed, []);
});

t.test('resources/, plan/, crypto/ and client/ never import commands/; plan/ does no I/O', async (t) => {
  const bad: string[] = [];
  for (const f of tsFiles(join(root, 'provider'))) {
    const layer = relative(join(root, 'provider'), f).split('/')[0];
    if (!['resources', 'plan', 'crypto', 'client', 'config', 'graph', 'state'].includes(layer)) continue;
    for (const dep of importsOf(f)) if (dep.startsWith('provider/commands/')) bad.push(`${relative(root, f)} -> ${dep}`);
    if (layer === 'plan' && /from 'node:(fs|fs\/promises|child_process|net|http|https)'/.test(readFileSync(f, 'utf8'))) bad.push(`${relative(root, f)} does I/O`);
  }
  t.same(bad, []);
});
