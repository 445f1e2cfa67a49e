/**
 * The tiny test provider (fixtures/tiny-provider.ts) as one plain JavaScript module, so Terraform and
 * the plugin tests launch it with a bare `node` instead of `node --import tsx`: a tsx launch spends
 * about 0.35 s of CPU more in the loader, and Terraform starts a provider 3–5 times per command.
 * The fixture is transpiled as it stands (TypeScript's transpileModule, no type check: `npm test`
 * type-checks the tests first); its relative imports of the plugin host go to the compiled modules in
 * dist/ (npm run build), its package imports to the files Node resolves from here. Written to a temp
 * folder, removed at teardown.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = process.cwd();
const fixture = fileURLToPath(new URL('./fixtures/tiny-provider.ts', import.meta.url));

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Where an import of the fixture points once it is JavaScript outside the checkout. */
function target(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  if (!specifier.startsWith('.')) return import.meta.resolve(specifier);
  const compiled = join(root, 'dist', relative(root, resolve(dirname(fixture), specifier)));
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build`);
  return pathToFileURL(compiled).href;
}

/** The path of the fixture as a .mjs file with every import made absolute. */
export function tinyProviderJs(t: Teardown): string {
  const { outputText } = ts.transpileModule(readFileSync(fixture, 'utf8'), {
    fileName: fixture,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  const js = outputText.replace(/(\bfrom\s+|\bimport\s+)(['"])([^'"]+)\2/g, (_m, lead: string, q: string, spec: string) => `${lead}${q}${target(spec)}${q}`);
  const dir = mkdtempSync(join(tmpdir(), 'dew-tiny-provider-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tiny-provider.mjs');
  writeFileSync(file, js);
  return file;
}
